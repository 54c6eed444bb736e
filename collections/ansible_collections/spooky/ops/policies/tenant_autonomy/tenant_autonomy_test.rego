# Input key by key, values as literals or local variables: see policies/README.md.
package spooky.tenant_autonomy_test

import rego.v1

import data.spooky.tenant_autonomy

target := {"variant": "demo-canary", "tenant": "team-a", "cluster": "lab-east"}

grant(tenant, variant, actions, granted_by) := {"tenant": tenant, "variant": variant, "actions": actions, "granted_by": granted_by}

no_grant := {"tenant team-b may not promote variant demo-canary of tenant team-a: no grant from team-a"}

test_tenant_promotes_its_own_variant if {
	t := target
	tenant_autonomy.allow with input.tenant as "team-a" with input.action as "promote" with input.target as t
}

test_tenant_may_not_promote_a_foreign_variant if {
	t := target
	reasons := tenant_autonomy.deny with input.tenant as "team-b" with input.action as "promote" with input.target as t
	reasons == no_grant
}

test_action_defaults_to_promote if {
	t := target
	reasons := tenant_autonomy.deny with input.tenant as "team-b" with input.target as t
	# The whole message is checked by the Python decision tests: under `with`, regopy quotes the
	# defaulted action inside the message.
	count(reasons) == 1
	some msg in reasons
	startswith(msg, "tenant team-b may not ")
	contains(msg, "promote")
}

test_grant_from_owner_allows if {
	t := target
	grants := [grant("team-b", "demo-canary", ["promote"], "team-a")]
	tenant_autonomy.allow with input.tenant as "team-b" with input.action as "promote" with input.target as t with input.grants as grants
}

test_wildcard_grant_allows if {
	t := target
	grants := [grant("team-b", "*", ["*"], "team-a")]
	tenant_autonomy.allow with input.tenant as "team-b" with input.action as "rollback" with input.target as t with input.grants as grants
}

test_grant_from_someone_else_does_not_count if {
	t := target
	grants := [grant("team-b", "demo-canary", ["promote"], "team-b")]
	reasons := tenant_autonomy.deny with input.tenant as "team-b" with input.action as "promote" with input.target as t
		with input.grants as grants
	reasons == no_grant
}

test_grant_for_another_action_does_not_count if {
	t := target
	grants := [grant("team-b", "demo-canary", ["rollback"], "team-a")]
	reasons := tenant_autonomy.deny with input.tenant as "team-b" with input.action as "promote" with input.target as t
		with input.grants as grants
	reasons == no_grant
}

test_grant_for_another_variant_does_not_count if {
	t := target
	grants := [grant("team-b", "billing-canary", ["promote"], "team-a")]
	reasons := tenant_autonomy.deny with input.tenant as "team-b" with input.action as "promote" with input.target as t
		with input.grants as grants
	reasons == no_grant
}

test_grant_to_another_tenant_does_not_count if {
	t := target
	grants := [grant("team-c", "demo-canary", ["promote"], "team-a")]
	reasons := tenant_autonomy.deny with input.tenant as "team-b" with input.action as "promote" with input.target as t
		with input.grants as grants
	reasons == no_grant
}

test_standing_grant_from_data if {
	t := target
	grants := [grant("team-b", "demo-canary", ["promote"], "team-a")]
	tenant_autonomy.allow with input.tenant as "team-b" with input.action as "promote" with input.target as t
		with data.spooky.config.tenant_autonomy.grants as grants
}

test_anonymous_decision_is_denied if {
	t := target
	reasons := tenant_autonomy.deny with input.action as "promote" with input.target as t
	reasons == {"the decision names no tenant (input.tenant): nobody may act anonymously"}
}

test_decision_without_target_is_denied if {
	reasons := tenant_autonomy.deny with input.tenant as "team-a" with input.action as "promote"
	reasons == {"the decision names no target variant and owner (input.target.variant, input.target.tenant)"}
}
