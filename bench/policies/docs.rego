# Owner-or-public documents.
package docs

default allow := false

allow if {
	input.action in {"read", "write"}
	input.resource.owner_id == input.actor.id
}

allow if {
	input.action == "read"
	input.resource.public == true
}
