package ursa_test

import (
	"context"
	"testing"

	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/internal/benchcpu"
)

// BenchmarkAuthorizeOwnership: allow if resource.owner_id == actor.id or
// resource.public; the deciding branch is the second one (not the owner).
func BenchmarkAuthorizeOwnership(b *testing.B) {
	a := ownership(b)
	ctx := context.Background()
	u := &User{ID: 7000}
	d := &Doc{ID: 1, OwnerID: 8000, Public: true}
	b.ReportAllocs()
	benchcpu.Loop(b, func() {
		ok, err := a.IsAllowed(ctx, u, "read", d)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	})
}

// BenchmarkAuthorizeGitClub: a repo reader through an org membership role
// (role held in a slice on the actor, org reached through the parent relation).
func BenchmarkAuthorizeGitClub(b *testing.B) {
	a := gitclub(b)
	w := newWorld()
	ctx := context.Background()
	b.ReportAllocs()
	benchcpu.Loop(b, func() {
		ok, err := a.IsAllowed(ctx, w.bob, "read", w.anvil)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	})
}

var _ = ursa.Var
