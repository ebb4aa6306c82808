package partial_test

import (
	"context"
	"testing"

	"github.com/ursa-authz/ursa/partial"
)

// The cache never returns a filter for another actor value, action, type or
// policy snapshot, and never caches a filter that called a host method.
func TestCacheKeys(t *testing.T) {
	ctx := context.Background()
	src := goldenPolicySource(t, "actor_data")
	p := loadPolicy(t, src)
	u := &User{ID: 7, OrgIDs: []int64{1, 2}}
	f1, err := partial.Eval(ctx, p, u, "read", "Repo")
	if err != nil {
		t.Fatal(err)
	}
	if got := f1.String(); got != "resource.OrgID in [1, 2]" {
		t.Fatalf("got %s", got)
	}
	f2, _ := partial.Eval(ctx, p, u, "read", "Repo")
	if f1 != f2 {
		t.Errorf("same actor value: want the cached filter")
	}
	// Mutating the actor in place (same pointer) changes the filter.
	u.OrgIDs[1] = 3
	f3, _ := partial.Eval(ctx, p, u, "read", "Repo")
	if got := f3.String(); got != "resource.OrgID in [1, 3]" {
		t.Errorf("mutated actor: got %s", got)
	}
	// An equal value under another pointer hits the same entry.
	f4, _ := partial.Eval(ctx, p, &User{ID: 7, OrgIDs: []int64{1, 3}}, "read", "Repo")
	if f4 != f3 {
		t.Errorf("equal actor value: want the cached filter")
	}
	// Another action.
	if f, _ := partial.Eval(ctx, p, u, "list", "Repo"); f.String() == f3.String() {
		t.Errorf("another action gave the same filter %s", f)
	}
	// A reloaded policy (new snapshot) with different rules.
	p2 := loadPolicy(t, src+"\nallow(_: User, \"read\", repo: Repo) if repo.public;")
	if f, _ := partial.Eval(ctx, p2, u, "read", "Repo"); f.String() != "resource.OrgID in [1, 3] or resource.Public = true" {
		t.Errorf("new policy: got %s", f)
	}
	// Cyclic actor graphs are fingerprinted (back references) and cached.
	a := &Employee{ID: 1}
	a.Manager = a
	pm := loadPolicy(t, goldenPolicySource(t, "managers"))
	g1, err := partial.Eval(ctx, pm, a, "read", "Review")
	if err != nil {
		t.Fatal(err)
	}
	if g2, _ := partial.Eval(ctx, pm, a, "read", "Review"); g1 != g2 {
		t.Errorf("cyclic actor: want the cached filter")
	}
}

func TestCacheSkipsHostCalls(t *testing.T) {
	ctx := context.Background()
	p := loadPolicy(t, goldenPolicySource(t, "clinic"))
	d := &Doctor{ID: 3}
	f1, err := partial.Eval(ctx, p, d, "read", "MedicalRecord")
	if err != nil {
		t.Fatal(err)
	}
	f2, _ := partial.Eval(ctx, p, d, "read", "MedicalRecord")
	if f1 == f2 {
		t.Errorf("a filter that called Clock.days_ago was cached")
	}
	if f1.String() != f2.String() {
		t.Errorf("not deterministic: %s vs %s", f1, f2)
	}
}
