# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded backend (regopy): decisions, errors that name the file and line or the path, and the traps
of regopy 1.5.2 it must steer around (a crash of the test process here would be a crash of a module)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc

import pytest

pytest.importorskip("regopy")

from ansible_collections.spooky.ops.plugins.module_utils.policy.embedded import EmbeddedBackend, line_column, parse_rego_errors  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.policy.result import (  # noqa: E402
    PolicyEvalError,
    PolicyInputError,
    PolicyNotFound,
    PolicySyntaxError,
)

GATE = """package gate

import rego.v1

default allow := false

allow if count(deny) == 0

deny contains msg if {
    some item in input.items
    item.risk >= 0.85
    msg := sprintf("item %v is too risky: %v", [item.name, item.risk])
}
"""


def gate(**kwargs):
    return EmbeddedBackend([("gate.rego", GATE)], **kwargs)


def test_allow_and_deny_with_reasons():
    engine = gate()
    allowed = engine.evaluate("gate", {"items": [{"name": "a", "risk": 0.1}]})
    denied = engine.evaluate("gate", {"items": [{"name": "b", "risk": 0.85}]})
    assert allowed.allow and allowed.reasons == [] and allowed.backend == "embedded"
    assert not denied.allow and denied.reasons == ["item b is too risky: 0.85"]
    assert denied.raw == {"allow": False, "deny": ["item b is too risky: 0.85"]}


def test_default_false_rule_is_false_not_undefined():
    # Trap: regopy answers `data.gate.allow` with undefined when allow is its default false.
    decision = gate().evaluate("gate/allow", {"items": [{"name": "b", "risk": 0.9}]})
    assert decision.defined and decision.raw is False and decision.reasons == ["data.gate.allow is false"]


def test_undefined_rule_is_a_deny_without_crashing():
    # Trap: Output.expressions() on an undefined answer aborts the process; we never call it.
    engine = EmbeddedBackend([("p.rego", "package p\n\nimport rego.v1\n\nallow if input.x == 1\n")])
    decision = engine.evaluate("p/allow", {"x": 2})
    assert not decision.allow and not decision.defined


def test_batch_reuses_one_compiled_policy_and_matches_one_by_one():
    inputs = [{"items": [{"name": "i%d" % i, "risk": (i % 20) / 20.0}]} for i in range(60)]
    batched = gate().evaluate_many("gate", inputs)
    one_by_one = [gate(compile=False).evaluate("gate", item) for item in inputs]
    assert [d.to_dict() for d in batched] == [d.to_dict() for d in one_by_one]
    assert sum(not d.allow for d in batched) == 9


def test_inputs_outlive_garbage_collection():
    # Trap: the interpreter keeps a pointer to the Input object; freeing it early made the next query crash.
    engine = gate()
    for index in range(25):
        engine.evaluate("gate", {"items": [{"name": "x" * (index % 50), "risk": 0.5}]})
        gc.collect()
    assert engine.evaluate("gate", {"items": []}).allow


def test_malformed_rego_names_file_line_and_column(capfd):
    source = "package bad\n\nimport rego.v1\n\nallow if {\n  input.x ==\n}\n"
    with pytest.raises(PolicySyntaxError) as exc:
        EmbeddedBackend([("policies/bad/bad.rego", source)])
    assert (exc.value.file, exc.value.line, exc.value.column) == ("policies/bad/bad.rego", 6, 11)
    assert str(exc.value).startswith("policies/bad/bad.rego:6:11: ")
    # Trap: regopy prints parse errors on stdout, which would corrupt a module's JSON answer.
    assert capfd.readouterr().out == ""


def test_malformed_rego_in_a_directory_names_the_file(write_policies):
    root = write_policies({"good/good.rego": "package good\n\nimport rego.v1\n\nallow := true\n",
                           "broken/broken.rego": "package broken\n\nimport rego.v1\n\nallow if {\n"})
    with pytest.raises(PolicySyntaxError) as exc:
        EmbeddedBackend.from_directory(root)
    assert exc.value.file.endswith("broken/broken.rego") and exc.value.line


def test_missing_package_names_the_path():
    with pytest.raises(PolicyNotFound) as exc:
        gate().evaluate("spooky/nope", {})
    assert exc.value.path == "data.spooky.nope"
    assert "no policy defines data.spooky.nope (packages loaded: gate)" in str(exc.value)


def test_parent_namespace_and_data_paths_exist():
    engine = EmbeddedBackend([("a.rego", "package org.team.app\n\nimport rego.v1\n\nallow := true\n")], data={"cfg": {"x": 1}})
    assert engine.evaluate("org", {}).defined
    assert engine.evaluate("cfg/x", {}).raw == 1


