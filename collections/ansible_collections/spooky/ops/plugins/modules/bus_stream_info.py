#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bus_stream_info
short_description: Depth, lag and consumers of a NATS JetStream stream
version_added: 0.2.0
description:
  - Reads the state of a JetStream stream - how many messages it holds (its depth, and the ratio to its C(max_msgs)), the age
    of its oldest message (the lag of a work queue), and every consumer with its pending and unacknowledged counts.
  - The module only reads. An unreachable server is reported as RV(bus_available=false), not as a failure.
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
  stream:
    description:
      - Name of the stream, for example V(NOTIFY).
    type: str
    required: true
  read_messages:
    description:
      - Also return the stream's messages (oldest first), for replays and audits, up to O(max_messages).
    type: bool
    default: false
  subject:
    description:
      - With O(read_messages), only the messages of this subject.
    type: str
  max_messages:
    description:
      - With O(read_messages), at most this many messages.
    type: int
    default: 1000
"""

EXAMPLES = r"""
- name: How deep is the notifier queue
  spooky.ops.bus_stream_info:
    servers: [nats://127.0.0.1:14222]
    stream: NOTIFY
  register: notify

- name: Queue below 80 percent
  ansible.builtin.assert:
    that: not notify.bus_available or (notify.depth_ratio | default(0, true)) < 0.8
    fail_msg: "The NOTIFY queue holds {{ notify.depth }} messages"
"""

RETURN = r"""
bus_available:
  description: Whether the server answered.
  returned: always
  type: bool
  sample: true
exists:
  description: Whether the stream exists.
  returned: always
  type: bool
  sample: true
depth:
  description: Messages stored in the stream.
  returned: when the stream exists
  type: int
  sample: 450
depth_ratio:
  description: RV(depth) divided by the stream's C(max_msgs), or null when the stream has no such limit.
  returned: when the stream exists
  type: float
  sample: 0.9
lag_seconds:
  description: Age of the oldest message in the stream, or null when it is empty.
  returned: when the stream exists
  type: float
  sample: 12.5
first_seq:
  description: Sequence of the oldest message.
  returned: when the stream exists
  type: int
  sample: 1
last_seq:
  description: Sequence of the newest message.
  returned: when the stream exists
  type: int
  sample: 450
bytes:
  description: Bytes stored.
  returned: when the stream exists
  type: int
  sample: 20480
max_msgs:
  description: The stream's message limit (-1 for none).
  returned: when the stream exists
  type: int
  sample: 500
duplicate_window:
  description: The stream's duplicate window, in seconds.
  returned: when the stream exists
  type: float
  sample: 120.0
subjects:
  description: Subjects the stream takes.
  returned: when the stream exists
  type: list
  elements: str
  sample: ["notify.telegram"]
consumer_count:
  description: Number of consumers.
  returned: when the stream exists
  type: int
  sample: 1
consumers:
  description: Every consumer with its name, pending and unacknowledged counts and delivered and acknowledged stream sequences.
  returned: when the stream exists
  type: list
  elements: dict
  sample: [{"name": "telegram-notifier", "num_pending": 440, "num_ack_pending": 0, "num_redelivered": 0,
            "delivered_stream_seq": 10, "ack_floor_stream_seq": 10}]
messages:
  description:
    - With O(read_messages), the messages with their sequence, subject, message id (C(Nats-Msg-Id)) and body
      (parsed when it is JSON, else text).
  returned: when read_messages is true and the stream exists
  type: list
  elements: dict
  sample: [{"seq": 1, "subject": "events.promotion", "msg_id": "e-1", "data": {"variant": "v2", "action": "promote"}}]
error:
  description: Why the server could not be asked, or why the stream was not found.
  returned: when bus_available is false or exists is false
  type: str
  sample: "NATS at nats://127.0.0.1:14222 is unreachable: [Errno 111] Connection refused"
"""

import json

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.spooky.ops.plugins.module_utils.bus import client
from ansible_collections.spooky.ops.plugins.module_utils.bus.common import auth, check_nats_params, nats_argument_spec


def _decode(data):
    text = to_text(data or b"", errors="surrogate_or_replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def main():
    argument_spec = nats_argument_spec()
    argument_spec.update(stream=dict(type="str", required=True), read_messages=dict(type="bool", default=False),
                         subject=dict(type="str"), max_messages=dict(type="int", default=1000))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, mutually_exclusive=[("token", "user")])
    params = module.params
    problem = check_nats_params(params)
    if not problem and (not params["stream"] or any(c in params["stream"] for c in " \t.*>/\\")):
        problem = "stream must be a stream name (no spaces, dots or wildcards), got %r" % (params["stream"],)
    if not problem and not 1 <= params["max_messages"] <= 100000:
        problem = "max_messages must be within 1..100000, got %d" % params["max_messages"]
    if problem:
        module.fail_json(msg=problem)
    if not client.HAS_NATS:
        module.fail_json(msg=missing_required_lib("nats-py"), exception=client.NATS_IMPORT_ERROR)
    result = dict(changed=False, bus_available=True, exists=True)
    try:
        result.update(client.stream_info(params["servers"], params["stream"], timeout=params["timeout"], **auth(params)))
        if params["read_messages"]:
            read = client.read_stream(params["servers"], params["stream"], subject=params["subject"], timeout=params["timeout"],
                                      limit=params["max_messages"], **auth(params))
            result["messages"] = [dict(seq=m["seq"], subject=m["subject"], msg_id=m["msg_id"], data=_decode(m["data"])) for m in read]
    except client.BusUnavailable as exc:
        result.update(bus_available=False, exists=False, error=str(exc))
    except client.BusError as exc:
        result.update(exists=False, error=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
