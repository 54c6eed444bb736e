# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.spooky.ops.plugins.module_utils.signing.digest import DIRECTORY_SIGNATURE, SIGNATURE_SUFFIX, compute
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError


def manifest_digest(path, exclude=None):
    """The canonical digest (sha256:<hex>) of a file or directory on the controller."""
    if not isinstance(path, str):
        raise AnsibleFilterError("spooky.ops.manifest_digest: expected a path, got %s" % type(path).__name__)
    try:
        return compute(os.path.expanduser(path), exclude=list(exclude or [])).value
    except (SigningError, IOError, OSError) as exc:
        raise AnsibleFilterError("spooky.ops.manifest_digest: %s" % to_native(exc))


def signature_subject(path):
    """What a signature file signs: <dir>/SIGNATURE.sig -> <dir>, <file>.sig -> <file>."""
    if not isinstance(path, str) or not path.endswith(SIGNATURE_SUFFIX):
        raise AnsibleFilterError("spooky.ops.signature_subject: %r is not a signature path (*%s)" % (path, SIGNATURE_SUFFIX))
    if os.path.basename(path) == DIRECTORY_SIGNATURE:
        return os.path.dirname(path)
    return path[:-len(SIGNATURE_SUFFIX)]


class FilterModule(object):
    def filters(self):
        return {"manifest_digest": manifest_digest, "signature_subject": signature_subject}
