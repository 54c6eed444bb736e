# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded backend: Rego evaluated in this process with regopy (rego-cpp), no OPA server needed.

regopy 1.5.2 has traps this backend steers around (each has a unit test):

* Querying a rule whose value is its ``default false`` answers *undefined*: we never query ``data.pkg.rule``
  bare, always ``spooky_decision := <ref>`` and read the binding.
* ``Output.expressions()`` on an undefined result aborts the whole process (a C++ exception, not a Python
  one); ``Output()`` itself raises on some error answers, and reading the text of a failed answer can crash:
  we go through regopy's C API wrapper (``rego_shared``), read the text only of a successful answer, and
  never build an ``Output``.
* The interpreter keeps a pointer to the ``Input`` it is given: the Input must outlive the next query.
* Batches reuse one compiled query (a regopy bundle) and set the input for each decision: about 8 times
  faster than ``query()`` in a loop. Compiling a query that reaches a ``with`` aborts the process, so a policy
  set that contains ``with`` is evaluated with ``query()``.
* ``with`` is unreliable: ``with input as {...}`` on a rule that depends on other rules fails, a package rule
  as the value of a ``with`` is read as undefined, and strings under ``with`` may come out quoted in
  ``sprintf``. The Rego test runner reports the first two forms as failing tests, naming the file and line
  (policies/README.md says how to write tests that work on both engines).
* Missing built-ins (``net.cidr_*``, ``http.send``, ``json.match_schema``...) are not errors in regopy: the
  calling rule is silently undefined. Modules are scanned when loaded and a call to a built-in the engine
  lacks is an error naming the file and line.
* ``time.parse_rfc3339_ns`` rejects a trailing ``Z``: write ``+00:00`` or normalise in Rego (the shipped
  causal_promotion policy does).
* Parse errors are printed on stdout (which would break a module's JSON answer): the log level is set to none
  and the error is read from the exception, whose position is a byte offset we turn into a line and column.
* Some evaluation errors (a complete rule with two values) come back as a failure with no detail.
* Several ``add_data`` calls do not merge: data is merged here and added once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

try:
    import regopy
    from regopy import rego_shared as _rs
    HAS_REGOPY = True
    REGOPY_IMPORT_ERROR = None
except (ImportError, OSError) as _exc:  # OSError: the shared library failed to load
    HAS_REGOPY = False
    REGOPY_IMPORT_ERROR = str(_exc)

try:
    import yaml
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

from ansible_collections.spooky.ops.plugins.module_utils.policy import bundle as _bundle
from ansible_collections.spooky.ops.plugins.module_utils.policy.result import (
    PolicyEvalError,
    PolicyInputError,
    PolicyNotFound,
    PolicySyntaxError,
    PolicyUnavailable,
    dotted,
    interpret,
    rego_ref,
    split_path,
    to_json_value,
)

NAME = "embedded"
QUERY_VAR = "spooky_decision"
# Built-in namespaces: a dotted call whose head is one of these must be a built-in the engine has.
BUILTIN_NAMESPACES = frozenset([
    "array", "base64", "base64url", "bits", "crypto", "glob", "graph", "graphql", "hex", "http", "io", "json", "jwt",
    "net", "numbers", "object", "opa", "providers", "rand", "regex", "rego", "semver", "strings", "time", "units",
    "urlquery", "uuid", "yaml",
])
_PACKAGE = re.compile(r"^[ \t]*package[ \t]+([A-Za-z0-9_.\[\]\"-]+)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([A-Za-z0-9_.\[\]\"-]+)(?:[ \t]+as[ \t]+([A-Za-z_][A-Za-z0-9_]*))?", re.M)
_CALL = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)[ \t]*\(")
_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]+)\b", re.M)
_TOP_LEVEL_NAME = re.compile(r"^(?:default[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::=|=|\bif\b|\bcontains\b|\{|\[|\()", re.M)
_TOP_LEVEL_START = re.compile(r"^[A-Za-z_]", re.M)
_WITH_WHOLE_INPUT = re.compile(r"\bwith[ \t]+input[ \t]+as\b")
_WITH_VALUE = re.compile(r"\bwith[ \t]+[A-Za-z_][A-Za-z0-9_.]*[ \t]+as[ \t]+([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_])(?![ \t]*\()")
_WITH = re.compile(r"\bwith\b")
_STRINGS_AND_COMMENTS = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|#[^\n]*')
_ERROR_HEAD = re.compile(r"\(error (\d+):")
_ERROR_MSG = re.compile(r"\(errormsg (\d+):")


def _length_prefixed(text, match):
    """rego-cpp writes names as <length>:<text>; read exactly length characters after the match."""
    start = match.end()
    return text[start:start + int(match.group(1))], start + int(match.group(1))


