# Peace Bonds: deny a provider whose risk score is at or above the threshold.
# Runbook (seed 001): alert "High risk provider detected: risk_score=0.85" -> maintain the block if legitimate.
#
# Input: {"provider": {"name": "acme-pay", "risk_score": 0.85}} or {"providers": [{...}, ...]}
# Threshold: 0.85 unless data.spooky.config.peace_bonds.risk_threshold says otherwise.
package spooky.peace_bonds

import rego.v1

default risk_threshold := 0.85

risk_threshold := t if {
	t := data.spooky.config.peace_bonds.risk_threshold
	is_number(t)
}

providers contains p if {
	some p in input.providers
}

providers contains input.provider if is_object(input.provider)

name(p) := object.get(p, "name", "(unnamed provider)")

# Messages are built with concat, not sprintf: regopy (the embedded engine) can print a string that came from
# a literal of the policy with its quotes through sprintf's %v.
text(x) := x if is_string(x)

text(x) := sprintf("%v", [x]) if not is_string(x)

deny contains msg if {
	some p in providers
	is_number(p.risk_score)
	p.risk_score >= risk_threshold
	msg := concat("", ["High risk provider detected: risk_score=", text(p.risk_score), " provider=", text(name(p)), " (denied at >= ", text(risk_threshold), ")"])
}

deny contains msg if {
	some p in providers
	not is_number(object.get(p, "risk_score", null))
	msg := concat("", ["provider ", text(name(p)), " has no numeric risk_score: it cannot be bonded"])
}

deny contains "no provider in the input (input.provider or input.providers)" if count(providers) == 0

default allow := false

allow if count(deny) == 0
