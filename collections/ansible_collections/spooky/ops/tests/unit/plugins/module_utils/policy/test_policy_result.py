# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One result shape: how a raw decision document becomes allow + reasons, paths, inputs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.policy.result import (
    PolicyInputError,
    PolicyNotFound,
    PolicySyntaxError,
    interpret,
    parse_json_text,
    rego_ref,
    split_path,
    to_json_value,
)


@pytest.mark.parametrize("path,segments", [
    ("spooky/peace_bonds", ["spooky", "peace_bonds"]),
    ("/spooky/peace_bonds/", ["spooky", "peace_bonds"]),
    ("spooky.peace_bonds.allow", ["spooky", "peace_bonds", "allow"]),
    ("data.spooky.peace_bonds", ["spooky", "peace_bonds"]),
    ("data", []),
    ("my-app/allow", ["my-app", "allow"]),
])
def test_paths_in_every_spelling(path, segments):
    assert split_path(path) == segments


@pytest.mark.parametrize("path", ["", "   ", "spooky/pea ce", "spooky/x;y", "a//b"])
def test_bad_paths_name_the_path(path):
    with pytest.raises(PolicyNotFound):
        split_path(path)


def test_rego_ref_quotes_what_is_not_an_identifier():
    assert rego_ref(["spooky", "peace_bonds"]) == "data.spooky.peace_bonds"
    assert rego_ref(["my-app", "allow"]) == 'data["my-app"].allow'


def test_undefined_is_a_deny_that_says_so():
    decision = interpret(None, False, ["spooky", "x"], "embedded")
    assert not decision.allow and not decision.defined
    assert "data.spooky.x is undefined" in decision.reasons[0]


@pytest.mark.parametrize("raw,allow,reasons", [
    (True, True, []),
    (False, False, ["data.p is false"]),
    ({"allow": True, "deny": []}, True, []),
    ({"allow": False, "deny": ["b", "a", "a"]}, False, ["a", "b"]),
    ({"allow": False}, False, ["data.p.allow is false"]),
    ({"deny": []}, True, []),  # Conftest style: no allow rule, no deny
    ({"deny": ["no"]}, False, ["no"]),
    ({"violation": [{"msg": "gk says no", "details": {}}]}, False, ["gk says no"]),
    ({"allow": True, "deny": ["contradiction"]}, False, ["contradiction"]),  # a reason always wins
    ({}, False, ["data.p has no allow, deny or violation rule: nothing to decide on, and that is a deny"]),
    ({"allow": "yes"}, False, ['data.p.allow is not a boolean: "yes"']),
    ([], True, []),
    (["r1"], False, ["r1"]),
    (42, False, ["data.p is 42, not a decision (a boolean, an object with allow/deny, or a deny set)"]),
])
def test_decision_documents(raw, allow, reasons):
    decision = interpret(raw, True, ["p"], "rest")
    assert decision.allow is allow
    assert decision.reasons == reasons
    assert decision.to_dict()["decision"] == raw and decision.backend == "rest" and decision.path == "data.p"


def test_warnings_are_kept_apart():
    decision = interpret({"deny": [], "warn": ["soon"]}, True, ["p"], "embedded")
    assert decision.allow and decision.warnings == ["soon"]


def test_input_must_be_json():
    assert to_json_value({"a": (1, 2)}) == {"a": [1, 2]}
    with pytest.raises(PolicyInputError, match="not a JSON document"):
        to_json_value({"a": {1, 2}})
    with pytest.raises(PolicyInputError, match="not a JSON document"):
        to_json_value({"a": float("nan")})


def test_json_text_errors_name_line_and_column():
    with pytest.raises(PolicyInputError) as exc:
        parse_json_text('{"a": 1,\n  "b": }', "input")
    assert exc.value.line == 2 and exc.value.column == 8
    assert str(exc.value).startswith("input:2:8: input is not JSON: Expecting value")


def test_errors_render_file_line_column():
    error = PolicySyntaxError("Invalid boolean operator", file="p/x.rego", line=6, column=11)
    assert str(error) == "p/x.rego:6:11: Invalid boolean operator"
    assert error.to_dict()["kind"] == "syntax" and error.to_dict()["line"] == 6