@pytest.mark.parametrize("call", ["net.cidr_contains(\"10.0.0.0/8\", input.ip)", "http.send({\"url\": input.u})",
                                  "json.match_schema(input, {})"])
def test_builtins_the_engine_lacks_are_errors_naming_the_line(call):
    # Trap: regopy leaves a rule calling a missing built-in silently undefined.
    source = "package net_policy\n\nimport rego.v1\n\n# net.cidr_contains( in a comment is fine\nallow if {\n\t%s\n}\n" % call
    with pytest.raises(PolicyEvalError) as exc:
        EmbeddedBackend([("net.rego", source)])
    assert exc.value.file == "net.rego" and exc.value.line == 7
    assert "not implemented by the embedded engine" in str(exc.value)


def test_user_functions_and_imports_are_not_builtins():
    lib = "package lib.net\n\nimport rego.v1\n\ncheck(x) := x > 1\n"
    user = "package user\n\nimport rego.v1\n\nimport data.lib.net\n\nallow if net.check(input.v)\n"
    engine = EmbeddedBackend([("lib.rego", lib), ("user.rego", user)])
    assert engine.evaluate("user", {"v": 2}).allow


def test_rfc3339_with_trailing_z():
    # Trap: time.parse_rfc3339_ns rejects "Z"; the documented rewrite works.
    source = ('package t\n\nimport rego.v1\n\nraw := time.parse_rfc3339_ns(input.at)\n\n'
              'fixed := time.parse_rfc3339_ns(concat("", [trim_suffix(input.at, "Z"), "+00:00"]))\n')
    raw = EmbeddedBackend([("t.rego", source)]).evaluate("t", {"at": "2026-03-01T10:00:00Z"}).raw
    assert "raw" not in raw and raw["fixed"] == 1772359200000000000


def test_conflicting_values_are_an_error_not_a_crash():
    engine = EmbeddedBackend([("c.rego", "package c\n\nx := input.a\n\nx := input.b\n")])
    assert engine.evaluate("c", {"a": 1, "b": 1}).raw == {"x": 1}
    with pytest.raises(PolicyEvalError, match="failed in the embedded engine"):
        engine.evaluate_many("c", [{"a": 1, "b": 1}, {"a": 1, "b": 2}])


def test_input_that_is_not_json():
    with pytest.raises(PolicyInputError, match="input 1 is not a JSON document"):
        gate().evaluate_many("gate", [{}, {"items": {1, 2}}])


def test_data_documents_merge():
    engine = EmbeddedBackend([("d.rego", "package d\n\nimport rego.v1\n\nv := [data.cfg.a, data.cfg.b]\n")], data={"cfg": {"a": 1}})
    engine.add_data({"cfg": {"b": 2}})  # regopy itself would ignore a second add_data
    assert engine.evaluate("d/v", {}).raw == [1, 2]


def test_directory_data_files_sit_at_their_path(write_policies):
    root = write_policies({"app/policy.rego": "package app\n\nimport rego.v1\n\nlimit := data.app.limit\n",
                           "app/data.json": '{"limit": 3}', "app/policy_test.rego": "package app_test\n\ntest_x := true\n"})
    engine = EmbeddedBackend.from_directory(root)
    assert engine.evaluate("app/limit", {}).raw == 3
    assert "app_test" not in engine.packages  # tests are left out of decisions


def test_rego_test_runner_names_failures(write_policies):
    root = write_policies({
        "p/p.rego": "package p\n\nimport rego.v1\n\ndefault allow := false\n\nallow if input.a == 1\n",
        "p/p_test.rego": ("package p_test\n\nimport rego.v1\n\nimport data.p\n\nfixture := 1\n\n"
                          "test_pass if {\n\tp.allow with input.a as 1\n}\n\n"
                          "test_fail if {\n\tp.allow with input.a as 2\n}\n\n"
                          "test_whole_input if {\n\tp.allow with input as {\"a\": 1}\n}\n\n"
                          "test_rule_value if {\n\tp.allow with input.a as fixture\n}\n"),
    })
    results = dict((r.name, r) for r in EmbeddedBackend.from_directory(root, include_tests=True).run_tests())
    assert results["test_pass"].passed
    assert not results["test_fail"].passed and results["test_fail"].message == "test_fail is undefined"
    assert results["test_fail"].file.endswith("p/p_test.rego") and results["test_fail"].line == 13
    assert "line 18: `with input as ...`" in results["test_whole_input"].message
    assert "line 22: `with ... as fixture` takes a package-level rule" in results["test_rule_value"].message


def test_error_tree_parsing():
    text = "(rego-errorseq\n  (error 8:bad.rego|34|2\n    (errormsg 24:Invalid boolean operator)\n))"
    assert parse_rego_errors(text) == [("bad.rego", 34, "Invalid boolean operator")]
    assert line_column("ab\ncd\né x", 8) == (3, 3)
