# Input key by key, values as literals or local variables: see policies/README.md.
package spooky.causal_promotion_test

import rego.v1

import data.spooky.causal_promotion

analysis := {"step": "canary_analysis", "status": "pass", "at": "2026-03-01T10:20:00Z", "revision": "1.4.3"}

check := {"step": "policy_check", "status": "pass", "at": "2026-03-01T10:25:00Z"}

incidents := {"step": "incident_check", "status": "pass", "at": "2026-03-01T10:29:00Z", "open_incidents": []}

target := {"variant": "demo-canary", "revision": "1.4.3"}

test_promotion_with_its_predecessors_in_order_is_allowed if {
	t := target
	history := [analysis, check, incidents]
	causal_promotion.allow with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
}

test_offsets_other_than_z_are_read if {
	t := target
	history := [analysis, check, incidents]
	causal_promotion.allow with input.target as t with input.requested_at as "2026-03-01T11:30:00+01:00" with input.history as history
}

test_missing_policy_check_is_denied if {
	t := target
	history := [analysis, incidents]
	reasons := causal_promotion.deny with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
	reasons == {"causal predecessor missing: policy_check must pass before a promotion"}
}

test_failed_canary_analysis_is_denied if {
	t := target
	history := [object.union(analysis, {"status": "fail"}), check, incidents]
	reasons := causal_promotion.deny with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
	reasons == {"causal predecessor canary_analysis did not pass (status fail)"}
}

test_out_of_order_is_denied if {
	t := target
	history := [analysis, object.union(check, {"at": "2026-03-01T10:10:00Z"}), incidents]
	reasons := causal_promotion.deny with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
	# The whole message is checked by the Python decision tests: under `with`, regopy quotes the
	# concat() result inside the message.
	count(reasons) == 1
	some msg in reasons
	startswith(msg, "policy_check (2026-03-01T10:10:00Z) ran before canary_analysis (2026-03-01T10:20:00Z): ")
}

test_predecessor_after_the_request_is_denied if {
	t := target
	history := [analysis, check, object.union(incidents, {"at": "2026-03-01T10:31:00Z"})]
	reasons := causal_promotion.deny with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
	reasons == {"incident_check (2026-03-01T10:31:00Z) is after the promotion request (2026-03-01T10:30:00Z): it cannot be its cause"}
}

test_open_incident_blocks if {
	t := target
	history := [analysis, check, object.union(incidents, {"open_incidents": [{"id": "INC-42"}, "INC-43"]})]
	reasons := causal_promotion.deny with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
	reasons == {"open incident INC-42 blocks the promotion", "open incident INC-43 blocks the promotion"}
}

test_analysis_of_another_revision_is_denied if {
	t := target
	history := [object.union(analysis, {"revision": "1.4.2"}), check, incidents]
	reasons := causal_promotion.deny with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
	reasons == {"canary_analysis judged revision 1.4.2, the promotion is for revision 1.4.3"}
}

test_last_attempt_of_a_step_counts if {
	t := target
	history := [object.union(analysis, {"status": "fail", "at": "2026-03-01T10:00:00Z"}), analysis, check, incidents]
	causal_promotion.allow with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
}

test_bad_timestamp_is_denied if {
	t := target
	history := [object.union(analysis, {"at": "yesterday"}), check, incidents]
	reasons := causal_promotion.deny with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
	reasons == {"causal predecessor canary_analysis has no RFC 3339 time (at): its order cannot be checked"}
}

test_missing_request_time_is_denied if {
	t := target
	history := [analysis, check, incidents]
	reasons := causal_promotion.deny with input.target as t with input.history as history
	reasons == {"the decision has no RFC 3339 requested_at: the order of the promotion cannot be checked"}
}

test_empty_decision_is_denied if {
	reasons := causal_promotion.deny with input.nothing as true
	reasons == {
		"causal predecessor missing: canary_analysis must pass before a promotion",
		"causal predecessor missing: policy_check must pass before a promotion",
		"causal predecessor missing: incident_check must pass before a promotion",
		"the decision has no RFC 3339 requested_at: the order of the promotion cannot be checked",
	}
}

test_chain_from_data if {
	t := target
	history := [analysis, check]
	causal_promotion.allow with input.target as t with input.requested_at as "2026-03-01T10:30:00Z" with input.history as history
		with data.spooky.config.causal_promotion.chain as ["canary_analysis", "policy_check"]
}
