package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Requests is the fixed set of decision requests for a policy: every
// (user, action, resource) triple of the fixture.
func (f *Fixture) Requests(policy string) []Request {
	if policy == "docs" {
		return f.DocRequests()
	}
	return f.RepoRequests()
}

// CheckDecisions asks every engine every request of the policy and returns
// an error listing each request where an engine's answer differs from the
// reference (Expected), with all engines' answers, so a disagreement between
// engines can never go unnoticed.
func CheckDecisions(ctx context.Context, f *Fixture, policy string, names []string, deciders []Decider) error {
	var errs []string
	for _, r := range f.Requests(policy) {
		want := Expected(r)
		answers := make([]string, len(deciders))
		bad := false
		for i, d := range deciders {
			p, err := d.Prepare(r)
			var got bool
			if err == nil {
				got, err = d.Decide(ctx, p)
			}
			switch {
			case err != nil:
				answers[i] = fmt.Sprintf("%s: error %v", names[i], err)
				bad = true
			default:
				answers[i] = fmt.Sprintf("%s: %v", names[i], got)
				bad = bad || got != want
			}
		}
		if bad {
			errs = append(errs, fmt.Sprintf("%s: want %v; %s", r, want, strings.Join(answers, ", ")))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %d of %d decisions disagree:\n  %s", policy, len(errs), len(f.Requests(policy)), strings.Join(errs, "\n  "))
	}
	return nil
}

// ErrNoCheckDB is returned by CheckFilters when a SQL filter cannot be
// checked because Postgres is not reachable.
var ErrNoCheckDB = errors.New("Postgres is not reachable: SQL filters cannot be checked")

// CheckFilters builds every engine's filter for every user and action of the
// policy, applies it (SQL in Postgres, residuals in memory) and returns an
// error for each one whose rows differ from the resources the reference
// decision allows.
func CheckFilters(ctx context.Context, env *CheckEnv, policy string, names []string, filterers []Filterer) error {
	f := env.Fixture
	kind := ResourceKind(policy)
	actions := DocActions
	if policy == "gitclub" {
		actions = RepoActions
	}
	var errs []string
	for _, u := range f.Users {
		for _, a := range actions {
			want := f.ExpectedIDs(u, a, kind)
			for i, fl := range filterers {
				actor, err := fl.PrepareActor(u)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s %s %s: %v", names[i], u.Name, a, err))
					continue
				}
				q, err := fl.Filter(ctx, actor, a)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s %s %s: filter: %v", names[i], u.Name, a, err))
					continue
				}
				got, err := q.AllowedIDs(ctx, env)
				if errors.Is(err, errNoDB) {
					return fmt.Errorf("%w (%v)", ErrNoCheckDB, env.DBErr)
				}
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s %s %s: %v", names[i], u.Name, a, err))
					continue
				}
				if !slices.Equal(got, want) {
					errs = append(errs, fmt.Sprintf("%s %s %s: got ids %v, want %v\n    filter: %s", names[i], u.Name, a, got, want, q))
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %d filters disagree with the decisions:\n  %s", policy, len(errs), strings.Join(errs, "\n  "))
	}
	return nil
}
