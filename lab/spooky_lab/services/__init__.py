"""Data services of the lab beyond the clusters and Prometheus (PostgreSQL, Redis, S3, NATS, ...).

Each service is a module with two functions:
    start(cfg) -> list of process names it started (idempotent: nothing when already running)
    describe(cfg) -> one line for the `up` summary (where it listens, how to reach it)
and starts its processes with `spooky_lab.processes.start`, so `python -m spooky_lab down` stops them.
Add a module here and to ALL; `lab.up` starts them in this order after the clusters and Prometheus.
"""

from . import alertmanager, health, nats, pipeline, postgres, redis, s3  # noqa: E402

ALL = (postgres, redis, s3, alertmanager, health, nats, pipeline)
