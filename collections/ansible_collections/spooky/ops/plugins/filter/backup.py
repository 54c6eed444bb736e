# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog, compare, kube, rediscli, retention
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError
from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration


def _wrap(name, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except (BackupError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.%s: %s" % (name, exc))


def backup_sets(keys, prefix, source):
    return _wrap("backup_sets", catalog.sets_from_keys, keys, prefix, source)


def backup_retention(sets, policy, now=None, rpo="0s", incomplete_grace="24h", after_set=None):
    def run():
        return retention.plan(sets, policy, now=now, rpo=parse_duration(rpo), incomplete_grace=parse_duration(incomplete_grace),
                              after_set=after_set)
    return _wrap("backup_retention", run)


def backup_compare(expected, actual, kind):
    return _wrap("backup_compare", compare.content, kind, expected, actual)


def redis_keyspace(info):
    return _wrap("redis_keyspace", rediscli.keyspace, info)


def k8s_backup_clean(objects):
    return _wrap("k8s_backup_clean", kube.clean_all, objects)


def k8s_backup_inventory(objects):
    return _wrap("k8s_backup_inventory", kube.inventory, objects)


def k8s_restore_objects(objects, namespace=None):
    return _wrap("k8s_restore_objects", kube.retarget, objects, namespace)


class FilterModule(object):
    def filters(self):
        return {
            "backup_sets": backup_sets,
            "backup_retention": backup_retention,
            "backup_compare": backup_compare,
            "redis_keyspace": redis_keyspace,
            "k8s_backup_clean": k8s_backup_clean,
            "k8s_backup_inventory": k8s_backup_inventory,
            "k8s_restore_objects": k8s_restore_objects,
        }
