package ursa_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ursa-authz/ursa"
)

// Many goroutines decide while the policy is reloaded over and over: every
// decision must come from one complete policy (never an error, never a mix),
// and a failed reload must leave the previous policy in place.
func TestConcurrentDecideWhileReloading(t *testing.T) {
	a := gitclub(t)
	w := newWorld()
	ctx := context.Background()
	// Policy B: only public repos are readable.
	const publicOnly = `
actor User {}
resource Repo { permissions = ["read"]; }
allow(_: User, "read", repo: Repo) if repo.public;
`
	var stop atomic.Bool
	var wg sync.WaitGroup
	var decisions atomic.Int64
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for !stop.Load() {
				// bob reads anvil under gitclub (member), not under publicOnly;
				// rocket is public under both.
				ok, err := a.IsAllowed(ctx, w.bob, "read", w.rocket)
				if err != nil || !ok {
					errs <- fmt.Errorf("rocket: %v %v", ok, err)
					return
				}
				if _, err := a.IsAllowed(ctx, w.bob, "read", w.anvil); err != nil {
					errs <- err
					return
				}
				if _, err := a.AuthorizedActions(ctx, w.alice, w.anvil); err != nil {
					errs <- err
					return
				}
				decisions.Add(3)
			}
		}(g)
	}
	for i := 0; i < 60; i++ {
		src := gitclubPolicy
		if i%2 == 1 {
			src = publicOnly
		}
		if err := a.LoadString("p.polar", src); err != nil {
			t.Fatal(err)
		}
		// A broken policy never replaces the current one.
		if err := a.LoadString("bad.polar", "allow(x, y, z) if ;"); err == nil {
			t.Fatal("bad policy loaded")
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The last load was publicOnly.
	if ok, err := a.IsAllowed(ctx, w.bob, "read", w.anvil); ok || err != nil {
		t.Fatalf("after reloads: %v %v", ok, err)
	}
	if decisions.Load() == 0 {
		t.Fatal("no decisions ran")
	}
}

func TestFailedLoadKeepsPolicy(t *testing.T) {
	a := gitclub(t)
	w := newWorld()
	v := a.Policy().Version()
	err := a.LoadString("bad.polar", `allow(x, y, z) if undefined_rule(x);`)
	if err == nil {
		t.Fatal("expected an error")
	}
	var le interface{ Error() string }
	if !errors.As(err, &le) {
		t.Fatal(err)
	}
	if a.Policy().Version() != v {
		t.Fatal("policy replaced by a failed load")
	}
	if ok, _ := a.IsAllowed(context.Background(), w.bob, "read", w.anvil); !ok {
		t.Fatal("old policy lost")
	}
	// A failing inline query fails the load too.
	if err := a.LoadString("q.polar", "f(1);\n?= f(2);\nallow(_, _, _);"); err == nil {
		t.Fatal("inline query failure did not fail the load")
	}
	if a.Policy().Version() != v {
		t.Fatal("policy replaced by a failed load")
	}
	if err := a.LoadString("q.polar", "f(1);\n?= f(1);\nallow(_, _, _);"); err != nil {
		t.Fatal(err)
	}
}

var _ = ursa.ErrNotFound
