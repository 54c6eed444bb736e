# Tenant autonomy: a tenant may only promote (or otherwise act on) its own variants, unless the owner granted it.
# Runbook: Promotion Loops start with "OPA policies valid?".
#
# Input: the promotion decision document, for example
#   {"tenant": "team-a", "action": "promote",
#    "target": {"variant": "demo-canary", "tenant": "team-a", "cluster": "lab-east"},
#    "grants": [{"tenant": "team-b", "variant": "demo-canary", "actions": ["promote"], "granted_by": "team-a"}]}
# A grant counts only when granted_by is the owner of the variant; "*" stands for every variant of the owner
# or every action. Standing grants may also be kept in data.spooky.config.tenant_autonomy.grants.
package spooky.tenant_autonomy

import rego.v1

default allow := false

allow if count(deny) == 0

# Messages are built with concat, not sprintf: regopy (the embedded engine) can print a string that came from
# a literal of the policy with its quotes through sprintf's %v.
text(x) := x if is_string(x)

text(x) := sprintf("%v", [x]) if not is_string(x)

standing_grants := g if {
	g := data.spooky.config.tenant_autonomy.grants
	is_array(g)
} else := []

grants := array.concat(object.get(input, "grants", []), standing_grants)

actor := input.tenant

action := object.get(input, "action", "promote")

owner := input.target.tenant

variant := input.target.variant

own if {
	is_string(actor)
	actor == owner
}

granted if {
	some g in grants
	g.tenant == actor
	g.granted_by == owner
	g.variant in {variant, "*"}
	some allowed in object.get(g, "actions", [])
	allowed in {action, "*"}
}

deny contains "the decision names no tenant (input.tenant): nobody may act anonymously" if {
	not is_string(input.tenant)
}

deny contains "the decision names no target variant and owner (input.target.variant, input.target.tenant)" if {
	not is_string(input.target.variant)
}

deny contains "the decision names no target variant and owner (input.target.variant, input.target.tenant)" if {
	not is_string(input.target.tenant)
}

deny contains msg if {
	is_string(actor)
	is_string(owner)
	is_string(variant)
	not own
	not granted
	msg := concat("", ["tenant ", actor, " may not ", text(action), " variant ", variant, " of tenant ", owner, ": no grant from ", owner])
}
