# Input key by key, values as literals or local variables: see policies/README.md.
package spooky.ship_check_test

import rego.v1

import data.spooky.ship_check

container := {
	"name": "demo",
	"image": "registry.lab.local/spooky/demo:1.4.2",
	"resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
}

signed := {"name": "demo-stable", "namespace": "demo", "annotations": {"spooky.ops/signature": "sig"}}

template(c) := {"template": {"spec": {"containers": [c]}}}

test_clean_deployment_ships if {
	meta := signed
	spec := template(container)
	ship_check.allow with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
}

test_missing_memory_limit_is_named if {
	meta := signed
	spec := template(object.union(container, {"resources": {"limits": {"cpu": "1"}}}))
	reasons := ship_check.deny with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
	reasons == {"Deployment demo/demo-stable: container demo has no memory limit (resources.limits.memory)"}
}

test_no_resources_at_all if {
	meta := signed
	spec := template(object.remove(container, ["resources"]))
	reasons := ship_check.deny with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
	reasons == {
		"Deployment demo/demo-stable: container demo has no cpu limit (resources.limits.cpu)",
		"Deployment demo/demo-stable: container demo has no memory limit (resources.limits.memory)",
	}
}

test_latest_tag_is_denied if {
	meta := signed
	spec := {"template": {"spec": {"containers": [object.union(container, {"image": "nginx:latest"})]}}}
	reasons := ship_check.deny with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
	reasons == {"Deployment demo/demo-stable: container demo image nginx:latest is not pinned: use a digest (@sha256:...) or a version tag other than latest"}
}

test_untagged_image_is_denied if {
	meta := signed
	spec := {"template": {"spec": {"containers": [object.union(container, {"image": "registry.lab.local:5000/spooky/demo"})]}}}
	reasons := ship_check.deny with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
	reasons == {"Deployment demo/demo-stable: container demo image registry.lab.local:5000/spooky/demo is not pinned: use a digest (@sha256:...) or a version tag other than latest"}
}

test_registry_port_is_not_a_tag if {
	meta := signed
	spec := {"template": {"spec": {"containers": [object.union(container, {"image": "registry.lab.local:5000/spooky/demo:1.4.2"})]}}}
	ship_check.allow with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
}

test_digest_is_pinned if {
	meta := signed
	image := "registry.lab.local/spooky/demo@sha256:0f3c0a8f1e6b9c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"
	spec := {"template": {"spec": {"containers": [object.union(container, {"image": image})]}}}
	ship_check.allow with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
}

test_privileged_container_is_denied if {
	meta := signed
	spec := template(object.union(container, {"securityContext": {"privileged": true}}))
	reasons := ship_check.deny with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
	reasons == {"Deployment demo/demo-stable: container demo is privileged (securityContext.privileged: true)"}
}

test_unprivileged_security_context_ships if {
	meta := signed
	spec := template(object.union(container, {"securityContext": {"privileged": false}}))
	ship_check.allow with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
}

test_missing_signature_is_denied if {
	meta := object.remove(signed, ["annotations"])
	spec := template(container)
	reasons := ship_check.deny with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
	reasons == {"Deployment demo/demo-stable has no spooky.ops/signature annotation: unsigned workloads do not ship"}
}

test_blank_signature_is_denied if {
	meta := object.union(signed, {"annotations": {"spooky.ops/signature": " "}})
	spec := template(container)
	reasons := ship_check.deny with input.kind as "Deployment" with input.metadata as meta with input.spec as spec
	reasons == {"Deployment demo/demo-stable has no spooky.ops/signature annotation: unsigned workloads do not ship"}
}

test_init_containers_are_checked if {
	meta := signed
	spec := {"template": {"spec": {"containers": [container], "initContainers": [{"name": "init", "image": "busybox:latest"}]}}}
	reasons := ship_check.deny with input.kind as "StatefulSet" with input.metadata as meta with input.spec as spec
	reasons == {
		"StatefulSet demo/demo-stable: container init has no cpu limit (resources.limits.cpu)",
		"StatefulSet demo/demo-stable: container init has no memory limit (resources.limits.memory)",
		"StatefulSet demo/demo-stable: container init image busybox:latest is not pinned: use a digest (@sha256:...) or a version tag other than latest",
	}
}

test_cronjob_pod_template_is_checked if {
	meta := {"name": "backup", "namespace": "ops", "annotations": {"spooky.ops/signature": "sig"}}
	spec := {"jobTemplate": {"spec": {"template": {"spec": {"containers": [object.union(container, {"image": "backup:latest"})]}}}}}
	reasons := ship_check.deny with input.kind as "CronJob" with input.metadata as meta with input.spec as spec
	reasons == {"CronJob ops/backup: container demo image backup:latest is not pinned: use a digest (@sha256:...) or a version tag other than latest"}
}

test_bare_pod_is_checked if {
	spec := {"containers": [object.remove(container, ["resources"])]}
	reasons := ship_check.deny with input.kind as "Pod" with input.metadata as {"name": "debug"} with input.spec as spec
	reasons == {
		"Pod debug: container demo has no cpu limit (resources.limits.cpu)",
		"Pod debug: container demo has no memory limit (resources.limits.memory)",
		"Pod debug has no spooky.ops/signature annotation: unsigned workloads do not ship",
	}
}

test_owned_pods_are_checked_through_their_owner if {
	meta := {"name": "demo-stable-abc", "namespace": "demo", "ownerReferences": [{"kind": "ReplicaSet", "name": "demo-stable-1"}]}
	ship_check.allow with input.kind as "Pod" with input.metadata as meta
		with input.spec as {"containers": [{"name": "demo", "image": "x:latest"}]}
}

test_other_kinds_pass if {
	ship_check.allow with input.kind as "Service" with input.metadata as {"name": "demo", "namespace": "demo"}
}

test_workload_without_template_is_denied if {
	meta := signed
	reasons := ship_check.deny with input.kind as "Deployment" with input.metadata as meta with input.spec as {}
	reasons == {"Deployment demo/demo-stable has no pod template: nothing to check, and that is a deny"}
}
