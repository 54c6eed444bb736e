#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_freshness
short_description: Check that every backup set has a recent backup in S3-compatible storage
version_added: 0.1.0
description:
  - Lists the manifests under O(prefix) of O(bucket) and grades the age of the newest one of each backup set (the
    first path component under the prefix). Older than its maximum age is V(warning), older than twice it or an
    O(expected_sets) entry without any backup is V(critical).
  - The daily checks of the runbooks "Verify backup completion" (ORCA, seed 003) and "Check backup success"
    (Phoenix, seed 002).
  - Storage that cannot be read is reported as data (RV(available=false)), never as a failed task.
  - The module only reads and runs fully in check mode.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
requirements:
  - boto3
options:
  bucket:
    description:
      - The bucket holding the backups.
    type: str
    required: true
  prefix:
    description:
      - The prefix under which each backup set has its own folder.
    type: str
    default: ""
  manifest_suffix:
    description:
      - How the name of a backup's manifest ends.
    type: str
    default: manifest.json
  max_age:
    description:
      - Maximum age of a set's newest backup, a duration such as V(26h).
    type: str
    default: 26h
  max_age_by_set:
    description:
      - Maximum age per backup set (a duration per set name), overriding O(max_age); for example V(30m) for C(redis).
    type: dict
    default: {}
  expected_sets:
    description:
      - Backup sets that must exist; one without any backup is V(critical).
    type: list
    elements: str
    default: []
  endpoint_url:
    description:
      - URL of an S3-compatible endpoint (MinIO, the lab's moto); AWS when not set.
    type: str
  region:
    description:
      - The region.
    type: str
    default: us-east-1
  access_key:
    description:
      - Access key id; the usual AWS credential chain when not set.
    type: str
  secret_key:
    description:
      - Secret access key.
    type: str
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Every backup set has a backup of the last day (Redis of the last 30 minutes)
  spooky.ops.backup_freshness:
    bucket: spooky-backups
    prefix: lab-east
    endpoint_url: http://127.0.0.1:15000
    access_key: spooky-lab
    secret_key: "{{ backup_secret_key }}"
    max_age: 26h
    max_age_by_set:
      redis: 30m
  register: backups
"""

RETURN = r"""
status:
  description: The worst status of the sets (V(ok) when there is none).
  returned: always
  type: str
  sample: ok
available:
  description: Whether the storage could be listed.
  returned: always
  type: bool
  sample: true
error:
  description: Why the storage could not be listed.
  returned: when available is false
  type: str
  sample: "Could not connect to the endpoint URL"
sets:
  description: One entry per backup set (name, newest, age_seconds, max_age_seconds, status, message, manifest).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "postgres", "newest": "2026-01-31T01:00:00Z", "age_seconds": 3600.0, "status": "ok"}]
location:
  description: The location checked, s3://bucket/prefix.
  returned: always
  type: str
  sample: s3://spooky-backups/lab-east
configured:
  description: Always true for this module (the daily check reports a skipped check as not configured).
  returned: always
  type: bool
  sample: true
"""

import calendar
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.spooky.ops.plugins.module_utils.backup_freshness import grade_sets, newest_manifests
from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration

try:
    import boto3
    from botocore.config import Config as BotoConfig
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = traceback.format_exc()

_RANK = {"ok": 0, "warning": 1, "critical": 2}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            prefix=dict(type="str", default=""),
            manifest_suffix=dict(type="str", default="manifest.json"),
            max_age=dict(type="str", default="26h"),
            max_age_by_set=dict(type="dict", default={}),
            expected_sets=dict(type="list", elements="str", default=[]),
            endpoint_url=dict(type="str"),
            region=dict(type="str", default="us-east-1"),
            access_key=dict(type="str", no_log=True),
            secret_key=dict(type="str", no_log=True),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3"), exception=BOTO3_IMPORT_ERROR)
    try:
        max_age = parse_duration(p["max_age"])
        by_set = dict((name, parse_duration(value)) for name, value in p["max_age_by_set"].items())
    except ValueError as exc:
        module.fail_json(msg="max_age: %s" % exc)
    if max_age <= 0 or any(v <= 0 for v in by_set.values()):
        module.fail_json(msg="maximum ages must be positive")

    location = "s3://%s/%s" % (p["bucket"], p["prefix"].strip("/"))
    result = dict(changed=False, configured=True, available=True, sets=[], status="ok", location=location)
    objects = []
    try:
        s3 = boto3.client("s3", endpoint_url=p["endpoint_url"], region_name=p["region"], aws_access_key_id=p["access_key"],
                          aws_secret_access_key=p["secret_key"], verify=p["validate_certs"],
                          config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10))
        paginator = s3.get_paginator("list_objects_v2")
        prefix = p["prefix"].strip("/")
        for page in paginator.paginate(Bucket=p["bucket"], Prefix=prefix + "/" if prefix else ""):
            for item in page.get("Contents") or []:
                objects.append((item["Key"], calendar.timegm(item["LastModified"].utctimetuple())))
    except Exception as exc:  # pylint: disable=broad-except
        result.update(available=False, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__, status="warning")
        module.exit_json(**result)
    result["sets"] = grade_sets(newest_manifests(objects, p["prefix"], p["manifest_suffix"]), time.time(), max_age, by_set,
                                p["expected_sets"])
    for item in result["sets"]:
        if _RANK[item["status"]] > _RANK[result["status"]]:
            result["status"] = item["status"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
