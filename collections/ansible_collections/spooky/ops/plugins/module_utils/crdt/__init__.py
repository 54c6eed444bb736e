# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Federation CRDT library (plain Python, standard library only).

One concern per module; import what you need from the submodule, e.g.::

    from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import Replica, admit_replica

Modules: ``hlc`` (hybrid logical clock), ``lww_map`` (LWW map with
tombstones), ``orswot`` (observed-remove set without tombstones),
``pncounter``, ``merkle`` (bucketed hash tree and diff), ``gc`` (tombstone GC
rules), ``shards`` (ConfigMap-sized shards + manifest), ``encoding``
(canonical JSON, strict decoding), ``replica`` (the per-cluster document:
encode/decode, validation and quarantine, merge, delta, budgeted merge, GC),
``errors``.

The package deliberately imports nothing so that a module only ships the
submodules it uses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
