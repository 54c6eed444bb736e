#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bus_publish
short_description: Publish a control command or an event to NATS JetStream, exactly once
version_added: 0.2.0
description:
  - Publishes one message to a JetStream stream with a message id (the C(Nats-Msg-Id) header) and waits for the stream's acknowledgement.
  - JetStream drops a message whose id it has already stored within the stream's duplicate window. The module then reports
    RV(duplicate=true) and no change, so running the same task twice with the same O(msg_id) publishes once.
  - In check mode nothing is published; the module reports what it would send.
  - An unreachable server is reported as data (RV(bus_available=false)) and the task fails only if O(fail_on_unavailable) is set.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.nats
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  subject:
    description:
      - Subject to publish to, for example V(dashboard.control.command) or V(config.update). A stream must take it.
    type: str
    required: true
  payload:
    description:
      - The message body. A dict or list is sent as JSON (keys sorted), a string as it is.
    type: raw
    required: true
  msg_id:
    description:
      - The message id for JetStream's deduplication. Without it an id is derived from the subject and the payload,
        so the same command published twice within the duplicate window is stored once.
    type: str
  stream:
    description:
      - Expected stream; the server refuses the message when the subject belongs to another stream.
    type: str
  headers:
    description:
      - Extra message headers.
    type: dict
    default: {}
  fail_on_unavailable:
    description:
      - Fail the task when the server cannot be reached, instead of returning RV(bus_available=false).
    type: bool
    default: true
notes:
  - The duplicate window is a property of the stream (JetStream's default is two minutes). An id older than the window is
    accepted again.
"""

EXAMPLES = r"""
- name: Pause the Telegram notifier (Queue Saturation Remediation, seed 004)
  spooky.ops.bus_publish:
    servers: [nats://127.0.0.1:14222]
    subject: dashboard.control.command
    payload: {command: pipeline.pause, module: modules.output.telegram_notifier}
    msg_id: "pause-telegram-{{ incident_id }}"
  register: paused

- name: Republish the rate limiter settings
  spooky.ops.bus_publish:
    servers: [nats://127.0.0.1:14222]
    subject: config.update
    payload:
      modules:
        modules.output.telegram_notifier: {rate_limit: 50}
"""

RETURN = r"""
published:
  description: Whether a message was stored by this run (false in check mode, for a duplicate, or when the bus is unavailable).
  returned: always
  type: bool
  sample: true
duplicate:
  description: Whether JetStream recognised the message id as already stored and dropped the message.
  returned: always
  type: bool
  sample: false
stream:
  description: The stream that stored (or already had) the message.
  returned: when the bus answered
  type: str
  sample: CONTROL
seq:
  description: Sequence number of the message in the stream (of the first copy for a duplicate).
  returned: when the bus answered
  type: int
  sample: 42
msg_id:
  description: The message id sent.
  returned: always
  type: str
  sample: pause-telegram-INC-7
subject:
  description: The subject.
  returned: always
  type: str
  sample: dashboard.control.command
bus_available:
  description: Whether the server could be reached.
  returned: always
  type: bool
  sample: true
error:
  description: Why the server could not be reached.
  returned: when bus_available is false
  type: str
  sample: "NATS at nats://127.0.0.1:14222 is unreachable: [Errno 111] Connection refused"
"""

import hashlib
import json

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.spooky.ops.plugins.module_utils.bus import client
from ansible_collections.spooky.ops.plugins.module_utils.bus.common import auth, check_nats_params, nats_argument_spec


def encode_payload(payload):
    if isinstance(payload, (dict, list)):
        return to_bytes(json.dumps(payload, sort_keys=True, separators=(",", ":")))
    if isinstance(payload, (bool, int, float)) or payload is None:
        return to_bytes(json.dumps(payload))
    return to_bytes(payload)


def derived_msg_id(subject, data):
    return "sha256-" + hashlib.sha256(to_bytes(subject) + b"\n" + data).hexdigest()[:32]


def main():
    argument_spec = nats_argument_spec()
    argument_spec.update(
        subject=dict(type="str", required=True),
        payload=dict(type="raw", required=True),
        msg_id=dict(type="str"),
        stream=dict(type="str"),
        headers=dict(type="dict", default={}),
        fail_on_unavailable=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, mutually_exclusive=[("token", "user")])
    params = module.params
    problem = check_nats_params(params)
    subject = params["subject"]
    if not problem and (not subject or any(c in subject for c in " \t\r\n*>") or subject.startswith(".") or subject.endswith(".")
                        or ".." in subject):
        problem = "subject must be a literal NATS subject (no spaces, no wildcards), got %r" % (subject,)
    if not problem and params["msg_id"] is not None and not params["msg_id"].strip():
        problem = "msg_id must not be empty"
    if problem:
        module.fail_json(msg=problem)
    if not client.HAS_NATS:
        module.fail_json(msg=missing_required_lib("nats-py"), exception=client.NATS_IMPORT_ERROR)

    data = encode_payload(params["payload"])
    msg_id = params["msg_id"] or derived_msg_id(subject, data)
    headers = dict((str(k), str(v)) for k, v in params["headers"].items())
    result = dict(changed=False, published=False, duplicate=False, msg_id=msg_id, subject=subject, bus_available=True)
    if module.check_mode:
        result["changed"] = True
        module.exit_json(**result)
    try:
        ack = client.publish(params["servers"], subject, data, msg_id=msg_id, stream=params["stream"], timeout=params["timeout"],
                             headers=headers, **auth(params))
    except client.BusUnavailable as exc:
        result.update(bus_available=False, error=str(exc))
        if params["fail_on_unavailable"]:
            module.fail_json(msg=str(exc), **result)
        module.exit_json(**result)
    except client.BusError as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(stream=ack["stream"], seq=ack["seq"], duplicate=ack["duplicate"], published=not ack["duplicate"],
                  changed=not ack["duplicate"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
