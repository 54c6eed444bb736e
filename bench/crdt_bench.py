# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the federation CRDT library (spooky.ops module_utils/crdt).

Run from the repository root:  python bench/crdt_bench.py [--keys N] [--changes N]

Prints each figure with its goal and whether it is met; it never fails on time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import gc
import os
import random
import sys
import time

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

from ansible_collections.spooky.ops.plugins.module_utils.crdt.lww_map import LWWMap  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import Replica  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.crdt.shards import split_shards  # noqa: E402

BASE_MS = 1700000000000


def fixed_clock(now_ms):
    return lambda: now_ms


def build_pair(keys, rng, base_ms):
    """Two replicas sharing every key: ~1/3 identical, ~1/3 newer on each side."""
    shared = {}
    left_entries = {}
    right_entries = {}
    for index, key in enumerate(keys):
        origin = ((base_ms + index, 0, "origin"), 0.5)
        shared[key] = origin
        roll = rng.random()
        if roll < 0.34:
            left_entries[key] = right_entries[key] = origin
        elif roll < 0.67:
            left_entries[key] = ((base_ms + index + 1, 0, "eu-1"), round(rng.random(), 4))
            right_entries[key] = origin
        else:
            left_entries[key] = origin
            right_entries[key] = ((base_ms + index + 1, 0, "us-1"), round(rng.random(), 4))
    replicas = []
    for node_id, entries in (("eu-1", left_entries), ("us-1", right_entries)):
        replica = Replica(node_id, physical_clock=fixed_clock(base_ms + len(keys) + 1000))
        replica.maps["router_weights"] = LWWMap(entries)
        replica.clock.update((base_ms + len(keys) + 1, 0, node_id))
        replicas.append(replica)
    return replicas


def report(rows):
    width = max(len(row[0]) for row in rows)
    for name, value, goal, met in rows:
        verdict = "" if met is None else ("MET" if met else "NOT MET")
        print("%-*s  %-44s  goal %-14s %s" % (width, name, value, goal, verdict))


class Timing:
    """Wall-clock and CPU seconds of one call; goals are judged on CPU time."""

    def __init__(self, wall, cpu):
        self.wall = wall
        self.cpu = cpu

    def fmt(self, unit="s"):
        scale = 1000.0 if unit == "ms" else 1.0
        return "%.*f %s cpu (%.*f wall)" % (2 if unit == "ms" else 3, self.cpu * scale, unit, 2 if unit == "ms" else 3, self.wall * scale)


def timed(func):
    gc.collect()
    started = time.perf_counter()
    started_cpu = time.process_time()
    result = func()
    return result, Timing(time.perf_counter() - started, time.process_time() - started_cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1000000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    keys = ["svc-%07d/variant-%d" % (index, index % 7) for index in range(args.keys)]
    print("crdt bench: %d keys, %d changes, python %s" % (args.keys, args.changes, sys.version.split()[0]))

    (left, right), build_s = timed(lambda: build_pair(keys, rng, BASE_MS))
    print("setup: built two %d-key replicas in %s; goals are judged on CPU time (the machine may be shared)" % (args.keys, build_s.fmt()))
    rows = []

    merged, merge_s = timed(lambda: left.merge(right))
    rows.append(("merge two %d-key replicas (copy + join)" % args.keys, merge_s.fmt(), "<= 2 s", merge_s.cpu <= 2.0))
    in_place = left.copy()
    changed, in_place_s = timed(lambda: in_place.merge_into(right))
    rows.append(("merge_into in place (%d keys changed)" % changed, in_place_s.fmt(), "<= 2 s", in_place_s.cpu <= 2.0))

    target = merged.lww("router_weights")
    root, digest_s = timed(target.root_hex)
    rows.append(("full digest of %d keys (Merkle build)" % len(target), digest_s.fmt(), "(informative)", None))
    if not merged.same_content(in_place):
        print("ERROR: merge and merge_into disagree")
        return 1

    ticked = left.copy()
    (applied, remainder), tick_s = timed(lambda: ticked.merge_budgeted_into(right, 500))
    pending = len(remainder.maps["router_weights"]) if remainder is not None else 0
    rows.append(("budgeted merge tick (500 keys/tick)", "%d applied, %d left, %s" % (applied, pending, tick_s.fmt()), "(informative)", None))
    in_place = ticked = remainder = None

    snapshot = merged.copy(with_digest=True)
    before = snapshot.lww("router_weights").merkle()
    changed_keys = rng.sample(keys, args.changes)
    for key in changed_keys:
        merged.set("router_weights", key, round(rng.random(), 4) + 1.0)
    new_root, redigest_s = timed(target.root_hex)
    rows.append(("re-digest after %d changes" % args.changes, redigest_s.fmt("ms"), "<= 50 ms", redigest_s.cpu <= 0.050))
    if new_root == root:
        print("ERROR: root unchanged after changes")
        return 1

    diff, diff_s = timed(lambda: target.merkle().diff(before))
    found = sorted(diff.keys) == sorted(changed_keys)
    outcome = "all %d found" % len(diff.keys) if found else "WRONG KEYS"
    rows.append(("hash comparisons to find %d differing keys" % args.changes, "%d (%s, %.1f ms)" % (diff.comparisons, outcome, diff_s.wall * 1000),
                 "<= 5000", diff.comparisons <= 5000 and found))

    (delta, comparisons), delta_s = timed(lambda: merged.delta(snapshot))
    delta_size = len(delta.maps["router_weights"])
    rows.append(("delta extraction via digest diff", "%d entries, %d comparisons, %.1f ms" % (delta_size, comparisons, delta_s.wall * 1000),
                 "(informative)", None))

    payload, encode_s = timed(merged.encode)
    (manifest, shards), shard_s = timed(lambda: split_shards(payload))
    rows.append(("encode replica (canonical JSON)", "%.1f MB, %s" % (len(payload) / 1e6, encode_s.fmt()), "(informative)", None))
    rows.append(("split into 900 KiB shards", "%d shards, %s" % (manifest["count"], shard_s.fmt()), "(informative)", None))
    _, decode_s = timed(lambda: Replica.decode(payload, physical_clock=fixed_clock(BASE_MS + args.keys + 1000)))
    rows.append(("decode + validate + digest check", decode_s.fmt(), "(informative)", None))
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
