# Causal promotion: a promotion needs its causal predecessors, passed and in order:
# canary analysis -> policy check -> incident check (no open incident), all before the promotion request.
# Runbook: Promotion Loops start with "OPA policies valid?"; the canary rollout asks this before each step.
#
# Input: the promotion decision document, for example
#   {"target": {"variant": "demo-canary", "revision": "1.4.3"},
#    "requested_at": "2026-03-01T10:30:00Z",
#    "history": [
#      {"step": "canary_analysis", "status": "pass", "at": "2026-03-01T10:20:00Z", "revision": "1.4.3"},
#      {"step": "policy_check", "status": "pass", "at": "2026-03-01T10:25:00Z"},
#      {"step": "incident_check", "status": "pass", "at": "2026-03-01T10:29:00Z", "open_incidents": []}]}
# When a step was run more than once, its last entry in the history counts. The chain is data
# (data.spooky.config.causal_promotion.chain) so that a team can add a step.
package spooky.causal_promotion

import rego.v1

default chain := ["canary_analysis", "policy_check", "incident_check"]

chain := c if {
	c := data.spooky.config.causal_promotion.chain
	is_array(c)
}

default allow := false

allow if count(deny) == 0

# Messages are built with concat, not sprintf: regopy (the embedded engine) can print a string that came from
# a literal of the policy with its quotes through sprintf's %v.
text(x) := x if is_string(x)

text(x) := sprintf("%v", [x]) if not is_string(x)

# RFC 3339 time in nanoseconds. A trailing Z is rewritten as +00:00: some engines (regopy) reject the Z.
ns(ts) := time.parse_rfc3339_ns(concat("", [trim_suffix(ts, "Z"), "+00:00"])) if endswith(ts, "Z")

ns(ts) := time.parse_rfc3339_ns(ts) if not endswith(ts, "Z")

history := h if {
	h := input.history
	is_array(h)
} else := []

entries(name) := [s | some s in history; s.step == name]

# The last entry of each step of the chain.
latest[name] := steps[count(steps) - 1] if {
	some name in chain
	steps := entries(name)
	count(steps) > 0
}

deny contains msg if {
	some name in chain
	not latest[name]
	msg := concat("", ["causal predecessor missing: ", text(name), " must pass before a promotion"])
}

deny contains msg if {
	some name, step in latest
	object.get(step, "status", "unknown") != "pass"
	msg := concat("", ["causal predecessor ", text(name), " did not pass (status ", text(object.get(step, "status", "unknown")), ")"])
}

deny contains msg if {
	some name, step in latest
	not ns(object.get(step, "at", ""))
	msg := concat("", ["causal predecessor ", text(name), " has no RFC 3339 time (at): its order cannot be checked"])
}

deny contains msg if {
	some i in numbers.range(1, count(chain) - 1)
	before := latest[chain[i - 1]]
	after := latest[chain[i]]
	ns(after.at) < ns(before.at)
	msg := concat("", [
		text(chain[i]), " (", text(after.at), ") ran before ", text(chain[i - 1]), " (", text(before.at), "): ",
		"the predecessors must run in the order ", concat(" -> ", [text(c) | some c in chain]),
	])
}

deny contains "the decision has no RFC 3339 requested_at: the order of the promotion cannot be checked" if {
	not ns(object.get(input, "requested_at", ""))
}

deny contains msg if {
	some name, step in latest
	ns(step.at) > ns(input.requested_at)
	msg := concat("", [text(name), " (", text(step.at), ") is after the promotion request (", text(input.requested_at), "): it cannot be its cause"])
}

deny contains msg if {
	some name, step in latest
	is_string(input.target.revision)
	is_string(step.revision)
	step.revision != input.target.revision
	msg := concat("", [text(name), " judged revision ", step.revision, ", the promotion is for revision ", input.target.revision])
}

deny contains msg if {
	step := latest.incident_check
	some incident in object.get(step, "open_incidents", [])
	msg := concat("", ["open incident ", text(incident_name(incident)), " blocks the promotion"])
}

incident_name(incident) := incident if is_string(incident)

incident_name(incident) := object.get(incident, "id", "(unnamed)") if is_object(incident)
