# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions of the backup helpers. Messages are written for the operator who reads the failed task."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class BackupError(Exception):
    """Base class: bad input or an environment fault."""


class KeyMaterialError(BackupError):
    """The encryption key is missing, malformed, or not the key an artifact was encrypted with."""


class IntegrityError(BackupError):
    """An artifact or a manifest is corrupt, truncated or tampered with. Carries the artifact's name."""

    def __init__(self, message, artifact=None):
        super(IntegrityError, self).__init__(message)
        self.artifact = artifact


class StoreError(BackupError):
    """The backup store (S3) could not be reached or refused a request."""
