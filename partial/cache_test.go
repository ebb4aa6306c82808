package partial_test

import (
	"context"
	"fmt"
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

func TestEvalStopsOnCancel(t *testing.T) {
	p := loadPolicy(t, goldenPolicySource(t, "repo_inherit"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Uncached path: Query always evaluates.
	if _, err := partial.Query(ctx, p, "allow", actors["alice"], "read", partial.Unknown{Type: "Repo"}); err == nil {
		t.Fatal("no error on a cancelled context")
	}
}

func TestEvalBadArguments(t *testing.T) {
	p := loadPolicy(t, goldenPolicySource(t, "ownership"))
	ctx := context.Background()
	if _, err := partial.Eval(ctx, p, actors["alice"], "read", "NoSuchClass"); err == nil {
		t.Error("unknown class: no error")
	}
	if _, err := partial.Eval(ctx, nil, actors["alice"], "read", "Doc"); err == nil {
		t.Error("nil policy: no error")
	}
	if _, err := partial.Query(ctx, p, "allow", actors["alice"], "read", &Doc{}); err == nil {
		t.Error("no unknown: no error")
	}
	// A nil actor is an ordinary value: no rule applies.
	f, err := partial.Eval(ctx, p, nil, "read", "Doc")
	if err != nil || !f.IsDenyAll() {
		t.Errorf("nil actor: %v %v", f, err)
	}
}

// Concurrent Eval calls (cache hits and misses, several actors and actions)
// give the same filters as sequential ones. Run with -race.
func TestEvalConcurrent(t *testing.T) {
	p := loadPolicy(t, goldenPolicySource(t, "repo_inherit"))
	ctx := context.Background()
	names := []string{"alice", "bob", "mallory", "nobody"}
	actions := []string{"read", "push", "delete"}
	want := map[string]string{}
	for _, n := range names {
		for _, a := range actions {
			f, err := partial.Query(ctx, p, "allow", actors[n], a, partial.Unknown{Type: "Repo"})
			if err != nil {
				t.Fatal(err)
			}
			want[n+"/"+a] = f.String()
		}
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 50; i++ {
				n, a := names[(g+i)%len(names)], actions[(g*7+i)%len(actions)]
				f, err := partial.Eval(ctx, p, actors[n], a, "Repo")
				if err == nil && f.String() != want[n+"/"+a] {
					err = fmt.Errorf("%s %s: got %s want %s", n, a, f, want[n+"/"+a])
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
