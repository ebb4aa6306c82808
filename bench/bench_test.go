package bench

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
)

// The benchmarks are named Decision/policy=P/engine=E and
// Filter/policy=P/engine=E so that `benchstat -col /engine` puts the engines
// side by side (see run.sh).

var fixture = NewFixture()

// setup builds every engine once per policy and runs the agreement checks
// once; every benchmark of that policy fails if any engine disagrees.
type setup struct {
	once      sync.Once
	names     []string
	deciders  []Decider
	filterers []Filterer
	decErr    error // building a decider or the decision check
	filErr    error // building a filterer or the filter check
}

var setups = map[string]*setup{"docs": {}, "gitclub": {}}

func getSetup(tb testing.TB, policy string) *setup {
	s := setups[policy]
	s.once.Do(func() {
		ctx := context.Background()
		var fnames []string
		for _, e := range Engines() {
			d, err := e.NewDecider(fixture, policy)
			if err != nil {
				s.decErr = errors.Join(s.decErr, err)
			}
			fl, err := e.NewFilter(fixture, policy)
			if err != nil {
				s.filErr = errors.Join(s.filErr, err)
			}
			s.names = append(s.names, e.Name)
			s.deciders = append(s.deciders, d)
			s.filterers = append(s.filterers, fl)
			fnames = append(fnames, e.Name)
		}
		if s.decErr == nil {
			s.decErr = CheckDecisions(ctx, fixture, policy, s.names, s.deciders)
		}
		if s.filErr == nil {
			env, err := NewCheckEnv(ctx, fixture)
			if err != nil {
				s.filErr = err
				return
			}
			defer env.Close()
			s.filErr = CheckFilters(ctx, env, policy, fnames, s.filterers)
			if errors.Is(s.filErr, ErrNoCheckDB) && os.Getenv("BENCH_SKIP_SQL_CHECK") != "" {
				tb.Logf("%s: SQL filters NOT checked: %v", policy, s.filErr)
				s.filErr = nil
			}
		}
	})
	return s
}

func engineIndex(s *setup, name string) int {
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	return -1
}

func BenchmarkDecision(b *testing.B) {
	ctx := context.Background()
	for _, policy := range Policies {
		for _, e := range Engines() {
			b.Run("policy="+policy+"/engine="+e.Name, func(b *testing.B) {
				s := getSetup(b, policy)
				if s.decErr != nil {
					b.Fatal(s.decErr)
				}
				d := s.deciders[engineIndex(s, e.Name)]
				reqs := fixture.BenchRequests(policy)
				prepared := make([]any, len(reqs))
				for i, r := range reqs {
					p, err := d.Prepare(r)
					if err != nil {
						b.Fatal(err)
					}
					prepared[i] = p
				}
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if _, err := d.Decide(ctx, prepared[i%len(prepared)]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// filterActor is the user whose list query the filter benchmarks build: bob
// has roles on single repositories and an organisation membership, and owns
// documents, so every policy rule contributes to his filter.
func filterActor() *User { return fixture.Users[1] }

func BenchmarkFilter(b *testing.B) {
	ctx := context.Background()
	for _, policy := range Policies {
		for _, e := range Engines() {
			b.Run("policy="+policy+"/engine="+e.Name, func(b *testing.B) {
				s := getSetup(b, policy)
				if s.filErr != nil {
					b.Fatal(s.filErr)
				}
				fl := s.filterers[engineIndex(s, e.Name)]
				actor, err := fl.PrepareActor(filterActor())
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := fl.Filter(ctx, actor, "read"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
