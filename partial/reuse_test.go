package partial_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/ursa-authz/ursa/partial"
)

// Filters are copied out of the evaluator's memory, which pooled evaluators
// reuse and, in this package's tests, poison when they release it (see
// TestMain): a returned filter must show no poison, and print the same after
// many other evaluations, run concurrently, as when it was returned. The
// check fails if a filter still points into an evaluator's slabs or key
// arena.
func TestFiltersOutliveReuse(t *testing.T) {
	ctx := context.Background()
	type made struct {
		f          *partial.Filter
		what, text string
	}
	var policies []string
	for _, name := range []string{"repo_inherit", "teams", "folders", "negation", "org_roles", "managers"} {
		policies = append(policies, goldenPolicySource(t, name))
	}
	var mu sync.Mutex
	var all []made
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				src := policies[(w+i)%len(policies)]
				p := loadPolicy(t, src)
				for name, actor := range actors {
					for _, typ := range []string{"Repo", "Doc", "Folder", "Employee", "Org"} {
						f, err := partial.Query(ctx, p, "allow", actor, "read", partial.Unknown{Type: typ})
						if err != nil {
							continue // not every policy covers every type
						}
						mu.Lock()
						all = append(all, made{f, name + "/" + typ, f.String()})
						mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(all) < 100 {
		t.Fatalf("only %d filters made: the test covers too little", len(all))
	}
	nonTrivial := 0
	for _, m := range all {
		if strings.Contains(m.text, "POISONED") {
			t.Fatalf("%s: filter points into reused memory: %s", m.what, m.text)
		}
		if got := m.f.String(); got != m.text {
			t.Fatalf("%s: filter changed after reuse:\nmade: %s\nnow:  %s", m.what, m.text, got)
		}
		if !m.f.IsAllowAll() && !m.f.IsDenyAll() {
			nonTrivial++
		}
	}
	if nonTrivial < 50 {
		t.Fatalf("only %d non-trivial filters: the test covers too little", nonTrivial)
	}
}
