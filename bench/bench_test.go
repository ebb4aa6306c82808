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
// once. Each engine is checked against the reference answers (Expected), so
// engines that pass all agree with one another; an engine that disagrees
// fails its benchmarks, an engine whose API is missing skips them.
type setup struct {
	once      sync.Once
	deciders  map[string]Decider
	filterers map[string]Filterer
	decErr    map[string]error // building the decider, or its check
	filErr    map[string]error // building the filterer, or its check
	unavail   map[string]error // engines that could not be built, per kind "decision:" / "filter:"
}

var setups = map[string]*setup{"docs": {}, "gitclub": {}}

func getSetup(tb testing.TB, policy string) *setup {
	s := setups[policy]
	s.once.Do(func() {
		ctx := context.Background()
		s.deciders, s.filterers = map[string]Decider{}, map[string]Filterer{}
		s.decErr, s.filErr, s.unavail = map[string]error{}, map[string]error{}, map[string]error{}
		var env *CheckEnv
		for _, e := range Engines() {
			if e.NewDecider != nil { // nil: a filter-only variant of another engine
				if d, err := e.NewDecider(fixture, policy); err != nil {
					s.unavail["decision:"+e.Name] = err
				} else {
					s.deciders[e.Name] = d
					s.decErr[e.Name] = CheckDecisions(ctx, fixture, policy, []string{e.Name}, []Decider{d})
				}
			}
			if e.NewFilter == nil {
				continue
			}
			fl, err := e.NewFilter(fixture, policy)
			if err != nil {
				s.unavail["filter:"+e.Name] = err
				continue
			}
			s.filterers[e.Name] = fl
			if env == nil {
				if env, err = NewCheckEnv(ctx, fixture); err != nil {
					s.filErr[e.Name] = err
					env = nil
					continue
				}
				defer env.Close()
			}
			err = CheckFilters(ctx, env, policy, []string{e.Name}, []Filterer{fl})
			if errors.Is(err, ErrNoCheckDB) && os.Getenv("BENCH_SKIP_SQL_CHECK") != "" {
				tb.Logf("%s %s: SQL filters NOT checked: %v", policy, e.Name, err)
				err = nil
			}
			s.filErr[e.Name] = err
		}
	})
	return s
}

func BenchmarkDecision(b *testing.B) {
	ctx := context.Background()
	for _, policy := range Policies {
		for _, e := range Engines() {
			if e.NewDecider == nil {
				continue
			}
			b.Run("policy="+policy+"/engine="+e.Name, func(b *testing.B) {
				s := getSetup(b, policy)
				if err := s.unavail["decision:"+e.Name]; err != nil {
					b.Skip(err)
				}
				if err := s.decErr[e.Name]; err != nil {
					b.Fatal(err)
				}
				d := s.deciders[e.Name]
				reqs := fixture.BenchRequests(policy)
				prepared := make([]any, len(reqs))
				for i, r := range reqs {
					p, err := d.Prepare(r)
					if err != nil {
						b.Fatal(err)
					}
					prepared[i] = p
				}
				loop(b, func(i int) error {
					_, err := d.Decide(ctx, prepared[i%len(prepared)])
					return err
				})
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
			if e.NewFilter == nil {
				continue
			}
			b.Run("policy="+policy+"/engine="+e.Name, func(b *testing.B) {
				s := getSetup(b, policy)
				if err := s.unavail["filter:"+e.Name]; err != nil {
					b.Skip(err)
				}
				if err := s.filErr[e.Name]; err != nil {
					b.Fatal(err)
				}
				fl := s.filterers[e.Name]
				actor, err := fl.PrepareActor(filterActor())
				if err != nil {
					b.Fatal(err)
				}
				loop(b, func(int) error {
					_, err := fl.Filter(ctx, actor, "read")
					return err
				})
			})
		}
	}
}
