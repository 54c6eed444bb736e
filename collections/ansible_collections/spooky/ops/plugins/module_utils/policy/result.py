# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one result shape of a policy decision, whatever backend computed it, and the errors.

A decision document is read the same way for every backend:

* a boolean: it is the answer (``data.pkg.allow`` queried directly);
* an object (a whole package, the usual case): ``allow`` when present, and the deny reasons from
  ``deny``, ``violation`` or ``violations`` (sets of strings, or of objects with ``msg``, as Conftest and
  Gatekeeper write them); ``warn`` entries become warnings. It allows only when ``allow`` is not false and no
  deny reason exists;
* a list (a deny set queried directly): the reasons; it allows when empty;
* undefined (OPA's ``{}``): a deny. Decisions fail closed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

REASON_KEYS = ("deny", "violation", "violations")
WARNING_KEYS = ("warn", "warning", "warnings")
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PolicyError(Exception):
    """Base class: a message for a human, and where the problem is when that is known."""

    kind = "error"

    def __init__(self, message, file=None, line=None, column=None, path=None):
        super(PolicyError, self).__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path

    def __str__(self):
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += ":%d" % self.line
                if self.column:
                    where += ":%d" % self.column
            where += ": "
        return where + self.message

    def to_dict(self):
        return dict(kind=self.kind, message=str(self), file=self.file, line=self.line, column=self.column, path=self.path)


class PolicySyntaxError(PolicyError):
    """A Rego module that does not parse (the file and line are known)."""

    kind = "syntax"


class PolicyNotFound(PolicyError):
    """The decision path names no package, rule or data document."""

    kind = "not_found"


class PolicyInputError(PolicyError):
    """The input is not a JSON document."""

    kind = "input"


class PolicyEvalError(PolicyError):
    """The policy was loaded, but evaluating it failed (a conflict, a built-in the engine lacks)."""

    kind = "eval"


class PolicyUnavailable(PolicyError):
    """The OPA server cannot be reached, refused our credentials, or the engine is not installed."""

    kind = "unavailable"


class Decision(object):
    """allow (bool), reasons (list of str), warnings, the raw decision, the backend and the path."""

    __slots__ = ("allow", "reasons", "warnings", "raw", "defined", "backend", "path", "error")

    def __init__(self, allow, reasons, raw=None, defined=True, backend=None, path=None, warnings=None, error=None):
        self.allow = bool(allow)
        self.reasons = list(reasons)
        self.warnings = list(warnings or [])
        self.raw = raw
        self.defined = defined
        self.backend = backend
        self.path = path
        self.error = error

    def to_dict(self):
        result = dict(allow=self.allow, reasons=self.reasons, warnings=self.warnings, decision=self.raw,
                      defined=self.defined, backend=self.backend, path=self.path)
        if self.error is not None:
            result["error"] = self.error
        return result

    def __repr__(self):
        return "Decision(allow=%r, reasons=%r, backend=%r, path=%r)" % (self.allow, self.reasons, self.backend, self.path)


# --- paths -----------------------------------------------------------------------------------

def split_path(path):
    """``spooky/peace_bonds``, ``spooky.peace_bonds`` or ``data.spooky.peace_bonds`` -> ["spooky", "peace_bonds"]."""
    if not isinstance(path, str) or not path.strip():
        raise PolicyNotFound("the decision path is empty: name a package or rule, for example spooky/peace_bonds", path=path)
    text = path.strip().strip("/")
    separator = "/" if "/" in text else "."
    segments = text.split(separator)
    if segments and segments[0] == "data" and len(segments) > 1:
        segments = segments[1:]
    if not segments or segments == ["data"]:
        return []
    for segment in segments:
        if not _SEGMENT.match(segment):
            raise PolicyNotFound("invalid decision path %r: segment %r must be letters, digits, '_' or '-'" % (path, segment), path=path)
    return segments


def rego_ref(segments):
    """The Rego reference of a path: data.spooky.peace_bonds, data["my-app"].allow."""
    ref = "data"
    for segment in segments:
        ref += "." + segment if _IDENTIFIER.match(segment) else '["%s"]' % segment
    return ref


def dotted(segments):
    return ".".join(["data"] + list(segments))


# --- input -----------------------------------------------------------------------------------

def parse_json_text(text, what="input"):
    """A JSON document from text; the error names the line and column."""
    try:
        return json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
        raise PolicyInputError("%s is not JSON: %s" % (what, getattr(exc, "msg", exc)), file=what if line else None, line=line, column=column)


def to_json_value(value, what="input"):
    """The value as plain JSON types (a round trip through json), or PolicyInputError saying why it is not JSON."""
    try:
        return json.loads(json.dumps(value, allow_nan=False, sort_keys=True))
    except (TypeError, ValueError) as exc:
        raise PolicyInputError("%s is not a JSON document: %s" % (what, exc))


# --- decisions -------------------------------------------------------------------------------

def _reason_text(item):
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("msg", "message", "reason"):
            if isinstance(item.get(key), str):
                return item[key]
    return json.dumps(item, sort_keys=True)


def _collect(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        items = [_reason_text(item) for item in value]
    elif isinstance(value, dict):
        # A partial object rule (deny[msg] = true in old syntax, or a map of reasons).
        items = [key if val is True else "%s: %s" % (key, _reason_text(val)) for key, val in value.items()]
    else:
        items = [_reason_text(value)]
    return sorted(set(items))


def interpret(raw, defined, path, backend):
    """A Decision from a raw decision document (see the module docstring for the rules)."""
    name = path if isinstance(path, str) else dotted(path)
    if not defined:
        return Decision(False, ["%s is undefined: no rule gave a decision, and an undefined decision is a deny" % name],
                        raw=None, defined=False, backend=backend, path=name)
    if isinstance(raw, bool):
        return Decision(raw, [] if raw else ["%s is false" % name], raw=raw, backend=backend, path=name)
    if isinstance(raw, list):
        reasons = _collect(raw)
        return Decision(not reasons, reasons, raw=raw, backend=backend, path=name)
    if isinstance(raw, dict):
        reasons = []
        warnings = []
        for key in REASON_KEYS:
            reasons.extend(_collect(raw.get(key)))
        for key in WARNING_KEYS:
            warnings.extend(_collect(raw.get(key)))
        reasons = sorted(set(reasons))
        has_allow = "allow" in raw
        if has_allow and not isinstance(raw["allow"], bool):
            return Decision(False, ["%s.allow is not a boolean: %s" % (name, json.dumps(raw["allow"], sort_keys=True))],
                            raw=raw, backend=backend, path=name, warnings=warnings)
        if not has_allow and not any(key in raw for key in REASON_KEYS):
            return Decision(False, ["%s has no allow, deny or violation rule: nothing to decide on, and that is a deny" % name],
                            raw=raw, backend=backend, path=name, warnings=warnings)
        allow = raw.get("allow", True) and not reasons
        if not allow and not reasons:
            reasons = ["%s.allow is false" % name]
        return Decision(allow, reasons, raw=raw, backend=backend, path=name, warnings=warnings)
    return Decision(False, ["%s is %s, not a decision (a boolean, an object with allow/deny, or a deny set)"
                            % (name, json.dumps(raw))], raw=raw, backend=backend, path=name)