def parse_rego_errors(text):
    """[(file or None, byte offset or None, message)] from rego-cpp's error tree text."""
    errors = []
    for head in _ERROR_HEAD.finditer(text):
        name, end = _length_prefixed(text, head)
        offset = None
        position = re.match(r"\|(\d+)\|(\d+)", text[end:])
        if position:
            offset = int(position.group(1))
        message_match = _ERROR_MSG.search(text, end)
        message = _length_prefixed(text, message_match)[0] if message_match else "error"
        errors.append((name or None, offset, message))
    if not errors:
        message_match = _ERROR_MSG.search(text)
        if message_match:
            errors.append((None, None, _length_prefixed(text, message_match)[0]))
    return errors


def line_column(source, offset):
    """1-based line and column of a byte offset in a source text."""
    raw = source.encode("utf-8")[:offset]
    line = raw.count(b"\n") + 1
    column = len(raw) - (raw.rfind(b"\n") + 1) + 1
    return line, column


def _blank(match):
    # Keep offsets and line numbers: replace strings and comments by spaces of the same length.
    return re.sub(r"[^\n]", " ", match.group(0))


def packages_of(source):
    return [p.replace('["', ".").replace('"]', "") for p in _PACKAGE.findall(source)]


def _merge(target, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


class TestResult(object):
    __slots__ = ("package", "name", "file", "line", "passed", "message")

    def __init__(self, package, name, file, line, passed, message=None):
        self.package = package
        self.name = name
        self.file = file
        self.line = line
        self.passed = passed
        self.message = message

    @property
    def id(self):
        return "%s.%s" % (self.package, self.name)

    def to_dict(self):
        return dict(package=self.package, name=self.name, file=self.file, line=self.line, passed=self.passed, message=self.message)


class EmbeddedBackend(object):
    """Rego modules compiled once, evaluated for one input or many.

    modules: [(file name, source)]; data: a dict merged into the data document.
    """

    name = NAME

    def __init__(self, modules, data=None, compile=True):
        if not HAS_REGOPY:
            raise PolicyUnavailable("the embedded policy engine needs the regopy Python package (pip install regopy==1.5.2): %s"
                                    % REGOPY_IMPORT_ERROR)
        self._interp = regopy.Interpreter()
        self._interp.log_level = regopy.LogLevel.NONE  # parse errors would be printed on stdout otherwise
        self.sources = {}
        self.packages = {}  # dotted package -> file
        self._compiled = {}
        self._input = None
        self.compile = compile
        self.data = {}
        for name, source in modules:
            self.add_module(name, source)
        if data:
            self.add_data(data)

    # --- loading ------------------------------------------------------------------------------

    @classmethod
    def from_directory(cls, path, data=None, include_tests=False):
        """All .rego files of a directory (tests only when asked) and its data.json / data.yaml documents."""
        try:
            files, _manifest = _bundle.read_dir(path)
        except _bundle.BundleError as exc:
            raise PolicyNotFound(str(exc))
        modules = []
        merged = {}
        for rel in sorted(files):
            full = os.path.join(path, rel)
            if rel.endswith(".rego"):
                if include_tests or not rel.endswith("_test.rego"):
                    modules.append((full, files[rel].decode("utf-8")))
                continue
            document = _load_data_file(full, files[rel])
            prefix = rel.split("/")[:-1]
            node = merged
            for segment in prefix:
                node = node.setdefault(segment, {})
            _merge(node, document)
        if not modules:
            raise PolicyNotFound("no .rego file in policy directory %s" % path)
        backend = cls(modules)
        backend.add_data(_merge(merged, data or {}))
        return backend

    def add_module(self, name, source):
        if name in self.sources:
            raise PolicySyntaxError("module %s is loaded twice" % name, file=name)
        try:
            self._interp.add_module(name, source)
        except regopy.RegoError as exc:
            raise self._syntax_error(name, source, str(exc))
        self.sources[name] = source
        for package in packages_of(source):
            self.packages.setdefault(package, name)
        self._check_builtins(name, source)
        self._compiled.clear()

    def add_data(self, data):
        if not data:
            return
        value = to_json_value(data, "data")
        if not isinstance(value, dict):
            raise PolicyInputError("data must be a JSON object, got %s" % type(value).__name__)
        _merge(self.data, value)
        # regopy does not merge several add_data calls: start over with one interpreter holding everything.
        interp = regopy.Interpreter()
        interp.log_level = regopy.LogLevel.NONE
        for name, source in self.sources.items():
            interp.add_module(name, source)
        interp.add_data(self.data)
        self._interp = interp
        self._input = None
        self._compiled.clear()

    def _syntax_error(self, name, source, text):
        errors = parse_rego_errors(text)
        if not errors:
            return PolicySyntaxError("the module does not compile: %s" % text.strip().splitlines()[0] if text.strip() else "unknown error",
                                     file=name)
        file, offset, message = errors[0]
        line = column = None
        if offset is not None and (file in (None, name)):
            line, column = line_column(source, offset)
        more = " (and %d more errors)" % (len(errors) - 1) if len(errors) > 1 else ""
        return PolicySyntaxError(message + more, file=file or name, line=line, column=column)

    def _check_builtins(self, name, source):
        code = _STRINGS_AND_COMMENTS.sub(_blank, source)
        aliases = set()
        for target, alias in _IMPORT.findall(code):
            aliases.add(alias or target.split(".")[-1])
        for match in _CALL.finditer(code):
            called = match.group(1)
            head = called.split(".", 1)[0]
            if head in aliases or head not in BUILTIN_NAMESPACES:
                continue
            if not self._interp.is_builtin(called):
                line, column = line_column(source, len(code[:match.start()].encode("utf-8")))
                raise PolicyEvalError("%s is not implemented by the embedded engine (regopy %s): evaluate this policy with an "
                                      "OPA server (backend rest)" % (called, regopy.__version__), file=name, line=line, column=column)

    # --- evaluation ---------------------------------------------------------------------------

    def _check_path(self, segments):
        """PolicyNotFound unless a loaded package or data document holds the path or lies under it."""
        path = ".".join(segments)
        for package in self.packages:
            if not path or package == path or package.startswith(path + ".") or path.startswith(package + "."):
                return
        node = self.data
        for segment in segments:
            if not isinstance(node, dict) or segment not in node:
                break
            node = node[segment]
        else:
            return
        raise PolicyNotFound("no policy defines %s (packages loaded: %s)" % (dotted(segments), ", ".join(sorted(self.packages)) or "none"),
                             path=dotted(segments))

    def _set_input(self, document):
        # The interpreter keeps a pointer to the Input: it must live until the next one replaces it,
        # or the next query reads freed memory (a crash, not an exception).
        value = regopy.Input(document)
        self._interp.set_input(value)
        self._input = value

    def _uses_with(self):
        return any(_WITH.search(_STRINGS_AND_COMMENTS.sub(_blank, source)) for source in self.sources.values())

    def _compiled_query(self, query):
        if not self.compile:
            return None
        if query not in self._compiled:
            if self._uses_with():
                self._compiled[query] = None
                return None
            try:
                compiled = self._interp.build(query)
                self._compiled[query] = compiled if compiled.ok() else None
            except regopy.RegoError:
                self._compiled[query] = None  # fall back to query() for each input
        return self._compiled[query]

    def _answer(self, query, compiled):
        if compiled is not None:
            impl = _rs.rego_bundle_query(self._interp._impl, compiled._impl)
        else:
            impl = _rs.rego_query(self._interp._impl, query)
        try:
            if not _rs.rego_output_ok(impl):
                return False, ""  # reading the text of a failed answer can crash the process
            return True, _rs.rego_output_string(impl)
        finally:
            _rs.rego_free_output(impl)

    def _raw(self, segments, text, ok, where):
        """(defined, value) from the answer text; PolicyEvalError for an error answer."""
        if not ok or text.startswith("(error"):
            detail = parse_rego_errors(text)
            if detail:
                message = detail[0][2]
                raise PolicyEvalError("evaluating %s%s failed in the embedded engine: %s" % (dotted(segments), where, message),
                                      path=dotted(segments), **self._locate(message))
            raise PolicyEvalError("evaluating %s%s failed in the embedded engine, which gives no detail: usually a complete rule or "
                                  "function with two different values for the same input (a conflict); evaluate it with an OPA "
                                  "server (backend rest) for the full error" % (dotted(segments), where), path=dotted(segments))
        if text.strip() == "undefined":
            return False, None
        try:
            document = json.loads(text)
        except ValueError:
            raise PolicyEvalError("the embedded engine answered something that is not JSON for %s: %s" % (dotted(segments), text[:200]),
                                  path=dotted(segments))
        if isinstance(document, list):
            document = document[0] if document else {}
        bindings = document.get("bindings") or {}
        if QUERY_VAR not in bindings:
            return False, None
        return True, bindings[QUERY_VAR]

    def _locate(self, message):
        """file/line of the first mention of the function an error message names (Function not found: foo.bar)."""
        found = re.search(r"not found: ([A-Za-z0-9_.]+)", message)
        if found:
            for name, source in self.sources.items():
                index = source.find(found.group(1) + "(")
                if index >= 0:
                    line, column = line_column(source, len(source[:index].encode("utf-8")))
                    return dict(file=name, line=line, column=column)
        return {}

    def evaluate(self, path, value):
        return self.evaluate_many(path, [value])[0]

    def evaluate_many(self, path, values):
        """One Decision per input, in order; the policy is compiled once for all of them."""
        segments = split_path(path)
        self._check_path(segments)
        query = "%s := %s" % (QUERY_VAR, rego_ref(segments))
        compiled = self._compiled_query(query)
        decisions = []
        for index, value in enumerate(values):
            where = " for input %d" % index if len(values) > 1 else ""
            document = to_json_value(value, "input %d" % index if len(values) > 1 else "input")
            self._set_input(document)
            ok, text = self._answer(query, compiled)
            defined, raw = self._raw(segments, text, ok, where)
            decisions.append(interpret(raw, defined, segments, NAME))
        return decisions

    def query_value(self, ref, value=None):
        """(defined, value) of any reference, for tests and tools."""
        segments = split_path(ref)
        if value is not None:
            self._set_input(to_json_value(value))
        ok, text = self._answer("%s := %s" % (QUERY_VAR, rego_ref(segments)), None)
        return self._raw(segments, text, ok, "")

    # --- Rego tests ---------------------------------------------------------------------------

    def tests(self):
        """[(package, rule, file, line, body)] of every test_ rule, in file order (body: its source text)."""
        found = []
        for name in sorted(self.sources):
            source = self.sources[name]
            packages = packages_of(source)
            if not packages:
                continue
            starts = [m.start() for m in _TOP_LEVEL_START.finditer(source)] + [len(source)]
            seen = set()
            for match in _TEST_RULE.finditer(source):
                rule = match.group(1)
                end = min(start for start in starts if start > match.start())
                if rule in seen:
                    continue
                seen.add(rule)
                line = line_column(source, len(source[:match.start()].encode("utf-8")))[0]
                found.append((packages[0], rule, name, line, source[match.start():end]))
        return found

    def lint_test(self, file, line, body):
        """What in a test's body the engine mis-evaluates (see the module docstring): a message, or None."""
        code = _STRINGS_AND_COMMENTS.sub(_blank, body)
        source = _STRINGS_AND_COMMENTS.sub(_blank, self.sources.get(file, ""))
        rules = set(_TOP_LEVEL_NAME.findall(source))
        rules.update(alias or target.split(".")[-1] for target, alias in _IMPORT.findall(source))
        whole = _WITH_WHOLE_INPUT.search(code)
        if whole:
            return ("line %d: `with input as ...` replaces the whole input, which the embedded engine (regopy) mis-evaluates "
                    "for rules that depend on other rules: override the input key by key (with input.kind as ...)"
                    % (line + code[:whole.start()].count("\n")))
        for value in _WITH_VALUE.finditer(code):
            if value.group(1) in rules:
                return ("line %d: `with ... as %s` takes a package-level rule as its value, which the embedded engine (regopy) "
                        "reads as undefined: assign it to a local variable first (v := %s)"
                        % (line + code[:value.start()].count("\n"), value.group(1), value.group(1)))
        return None

    def run_tests(self):
        """Run every test_ rule (as `opa test` does: a test passes when its value is true). [TestResult]."""
        results = []
        self._set_input({})
        for package, rule, file, line, body in self.tests():
            problem = self.lint_test(file, line, body)
            if problem:
                results.append(TestResult(package, rule, file, line, False, problem))
                continue
            segments = package.split(".") + [rule]
            try:
                defined, value = self.query_value(".".join(segments))
            except PolicyEvalError as exc:
                results.append(TestResult(package, rule, file, line, False, str(exc)))
                continue
            if value is True:
                results.append(TestResult(package, rule, file, line, True))
            else:
                results.append(TestResult(package, rule, file, line, False,
                                          "%s is %s" % (rule, "undefined" if not defined else json.dumps(value))))
        return results


def _load_data_file(full, content):
    text = content.decode("utf-8")
    if full.endswith(".json"):
        try:
            document = json.loads(text) if text.strip() else {}
        except ValueError as exc:
            raise PolicyInputError("data file %s is not JSON: %s" % (full, exc), file=full)
    else:
        if not HAS_YAML:
            raise PolicyUnavailable("data file %s needs PyYAML" % full)
        try:
            document = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise PolicyInputError("data file %s is not YAML: %s" % (full, exc), file=full)
    if not isinstance(document, dict):
        raise PolicyInputError("data file %s must hold an object" % full, file=full)
    return document
