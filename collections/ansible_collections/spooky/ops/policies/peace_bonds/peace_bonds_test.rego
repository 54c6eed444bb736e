# Input key by key, values as literals or local variables: see policies/README.md.
package spooky.peace_bonds_test

import rego.v1

import data.spooky.peace_bonds

test_risk_score_085_is_denied_naming_provider_and_score if {
	reasons := peace_bonds.deny with input.provider as {"name": "acme-pay", "risk_score": 0.85}
	reasons == {"High risk provider detected: risk_score=0.85 provider=acme-pay (denied at >= 0.85)"}
	not peace_bonds.allow with input.provider as {"name": "acme-pay", "risk_score": 0.85}
}

test_low_risk_provider_is_allowed if {
	peace_bonds.allow with input.provider as {"name": "calm-bank", "risk_score": 0.2}
}

test_just_below_threshold_is_allowed if {
	peace_bonds.allow with input.providers as [{"name": "edge", "risk_score": 0.8499}]
}

test_every_risky_provider_is_named if {
	reasons := peace_bonds.deny with input.providers as [
		{"name": "a", "risk_score": 0.9},
		{"name": "b", "risk_score": 0.1},
		{"name": "c", "risk_score": 1},
	]
	reasons == {
		"High risk provider detected: risk_score=0.9 provider=a (denied at >= 0.85)",
		"High risk provider detected: risk_score=1 provider=c (denied at >= 0.85)",
	}
}

test_threshold_comes_from_data if {
	peace_bonds.allow with input.provider as {"name": "p", "risk_score": 0.85}
		with data.spooky.config.peace_bonds.risk_threshold as 0.9
}

test_lower_threshold_from_data_denies if {
	reasons := peace_bonds.deny with input.provider as {"name": "p", "risk_score": 0.6}
		with data.spooky.config.peace_bonds.risk_threshold as 0.5
	reasons == {"High risk provider detected: risk_score=0.6 provider=p (denied at >= 0.5)"}
}

test_missing_score_is_denied if {
	reasons := peace_bonds.deny with input.provider as {"name": "mystery"}
	reasons == {"provider mystery has no numeric risk_score: it cannot be bonded"}
}

test_string_score_is_denied if {
	reasons := peace_bonds.deny with input.provider as {"name": "s", "risk_score": "0.1"}
	reasons == {"provider s has no numeric risk_score: it cannot be bonded"}
}

test_no_provider_is_denied if {
	reasons := peace_bonds.deny with input.something_else as true
	reasons == {"no provider in the input (input.provider or input.providers)"}
}
