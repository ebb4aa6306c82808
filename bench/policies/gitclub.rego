# GitClub: organisation roles are inherited by the organisation's repositories.
# Role implication is spelled out as the permissions each role grants.
package gitclub

default allow := false

repo_grants := {
	"reader": {"read"},
	"maintainer": {"read", "push"},
	"admin": {"read", "push", "delete"},
}

org_grants := {
	"member": {"read"},
	"owner": {"read", "push", "delete"},
}

allow if {
	some r in input.actor.repo_roles
	input.action in repo_grants[r.role]
	r.repo_id == input.resource.id
}

allow if {
	some r in input.actor.org_roles
	input.action in org_grants[r.role]
	r.org_id == input.resource.org_id
}
