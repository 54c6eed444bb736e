"""The lab's PostgreSQL, Redis and S3 (moto): started with the lab, seeded, answering, stopped with it."""

import base64
import shutil
import sys
import time

import pytest

from conftest import lab_state_dir  # tests/conftest.py
from spooky_lab import lab as lab_control
from spooky_lab import processes
from spooky_lab.config import LabConfig
from spooky_lab.isolated import free_port_block
from spooky_lab.services import postgres, redis, s3


def test_postgres_runs_the_demo_database(lab):
    assert processes.running(lab, postgres.NAME)
    conn = postgres.connect(lab.host, lab.postgres_port, postgres.password(lab), postgres.DEMO_DB)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM agents), (SELECT count(*) FROM trust_events), current_user")
            agents, events, user = cur.fetchone()
    finally:
        conn.close()
    assert (agents, events, user) == (400, 4000, "postgres")


def test_redis_holds_the_demo_keys(lab):
    assert processes.running(lab, redis.NAME)
    conn = redis.client(lab.host, lab.redis_port)
    assert conn.ping()
    assert conn.hget("phoenix:agent:0001", "name") == b"agent-0001"
    assert conn.ttl("phoenix:session:0001") > 0
    assert redis.client(lab.host, lab.redis_port, db=1).dbsize() == 40


def test_s3_has_the_backup_bucket_and_the_lab_has_a_key(lab):
    assert processes.running(lab, s3.NAME)
    client = s3.client(lab)
    assert s3.BUCKET in {b["Name"] for b in client.list_buckets()["Buckets"]}
    client.put_object(Bucket=s3.BUCKET, Key="lab-test/hello", Body=b"hi", ServerSideEncryption="AES256")
    head = client.head_object(Bucket=s3.BUCKET, Key="lab-test/hello")
    assert head["ServerSideEncryption"] == "AES256"  # accepted; moto does not encrypt (lab/README.md)
    client.delete_object(Bucket=s3.BUCKET, Key="lab-test/hello")
    key = s3.key_path(lab)
    assert len(base64.b64decode(key.read_text())) == 32
    assert key.stat().st_mode & 0o777 == 0o600


def test_services_start_idempotently_and_stop_with_the_lab():
    """A lab of only these services, in a directory of its own: up twice, then down stops every one of them."""
    taken = set()
    state = lab_state_dir()
    cfg = LabConfig(state_dir=state / "lab", postgres_port=free_port_block(1, taken),
                    redis_port=free_port_block(1, taken), s3_port=free_port_block(1, taken))
    cfg.state_dir.mkdir()
    services = (postgres, redis, s3)
    try:
        started = [name for service in services for name in service.start(cfg)]
        assert started == ["postgres", "redis", "s3"]
        assert [name for service in services for name in service.start(cfg)] == []  # already running, seeded once
        for service in services:
            assert service.describe(cfg)
    finally:
        lab_control.down(cfg)
        shutil.rmtree(state, ignore_errors=True)
    for name in ("postgres", "redis", "s3"):
        assert not processes.running(cfg, name)
    for port in (cfg.postgres_port, cfg.redis_port, cfg.s3_port):
        assert processes.port_free(cfg.host, port)


def test_a_lab_process_its_pid_file_lost_is_found_and_stopped_by_down():
    """What a start-up retried after a false failure leaves: a lab process no pid file names. down() stops it, and
    only processes of this lab (by the state directory in their environment)."""
    mine, other = lab_state_dir(), lab_state_dir()
    cfgs = [LabConfig(state_dir=root / "lab") for root in (mine, other)]
    try:
        for cfg in cfgs:
            cfg.state_dir.mkdir()
        sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
        orphan = processes.start(cfgs[0], "orphan", sleeper)
        tracked = processes.start(cfgs[0], "tracked", sleeper)
        elsewhere = processes.start(cfgs[1], "orphan", sleeper)
        for path in (cfgs[0].pid_dir / "orphan.pid", cfgs[1].pid_dir / "orphan.pid"):
            path.unlink()
        deadline = time.monotonic() + 10
        while processes.strays(cfgs[0]) != [(orphan, "orphan")]:  # its environment is readable once it has exec'd
            assert time.monotonic() < deadline, processes.strays(cfgs[0])
            time.sleep(0.05)
        message = lab_control.down(cfgs[0])
        assert f"stray orphan (pid {orphan})" in message and "tracked" in message
        assert not processes._alive(orphan) and not processes._alive(tracked)
        assert processes.strays(cfgs[1]) == [(elsewhere, "orphan")]  # another lab's process is left alone
    finally:
        for cfg in reversed(cfgs):
            processes.stop_strays(cfg)
            lab_control.down(cfg)
        shutil.rmtree(mine, ignore_errors=True)
        shutil.rmtree(other, ignore_errors=True)


@pytest.mark.parametrize("port_var", ["SPOOKY_LAB_POSTGRES_PORT", "SPOOKY_LAB_REDIS_PORT", "SPOOKY_LAB_S3_PORT"])
def test_service_ports_come_from_the_lab_config(lab, lab_env, port_var):
    field = {"SPOOKY_LAB_POSTGRES_PORT": "postgres_port", "SPOOKY_LAB_REDIS_PORT": "redis_port", "SPOOKY_LAB_S3_PORT": "s3_port"}[port_var]
    assert getattr(lab, field) == int(lab_env[port_var])
    assert not processes.port_free(lab.host, getattr(lab, field))
