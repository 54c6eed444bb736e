"""The DR drill against the lab: a cluster is wiped and comes back from the backups; the report shows RTO and RPO."""

import json
import os
import signal
from pathlib import Path

from kubernetes import config as k8s_config
from kubernetes import dynamic

from spooky_lab.services import postgres, redis

DR_KINDS = json.dumps({"backup_kinds": ["postgres", "redis", "kubernetes"], "backup_kubernetes_clusters": ["lab-west"]})


def test_dr_drill_restores_a_wiped_cluster_and_reports_rto_and_rpo(lab, lab_env, run_playbook):
    client = dynamic.DynamicClient(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context="lab-west"))
    secrets = client.resources.get(api_version="v1", kind="Secret")
    secrets.create(namespace="demo", body={"metadata": {"name": "demo-db"}, "type": "Opaque",
                                           "data": {"password": "c3Bvb2t5LWRy"}})
    backup = run_playbook("playbooks/backup.yml", "-e", DR_KINDS)
    assert backup.returncode == 0, backup.stdout[-4000:]

    try:
        drill = run_playbook("playbooks/dr_drill.yml", "-e", "dr_drill_cleanup=false")
        check_drill(lab, lab_env, client, secrets, drill)
    finally:  # the DR redis-server is not a lab process: stop it whatever happened
        pid_file = Path(lab_env["SPOOKY_LAB_DIR"]) / "dr-redis" / "redis.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass


def check_drill(lab, lab_env, client, secrets, drill):
    assert drill.returncode == 0, drill.stdout[-4000:]
    report = json.loads((Path(lab_env["SPOOKY_REPORTS_DIR"]) / "dr_drill.json").read_text())
    assert report["status"] == "pass" and report["cluster"] == "lab-west"
    assert 0 < report["rto_seconds"] <= report["rto_target_seconds"]
    assert report["rto_met"] and report["rpo_met"] and report["daily_check"] != "critical"
    rpo = {entry["source"]: entry for entry in report["rpo"]}
    assert set(rpo) == {"kubernetes-lab-west", "postgres-orca", "redis"}
    for entry in rpo.values():
        assert 0 <= entry["rpo_seconds"] <= entry["target_seconds"] and entry["met"]
    assert all(source["status"] == "pass" for source in report["sources"])

    # the workload and its Secret are back on the wiped cluster, the data in the DR targets
    deployments = client.resources.get(api_version="apps/v1", kind="Deployment").get(namespace="demo")
    assert {d.metadata.name for d in deployments.items} >= {"demo-stable", "demo-canary"}
    assert secrets.get(namespace="demo", name="demo-db").data["password"] == "c3Bvb2t5LWRy"
    conn = postgres.connect(lab.host, lab.postgres_port, postgres.password(lab), "orca_dr")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM trust_events")
            assert cur.fetchone()[0] == 4000
    finally:
        conn.close()
    dr_redis = next(s for s in report["sources"] if s["source"] == "redis")["checks"][0]
    port = int(dr_redis["target"].rsplit(":", 1)[1])
    assert redis.client(lab.host, port).hget("phoenix:agent:0001", "name") == b"agent-0001"
