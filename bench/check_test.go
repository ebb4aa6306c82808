package bench

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDecisionsAgree: every engine answers every fixed request like the
// reference. Engines whose API is missing are reported as skipped.
func TestDecisionsAgree(t *testing.T) {
	for _, policy := range Policies {
		s := getSetup(t, policy)
		for _, e := range Engines() {
			if e.NewDecider == nil {
				continue
			}
			t.Run(policy+"/"+e.Name, func(t *testing.T) {
				if err := s.unavail["decision:"+e.Name]; err != nil {
					t.Skip(err)
				}
				if err := s.decErr[e.Name]; err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestFiltersAgree: every engine's filter, for every user and action,
// returns exactly the rows the reference allows (SQL run in Postgres).
func TestFiltersAgree(t *testing.T) {
	for _, policy := range Policies {
		s := getSetup(t, policy)
		for _, e := range Engines() {
			if e.NewFilter == nil {
				continue
			}
			t.Run(policy+"/"+e.Name, func(t *testing.T) {
				if err := s.unavail["filter:"+e.Name]; err != nil {
					t.Skip(err)
				}
				err := s.filErr[e.Name]
				if errors.Is(err, ErrNoCheckDB) && os.Getenv("URSA_REQUIRE_DB") == "" {
					t.Skip(err)
				}
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestCheckDecisionsCatchesDisagreement makes sure the check can fail: an
// engine that allows everything must be reported.
func TestCheckDecisionsCatchesDisagreement(t *testing.T) {
	err := CheckDecisions(context.Background(), fixture, "docs", []string{"yes"}, []Decider{allowAll{}})
	if err == nil || !strings.Contains(err.Error(), "dave read Document#1: want false; yes: true") {
		t.Fatalf("got %v", err)
	}
}

type allowAll struct{}

func (allowAll) Prepare(r Request) (any, error)            { return r, nil }
func (allowAll) Decide(context.Context, any) (bool, error) { return true, nil }
func (allowAll) PrepareActor(u *User) (any, error)         { return u, nil }
func (allowAll) Filter(context.Context, any, string) (Filtered, error) {
	return SQLQuery{SQL: "SELECT id FROM documents"}, nil
}

// TestCheckFiltersCatchesDisagreement: a filter returning every row must be
// reported (needs Postgres).
func TestCheckFiltersCatchesDisagreement(t *testing.T) {
	ctx := context.Background()
	env, err := NewCheckEnv(ctx, fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	err = CheckFilters(ctx, env, "docs", []string{"all"}, []Filterer{allowAll{}})
	if errors.Is(err, ErrNoCheckDB) && os.Getenv("URSA_REQUIRE_DB") == "" {
		t.Skip(err)
	}
	if err == nil || !strings.Contains(err.Error(), "all alice read: got ids [1 2 3") {
		t.Fatalf("got %v", err)
	}
}

// TestRootModuleIsolation: the library module must neither contain the
// bench packages nor depend on the engines compared here.
func TestRootModuleIsolation(t *testing.T) {
	out, err := exec.Command("go", "-C", "..", "list", "-e", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list in the root module: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		const self = "github.com/ursa-authz/ursa/bench"
		if pkg == self || strings.HasPrefix(pkg, self+"/") {
			t.Errorf("root module's ./... includes %s", pkg)
		}
	}
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"open-policy-agent", "cedar-policy", "osohq"} {
		if strings.Contains(string(gomod), m) {
			t.Errorf("root go.mod mentions %s", m)
		}
	}
}
