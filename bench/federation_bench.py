# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: playbooks/federation_reconcile.yml reconciling 3 lab clusters x 10k keys with 1% divergence.

Run from the repository root with the repository's virtualenv::

    python bench/federation_bench.py [--keys 10000] [--divergence 0.01] [--running]

Without ``--running`` it starts a lab of its own on free ports in a temporary directory (and stops it);
with ``--running`` it uses the lab the SPOOKY_LAB_* environment points at (careful: it overwrites the
federation replicas there). It seeds every cluster with the same ``keys`` router weights, changes
``divergence`` of the keys on each dependent (different values, so they conflict), then times the
playbook (detect, reconcile, verify) and a second, no-op run. Goal: the reconcile run under 60 s on a
shared 2-core machine. No timing assertions: timings depend on the machine.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO, 'collections'), os.path.join(REPO, '.deps', 'collections'), os.path.join(REPO, 'lab')]

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import Replica  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.federation.store import KubernetesConfigMaps, ReplicaStore  # noqa: E402

CLUSTERS = ['lab-east', 'lab-west', 'lab-edge']
PORT_VARS = {'SPOOKY_LAB_API_BASE_PORT': 3, 'SPOOKY_LAB_CONTROL_BASE_PORT': 3, 'SPOOKY_LAB_PROMETHEUS_PORT': 1,
             'SPOOKY_LAB_DEMO_APP_PORT': 1, 'SPOOKY_LAB_POSTGRES_PORT': 1, 'SPOOKY_LAB_REDIS_PORT': 1, 'SPOOKY_LAB_S3_PORT': 1,
             'SPOOKY_LAB_NATS_PORT': 1, 'SPOOKY_LAB_NATS_MONITOR_PORT': 1, 'SPOOKY_LAB_ALERTMANAGER_PORT': 1,
             'SPOOKY_LAB_HEALTH_BASE_PORT': 3}
GOAL_SECONDS = 60.0


def _free_block(count, taken):
    for dummy in range(500):
        base = random.randint(30000, 60000)
        ports = set(range(base, base + count))
        if ports & taken:
            continue
        ok = True
        for port in ports:
            with socket.socket() as sock:
                try:
                    sock.bind(('127.0.0.1', port))
                except OSError:
                    ok = False
                    break
        if ok:
            taken.update(ports)
            return base
    raise RuntimeError('no free port block found')


def seed(kubeconfig, keys, divergence, rng):
    base = Replica('lab-east')
    for index in range(keys):
        base.set('router_weights', 'service-%05d/region-%d' % (index, index % 7), index % 101)
    changed = max(1, int(keys * divergence))
    for cluster in CLUSTERS:
        replica = Replica(cluster)
        replica.rehydrate_from(base)
        if cluster != 'lab-east':
            for index in rng.sample(range(keys), changed):
                replica.set('router_weights', 'service-%05d/region-%d' % (index, index % 7), '%s-%d' % (cluster, index))
        store = ReplicaStore(KubernetesConfigMaps(get_api_client(kubeconfig=kubeconfig, context=cluster)), cluster)
        stored = store.read()
        if stored.quarantine is not None:
            stored = type(stored)(stored.exists, type(stored.admission)(replica=replica), stored.versions, stored.shard_count)
        store.write(replica, stored)
    return changed


def run_playbook(env):
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), os.path.join(REPO, 'playbooks', 'federation_reconcile.yml'),
           '-i', os.path.join(REPO, 'inventories', 'lab')]
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit('federation_reconcile.yml failed:\n' + result.stdout[-3000:])
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--keys', type=int, default=10000)
    parser.add_argument('--divergence', type=float, default=0.01)
    parser.add_argument('--running', action='store_true', help='use the lab the environment points at')
    args = parser.parse_args()
    from spooky_lab import config as lab_config
    from spooky_lab import lab as lab_control
    env = dict(os.environ)
    own = None
    if not args.running:
        taken = set()
        own = tempfile.mkdtemp(prefix='federation-bench-')
        env.update((name, str(_free_block(count, taken))) for name, count in PORT_VARS.items())
        env['SPOOKY_LAB_DIR'] = os.path.join(own, 'lab')
        env['SPOOKY_REPORTS_DIR'] = os.path.join(own, 'reports')
        os.environ.update(env)
    cfg = lab_config.load()
    env.update({'ANSIBLE_CONFIG': os.path.join(REPO, 'ansible.cfg'), 'PYTHONPATH': os.path.join(REPO, 'lab'),
                'ANSIBLE_COLLECTIONS_PATH': os.path.join(REPO, 'collections') + ':' + os.path.join(REPO, '.deps', 'collections')})
    try:
        if own:
            print('starting a lab of its own in %s ...' % own)
            lab_control.up(cfg)
        started = time.perf_counter()
        changed = seed(str(cfg.kubeconfig), args.keys, args.divergence, random.Random(20261124))
        print('seeded %d clusters x %d keys, %d keys changed on each dependent (%.1f s)'
              % (len(CLUSTERS), args.keys, changed, time.perf_counter() - started))
        reconcile = run_playbook(env)
        reports = env.get('SPOOKY_REPORTS_DIR') or os.path.join(REPO, 'reports')
        with open(os.path.join(reports, 'federation_reconcile.json')) as handle:
            report = json.load(handle)
        noop = run_playbook(env)
        print('federation_reconcile.yml, 3 clusters x %d keys, %.1f%% divergence: %.1f s (goal < %.0f s); '
              'converged=%s, conflicting keys=%d; second run (nothing to do): %.1f s'
              % (args.keys, args.divergence * 100, reconcile, GOAL_SECONDS, report['converged'], report['conflict_count'], noop))
    finally:
        if own:
            lab_control.down(cfg)


if __name__ == '__main__':
    main()
