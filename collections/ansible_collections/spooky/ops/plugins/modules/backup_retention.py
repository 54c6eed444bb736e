#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_retention
short_description: Prune the backup sets of a source in S3 by grandfather-father-son retention
version_added: 0.1.0
description:
  - Lists the sets of one source under C(<prefix>/<source>/) and keeps, per tier, the newest set of each of the
    last N hours, days, ISO weeks, months or years that have a backup (O(policy) or a named O(profile)); deletes
    the others.
  - Never deletes the newest complete set, the newest verified set (one whose restore verification passed), a
    complete set inside the RPO window (O(rpo)), or an incomplete set (no manifest) younger than
    O(incomplete_grace); deletes nothing at all while O(after_set), the backup just taken, has not completed.
  - Deletes the manifest of a set first, so a set half deleted is never taken for a complete one. Aborts the
    multipart uploads under the prefix older than O(incomplete_grace), what a killed upload leaves behind.
  - In check mode, RV(pruned) lists what would go and nothing is deleted. A second run changes nothing.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.backup.store
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
options:
  source:
    description:
      - The source whose sets are pruned, for example V(postgres-orca) or V(redis).
    type: str
    required: true
  policy:
    description:
      - How many sets each tier keeps, for example 24 C(hourly), 7 C(daily) and 4 C(weekly).
      - Tiers are C(last), C(hourly), C(daily), C(weekly), C(monthly) and C(yearly). One of O(policy) and O(profile) is required.
    type: dict
  profile:
    description:
      - A named policy from the runbooks. V(phoenix-redis) keeps 24 hourly, 7 daily and 4 weekly sets (seed 002);
        V(orca-postgres) 7 daily, 4 weekly and 12 monthly (seed 003).
    type: str
    choices: [phoenix-redis, orca-postgres]
  rpo:
    description:
      - Keep every complete set younger than this (a duration such as V(15m) or V(24h)).
    type: str
    default: "0s"
  incomplete_grace:
    description:
      - An incomplete set (no manifest) younger than this may be a backup still uploading and is kept.
    type: str
    default: "24h"
  after_set:
    description:
      - The set id of the backup just taken. Nothing is pruned unless that set is complete.
      - In check mode it is taken as complete, to show what would go once it completes.
    type: str
  now:
    description:
      - The time to plan for (ISO 8601). Defaults to now; for what-if plans.
    type: str
  abort_stale_uploads:
    description:
      - Abort multipart uploads under the source's prefix older than O(incomplete_grace).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Retention | keep 7 daily, 4 weekly, 12 monthly dumps of orca, after tonight's backup
  spooky.ops.backup_retention:
    bucket: spooky-backups
    prefix: lab
    source: postgres-orca
    profile: orca-postgres
    rpo: 24h
    after_set: "{{ backup_set_id }}"
  register: retention

- name: Retention | what would go (check mode lists, deletes nothing)
  spooky.ops.backup_retention:
    bucket: spooky-backups
    endpoint_url: http://127.0.0.1:15000
    source: redis
    policy: {hourly: 24, daily: 7, weekly: 4}
  check_mode: true
"""

RETURN = r"""
pruned:
  description: Set ids deleted (in check mode, that would be deleted), oldest last, each with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"set_id": "20260101T020000Z", "time": "2026-01-01T02:00:00Z", "reason": "outside every retention tier"}]
kept:
  description: Set ids kept, each with every reason it is kept.
  returned: always
  type: list
  elements: dict
  sample: [{"set_id": "20260124T020000Z", "verified": true, "reasons": ["newest complete backup", "daily 2026-01-24"]}]
blocked:
  description: Why nothing was pruned although the plan prunes sets (the new backup has not completed).
  returned: when pruning was blocked
  type: str
aborted_uploads:
  description: Stale multipart uploads aborted (in check mode, that would be aborted).
  returned: always
  type: list
  elements: dict
policy:
  description: The policy applied, every tier with its count.
  returned: always
  type: dict
  sample: {"last": 0, "hourly": 0, "daily": 7, "weekly": 4, "monthly": 12, "yearly": 0}
verified_kept:
  description: How many verified sets remain.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog, options, prune, retention, s3
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError, StoreError
from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration


def main():
    module = AnsibleModule(
        argument_spec=options.spec(
            options.STORE,
            source=dict(type="str", required=True),
            policy=dict(type="dict"),
            profile=dict(type="str", choices=sorted(retention.PROFILES)),
            rpo=dict(type="str", default="0s"),
            incomplete_grace=dict(type="str", default="24h"),
            after_set=dict(type="str"),
            now=dict(type="str"),
            abort_stale_uploads=dict(type="bool", default=True),
        ),
        mutually_exclusive=[("policy", "profile")],
        required_one_of=[("policy", "profile")],
        supports_check_mode=True,
    )
    params = module.params
    try:
        catalog.check_source(params["source"])
        policy = retention.check_policy(params["policy"] if params["policy"] is not None else params["profile"])
        rpo = parse_duration(params["rpo"])
        grace = parse_duration(params["incomplete_grace"])
        now = catalog.parse_time(params["now"]) if params["now"] else catalog.utcnow()
        if params["after_set"]:
            catalog.parse_set_id(params["after_set"])
    except (BackupError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    if not s3.HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3 and botocore"), exception=str(s3.BOTO3_IMPORT_ERROR))

    try:
        store = options.store(params)
        outcome = prune.apply(store, params["prefix"], params["source"], policy, rpo=rpo, incomplete_grace=grace,
                              after_set=params["after_set"], now=now, check_mode=module.check_mode,
                              abort_stale_uploads=params["abort_stale_uploads"])
    except (StoreError, BackupError) as exc:
        module.fail_json(msg=str(exc), store_available=False)

    before = outcome.pop("sets")
    gone = set(p["set_id"] for p in outcome["pruned"])
    result = dict(outcome, store_available=True)
    if module._diff:
        result["diff"] = dict(before="\n".join(before) + "\n", after="\n".join(i for i in before if i not in gone) + "\n")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
