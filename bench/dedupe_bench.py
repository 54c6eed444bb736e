"""Deduplication throughput: 1,000,000 bus events, 1% of them duplicates, through the bounded-memory filter.

Goal: at least 100,000 events/s on one core, ten times a bus peak of 10k events/s.
    .venv/bin/python bench/dedupe_bench.py [events]
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "collections"))

from ansible_collections.spooky.ops.plugins.module_utils.bus.dedupe import DedupeFilter  # noqa: E402

GOAL = 100000


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    rng = random.Random(0)
    ids = []
    for i in range(total):
        # 1% of the events repeat an id published up to 100 events earlier (a redelivery)
        ids.append(ids[-rng.randint(1, min(100, len(ids)))] if ids and rng.random() < 0.01 else "evt-%d" % i)
    flt = DedupeFilter(window=120.0, max_ids=200000)
    began = time.perf_counter()
    now = 0.0
    for event_id in ids:
        now += 0.0001  # 10k events/s of bus time
        flt.seen(event_id, now)
    elapsed = time.perf_counter() - began
    rate = total / elapsed
    print("dedupe: %d events (%d duplicates dropped, %d ids held) in %.2fs = %.0f events/s (goal >= %d): %s"
          % (total, flt.duplicates, len(flt), elapsed, rate, GOAL, "OK" if rate >= GOAL else "BELOW GOAL"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
