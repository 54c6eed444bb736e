# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare, merge and describe the replicas of several clusters (runbook "Federation Drift").

Plain functions over :class:`Replica` objects: the join of the healthy
replicas, which clusters diverge from it and on which keys (Merkle diff), the
conflicting keys (clusters holding different writes of one key) with the
winning write, and the budgeted merge step of one cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.spooky.ops.plugins.module_utils.crdt.hlc import stamp_to_obj
from ansible_collections.spooky.ops.plugins.module_utils.crdt.lww_map import TOMBSTONE, LWWMap


def entry_to_obj(entry, cluster=None):
    """JSON form of an LWW entry: value (null when deleted), deleted, stamp [wall, logical, node]."""
    stamp, value = entry
    out = {"value": None if value is TOMBSTONE else value, "deleted": value is TOMBSTONE, "stamp": stamp_to_obj(stamp), "node": stamp[2]}
    if cluster is not None:
        out["cluster"] = cluster
    return out


def content_obj(replica):
    """Live content of a replica: maps of live values, quarantined capabilities, spend total."""
    return {"maps": dict((name, lww.live_dict()) for name, lww in sorted(replica.maps.items())),
            "quarantined": sorted(replica.quarantined.value()),
            "spend": replica.spend_total()}


def join(replicas):
    """The join (merge) of replicas, a new replica with the first one's node id; None if empty."""
    out = None
    for replica in replicas:
        if out is None:
            out = replica.copy()
        else:
            out.merge_into(replica)
    return out


def key_diff(replica, other):
    """Map name -> sorted keys whose entries differ between two replicas (Merkle diff), plus set/counter flags."""
    keys = {}
    for name in sorted(set(replica.maps) | set(other.maps)):
        mine = replica.maps.get(name) or LWWMap()
        theirs = other.maps.get(name) or LWWMap()
        diff = mine.merkle().diff(theirs.merkle())
        if diff.keys:
            keys[name] = diff.keys
    return {"maps": keys,
            "quarantined": replica.quarantined.digest_hex() != other.quarantined.digest_hex(),
            "spend": replica.spend.digest_hex() != other.spend.digest_hex()}


def divergence(replicas, max_keys=100):
    """Which clusters differ from the join and on which keys.

    :param replicas: dict cluster -> Replica (healthy ones only).
    :returns: ``(joined, report)``; report has ``converged``, ``digests``,
        ``diverged`` (cluster names) and per cluster ``keys`` (map -> first
        ``max_keys`` keys), ``key_count`` and the set/counter flags.
    """
    joined = join(replicas[name] for name in sorted(replicas))
    digests = dict((name, replicas[name].root_digest()) for name in replicas)
    report = {"digests": digests, "diverged": [], "clusters": {}}
    if joined is None:
        report["converged"] = True
        return joined, report
    target = joined.root_digest()
    report["converged"] = len(set(digests.values())) <= 1
    report["join_digest"] = target
    for name in sorted(replicas):
        if digests[name] == target:
            continue
        diff = key_diff(replicas[name], joined)
        report["diverged"].append(name)
        report["clusters"][name] = {
            "key_count": sum(len(keys) for keys in diff["maps"].values()),
            "keys": dict((map_name, keys[:max_keys]) for map_name, keys in diff["maps"].items()),
            "quarantined_differs": diff["quarantined"], "spend_differs": diff["spend"]}
    return joined, report


def conflicts(replicas, joined, max_keys=1000):
    """Keys on which clusters hold different writes, with each write and the winner (the join's entry).

    Only keys some cluster lacks or holds differently from the join are looked
    at (found through the Merkle diffs), so converged maps cost nothing.
    """
    out = []
    if joined is None:
        return out, 0
    candidates = {}
    for name in sorted(replicas):
        for map_name, keys in key_diff(replicas[name], joined)["maps"].items():
            candidates.setdefault(map_name, set()).update(keys)
    total = 0
    for map_name in sorted(candidates):
        winner_map = joined.maps.get(map_name) or LWWMap()
        for key in sorted(candidates[map_name]):
            writes = []
            seen = set()
            for name in sorted(replicas):
                lww = replicas[name].maps.get(map_name)
                entry = lww.entries.get(key) if lww is not None else None
                if entry is None:
                    continue
                marker = (entry[0], repr(entry[1]))
                if marker in seen:
                    continue
                seen.add(marker)
                writes.append(entry_to_obj(entry, name))
            if len(writes) < 2:
                continue
            total += 1
            if len(out) < max_keys:
                winner = winner_map.entries.get(key)
                out.append({"map": map_name, "key": key, "writes": writes, "winner": entry_to_obj(winner) if winner else None})
    return out, total


def budgeted_step(joined, budget):
    """A ``mutate`` callable for :meth:`ReplicaStore.update`: merge at most ``budget`` keys of ``joined``.

    Returns a dict ``{"applied": n, "remaining": m}`` (truthy when something was applied).
    """
    def mutate(replica):
        delta, _comparisons = joined.delta(replica)
        if budget:
            applied, remainder = replica.merge_budgeted_into(delta, budget)
        else:
            applied, remainder = replica.merge_into(delta), None
        remaining = 0
        if remainder is not None:
            remaining = sum(len(lww.entries) for lww in remainder.maps.values())
            remaining += int(len(remainder.quarantined) > 0) + int(bool(remainder.spend.p or remainder.spend.n))
        state = {"applied": applied, "remaining": remaining}
        mutate.state = state
        return applied
    mutate.state = {"applied": 0, "remaining": 0}
    return mutate


def cluster_client_args(params, context, auth_keys):
    """kubernetes.core auth arguments of one cluster: the module's, with ``context`` replaced."""
    args = dict((key, params.get(key)) for key in auth_keys if params.get(key) is not None)
    args["context"] = context
    return args
