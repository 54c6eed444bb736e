# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replica-level merge laws and a chaos harness for convergence.

The harness simulates N replicas exchanging full states, digest-driven deltas
and budgeted merges over a network that reorders, duplicates and loses
messages (lost messages are retried later) and partitions the replicas for a
while.  After healing and anti-entropy every replica must hold the same
content, equal to the join of all final states and to an oracle built from
the operations themselves.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
from functools import reduce

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import Replica

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LAW_EXAMPLES = 1000
T0 = 1700000000000
MAPS = ("router_weights", "promotions")


class FakeClock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


# --------------------------------------------------------------------------
# replica merge laws on reachable states
# --------------------------------------------------------------------------
replica_index = st.integers(0, 2)
map_names = st.sampled_from(MAPS)
keys = st.sampled_from(["chat/v1", "chat/v2", "ocr/v1", "tts/v3"])
values = st.one_of(st.integers(0, 3), st.sampled_from([0.25, 1.0, True, None, "v2"]), st.dictionaries(st.sampled_from(["stage"]), st.text(max_size=2)))
capabilities = st.sampled_from(["gpu", "llm", "tts"])
amounts = st.integers(1, 500)
replica_ops = st.lists(st.one_of(
    st.tuples(st.just("set"), replica_index, map_names, keys, values),
    st.tuples(st.just("delete"), replica_index, map_names, keys),
    st.tuples(st.just("quarantine"), replica_index, capabilities),
    st.tuples(st.just("release"), replica_index, capabilities),
    st.tuples(st.just("spend"), replica_index, amounts),
    st.tuples(st.just("refund"), replica_index, amounts),
    st.tuples(st.just("merge"), replica_index, replica_index),
    st.tuples(st.just("tick"), st.integers(0, 3)),
), max_size=30)


def run_replica_ops(ops):
    clock = FakeClock()
    replicas = [Replica("n%d" % index, physical_clock=clock) for index in range(3)]
    for op in ops:
        kind = op[0]
        if kind == "tick":
            clock.now += op[1]
            continue
        replica = replicas[op[1]]
        if kind == "set":
            replica.set(op[2], op[3], op[4])
        elif kind == "delete":
            replica.delete(op[2], op[3])
        elif kind == "quarantine":
            replica.quarantine(op[2])
        elif kind == "release":
            replica.release(op[2])
        elif kind == "spend":
            replica.add_spend(op[2])
        elif kind == "refund":
            replica.refund_spend(op[2])
        else:
            replica.merge_into(replicas[op[2]])
    return replicas


@settings(max_examples=LAW_EXAMPLES, **SETTINGS)
@given(replica_ops)
def test_replica_merge_laws(ops):
    a, b, c = run_replica_ops(ops)
    before = (a.encode(), b.encode(), c.encode())
    ab = a.merge(b)
    assert ab.content_bytes() == b.merge(a).content_bytes(), "commutativity"
    assert ab.root_digest() == b.merge(a).root_digest(), "commutativity of the digest"
    assert ab.merge(c).content_bytes() == a.merge(b.merge(c)).content_bytes(), "associativity"
    assert a.merge(a).content_bytes() == a.content_bytes(), "idempotence"
    assert ab.merge(b).content_bytes() == ab.content_bytes(), "absorption of merged inputs"
    assert (a.encode(), b.encode(), c.encode()) == before, "inputs must not be modified"
    delta, dummy = a.delta(b)
    assert b.merge(delta).content_bytes() == b.merge(a).content_bytes(), "delta merge equals full merge"


# --------------------------------------------------------------------------
# chaos harness
# --------------------------------------------------------------------------
class Cluster:
    def __init__(self, rng, size):
        self.rng = rng
        self.base = FakeClock()
        self.skews = [rng.randint(-200, 200) for dummy in range(size)]
        self.nodes = [Replica("n%d" % index, physical_clock=self._clock(index), max_offset_ms=1000) for index in range(size)]
        self.queue = []
        self.retry = []
        self.pending = [[] for dummy in range(size)]
        self.partition = None
        self.writes = {}
        self.spend = 0
        self.added = set()
        self.removed = set()
        self.stats = {"sent": 0, "lost": 0, "duplicated": 0, "delivered": 0, "budget_ticks": 0}

    def _clock(self, index):
        return lambda: self.base.now + self.skews[index]

    def decode(self, raw, receiver):
        return Replica.decode(raw, physical_clock=self._clock(receiver), max_offset_ms=1000)

    def local_op(self):
        rng = self.rng
        index = rng.randrange(len(self.nodes))
        node = self.nodes[index]
        roll = rng.random()
        if roll < 0.45:
            name, key = rng.choice(MAPS), "k%d" % rng.randrange(8)
            value = rng.choice([rng.randrange(100), rng.random(), {"stage": rng.choice(["canary", "stable"])}])
            stamp = node.set(name, key, value)
            self.writes[(name, key, stamp)] = value
        elif roll < 0.6:
            name, key = rng.choice(MAPS), "k%d" % rng.randrange(8)
            stamp = node.delete(name, key)
            self.writes[(name, key, stamp)] = None
        elif roll < 0.72:
            capability = "cap%d" % rng.randrange(4)
            node.quarantine(capability)
            self.added.add(capability)
        elif roll < 0.8:
            capability = "cap%d" % rng.randrange(4)
            if node.release(capability):
                self.removed.add(capability)
        else:
            amount = rng.randrange(1, 50)
            if rng.random() < 0.8:
                node.add_spend(amount)
                self.spend += amount
            else:
                node.refund_spend(amount)
                self.spend -= amount

    def send(self):
        rng = self.rng
        src, dst = rng.sample(range(len(self.nodes)), 2)
        kind = rng.choice(["state", "delta", "budget"])
        if kind == "delta":
            payload = self.nodes[src].delta(self.nodes[dst])[0].encode()
        else:
            payload = self.nodes[src].encode()
        message = (src, dst, kind, payload)
        self.queue.append(message)
        self.stats["sent"] += 1
        if rng.random() < 0.2:
            self.queue.append(message)
            self.stats["duplicated"] += 1

    def cut(self, src, dst):
        return self.partition is not None and (src in self.partition) != (dst in self.partition)

    def deliver(self, lossy=True):
        if not self.queue:
            return
        message = self.queue.pop(self.rng.randrange(len(self.queue)))
        src, dst, kind, payload = message
        if lossy and (self.cut(src, dst) or self.rng.random() < 0.15):
            self.retry.append(message)
            self.stats["lost"] += 1
            return
        incoming = self.decode(payload, dst)
        if kind == "budget":
            self.pending[dst].append(incoming)
        else:
            self.nodes[dst].merge_into(incoming)
        self.stats["delivered"] += 1

    def tick_budgets(self, budget=3):
        for index, pending in enumerate(self.pending):
            if pending:
                applied, remainder = self.nodes[index].merge_budgeted_into(pending.pop(0), budget)
                assert applied <= budget
                if remainder is not None:
                    pending.append(self.decode(remainder.encode(), index))
                self.stats["budget_ticks"] += 1

    def heal_and_drain(self):
        self.partition = None
        self.queue.extend(self.retry)
        self.retry = []
        while self.queue:
            self.deliver(lossy=False)
        for dummy in range(10000):
            if not any(self.pending):
                break
            self.tick_budgets()
        assert not any(self.pending), "budgeted merges make no progress"

    def anti_entropy(self, max_rounds=3):
        for rounds in range(1, max_rounds + 1):
            for src in range(len(self.nodes)):
                for dst in range(len(self.nodes)):
                    if src != dst:
                        delta, dummy = self.nodes[src].delta(self.nodes[dst])
                        self.nodes[dst].merge_into(self.decode(delta.encode(), dst))
            if len(set(node.root_digest() for node in self.nodes)) == 1:
                return rounds
        return None


