# Ship check: what `make ship-check` asks of every Kubernetes manifest before it ships.
# A workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) must have:
#   resource limits (cpu and memory) on every container, init containers included;
#   images pinned by digest (@sha256:...) or by a tag other than latest;
#   no privileged container;
#   a signature: the spooky.ops/signature annotation (verified by the signing checks, not here).
# Objects owned by another (the ReplicaSets and Pods of a Deployment) are checked through their owner.
# Other kinds pass. Input: one Kubernetes object.
package spooky.ship_check

import rego.v1

signature_annotation := "spooky.ops/signature"

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}

default allow := false

allow if count(deny) == 0

# Messages are built with concat, not sprintf: regopy (the embedded engine) can print a string that came from
# a literal of the policy with its quotes through sprintf's %v.
text(x) := x if is_string(x)

text(x) := sprintf("%v", [x]) if not is_string(x)

owned if count(object.get(input, ["metadata", "ownerReferences"], [])) > 0

checked if {
	input.kind in workload_kinds
	not owned
}

kind_name := text(object.get(input, "kind", "object"))

object_name := text(object.get(input, ["metadata", "name"], "(unnamed)"))

subject := concat("", [kind_name, " ", input.metadata.namespace, "/", object_name]) if {
	is_string(input.metadata.namespace)
} else := concat(" ", [kind_name, object_name])

container_name(c) := text(object.get(c, "name", "(unnamed)"))

pod_spec := input.spec if input.kind == "Pod"

pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

pod_spec := input.spec.template.spec if {
	input.kind in workload_kinds
	not input.kind in {"Pod", "CronJob"}
}

containers := array.concat(object.get(pod_spec, "containers", []), object.get(pod_spec, "initContainers", []))

deny contains msg if {
	checked
	not pod_spec
	msg := concat("", [subject, " has no pod template: nothing to check, and that is a deny"])
}

deny contains msg if {
	checked
	some c in containers
	some resource in ["cpu", "memory"]
	not limit(c, resource)
	msg := concat("", [subject, ": container ", container_name(c), " has no ", resource, " limit (resources.limits.", resource, ")"])
}

limit(c, resource) if {
	value := c.resources.limits[resource]
	value != null
	value != ""
}

deny contains msg if {
	checked
	some c in containers
	not pinned(object.get(c, "image", ""))
	msg := concat("", [
		subject, ": container ", container_name(c), " image ", text(object.get(c, "image", "(none)")),
		" is not pinned: use a digest (@sha256:...) or a version tag other than latest",
	])
}

# The tag is after the last ':' of the last path segment (a registry port is in an earlier segment).
image_tag(image) := tag if {
	segments := split(image, "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	parts := split(last, ":")
	tag := parts[count(parts) - 1]
}

pinned(image) if contains(image, "@sha256:")

pinned(image) if {
	not contains(image, "@")
	tag := image_tag(image)
	tag != ""
	tag != "latest"
}

deny contains msg if {
	checked
	some c in containers
	c.securityContext.privileged == true
	msg := concat("", [subject, ": container ", container_name(c), " is privileged (securityContext.privileged: true)"])
}

deny contains msg if {
	checked
	not signed
	msg := concat("", [subject, " has no ", signature_annotation, " annotation: unsigned workloads do not ship"])
}

signed if {
	value := input.metadata.annotations[signature_annotation]
	is_string(value)
	trim_space(value) != ""
}
