# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.spooky.ops.plugins.module_utils.policy import bundle as _bundle


def policy_digest(files):
    """The bundle digest of a policy directory (a path) or of a {file or ConfigMap key: content} mapping."""
    try:
        if isinstance(files, str):
            return _bundle.dir_digest(files)
        if isinstance(files, dict):
            return _bundle.data_digest(dict((to_text(k), to_text(v)) for k, v in files.items()))
    except (_bundle.BundleError, OSError, UnicodeError) as exc:
        raise AnsibleFilterError("spooky.ops.policy_digest: %s" % exc)
    raise AnsibleFilterError("spooky.ops.policy_digest: expected a directory path or a mapping of files, got %s" % type(files).__name__)


def _subject(obj):
    if not isinstance(obj, dict):
        return None
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if not obj.get("kind") or not meta.get("name"):
        return None
    if meta.get("namespace"):
        return "%s %s/%s" % (obj["kind"], meta["namespace"], meta["name"])
    return "%s %s" % (obj["kind"], meta["name"])


def policy_violations(result, inputs=None):
    """Every deny reason of a spooky.ops.opa_eval result, one entry each: source (the label), subject, reason."""
    if not isinstance(result, dict) or not isinstance(result.get("decisions"), list):
        raise AnsibleFilterError("spooky.ops.policy_violations: expected a registered spooky.ops.opa_eval result")
    if inputs is not None and (not isinstance(inputs, list) or len(inputs) != len(result["decisions"])):
        raise AnsibleFilterError("spooky.ops.policy_violations: inputs must be the list of the %d inputs evaluated"
                                 % len(result["decisions"]))
    violations = []
    for index, decision in enumerate(result["decisions"]):
        if decision.get("allow"):
            continue
        subject = _subject(inputs[index]) if inputs is not None else None
        for reason in decision.get("reasons") or []:
            violations.append(dict(source=decision.get("label"), subject=subject, path=decision.get("path"), reason=reason))
    return violations


class FilterModule(object):
    def filters(self):
        return {"policy_digest": policy_digest, "policy_violations": policy_violations}