def simulate(seed, size, steps):
    rng = random.Random(seed)
    cluster = Cluster(rng, size)
    partition_at = rng.randrange(steps // 2)
    heal_at = partition_at + rng.randrange(10, steps // 2)
    for step in range(steps):
        if step == partition_at:
            cluster.partition = set(rng.sample(range(size), rng.randrange(1, size)))
        if step == heal_at:
            cluster.partition = None
            cluster.queue.extend(cluster.retry)  # retry what was lost
            cluster.retry = []
        cluster.base.now += rng.randrange(0, 4)
        roll = rng.random()
        if roll < 0.4:
            cluster.local_op()
        elif roll < 0.65:
            cluster.send()
        else:
            cluster.deliver()
        cluster.tick_budgets()
    return cluster


@settings(max_examples=100, **SETTINGS)
@given(st.integers(0, 2 ** 32 - 1), st.integers(3, 5))
def test_chaos_convergence(seed, size):
    cluster = simulate(seed, size, steps=160)
    cluster.heal_and_drain()
    snapshots = [node.copy() for node in cluster.nodes]
    random.Random(seed).shuffle(snapshots)
    joined = reduce(lambda left, right: left.merge(right), snapshots)

    rounds = cluster.anti_entropy()
    assert rounds is not None, "replicas did not converge after anti-entropy"
    contents = set(node.content_bytes() for node in cluster.nodes)
    assert len(contents) == 1
    assert contents == set([joined.content_bytes()]), "converged state must be the join of all states"

    final = cluster.nodes[0]
    expected = {}
    for (name, key, stamp), value in cluster.writes.items():
        best = expected.get((name, key))
        if best is None or stamp > best[0]:
            expected[(name, key)] = (stamp, value)
    for (name, key), (stamp, value) in expected.items():
        assert final.lww(name).get_entry(key)[0] == stamp
        assert final.get(name, key) == value
    assert sum(len(final.lww(name).entries) for name in MAPS) == len(expected)
    assert final.spend_total() == cluster.spend
    members = set(final.quarantined.value())
    assert members <= cluster.added
    assert cluster.added - cluster.removed <= members, "an element never removed must survive (add wins)"


def test_chaos_harness_exercises_faults():
    """The harness really loses, duplicates and budget-applies messages."""
    totals = dict.fromkeys(["sent", "lost", "duplicated", "delivered", "budget_ticks"], 0)
    for seed in range(5):
        cluster = simulate(seed, 4, steps=160)
        cluster.heal_and_drain()
        assert cluster.anti_entropy() is not None
        for name, count in cluster.stats.items():
            totals[name] += count
    assert all(count > 0 for count in totals.values()), totals


def test_partitioned_replicas_diverge_then_converge():
    clock = FakeClock()
    left = Replica("eu-1", physical_clock=clock)
    right = Replica("us-1", physical_clock=clock)
    left.set("router_weights", "chat/v2", 0.2)
    right.merge_into(left)
    clock.now += 1
    left.set("router_weights", "chat/v2", 0.5)  # during the partition
    clock.now += 1
    right.set("router_weights", "chat/v2", 0.7)  # later write wins
    right.quarantine("gpu")
    assert left.root_digest() != right.root_digest()
    left_state = left.encode()
    left.merge_into(Replica.decode(right.encode(), physical_clock=clock))
    right.merge_into(Replica.decode(left_state, physical_clock=clock))
    assert left.root_digest() == right.root_digest()
    assert left.get("router_weights", "chat/v2") == 0.7
    assert left.is_quarantined("gpu")
