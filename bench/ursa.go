package bench

import (
	"context"

	"github.com/ursa-authz/ursa"
)

// Ursa: decisions with IsAllowed on the Go values (pointers, as an
// application holds them); filters with Filter and sqlgen (see
// ursa_filter.go).

func init() {
	register(Engine{Name: "ursa", NewDecider: NewUrsaDecider, NewFilter: NewUrsaFilter})
}

// NewUrsaAuthorizer registers the fixture's classes and loads the Polar
// policy (the same file oso loads).
func NewUrsaAuthorizer(policy string) (*ursa.Authorizer, error) {
	if policy != "docs" && policy != "gitclub" {
		return nil, unknownPolicy("ursa", policy)
	}
	a, err := ursa.New()
	if err != nil {
		return nil, err
	}
	for _, c := range []any{User{}, OrgRole{}, RepoRole{}, Document{}, Org{}, Repo{}} {
		if err := a.RegisterClass(c); err != nil {
			return nil, err
		}
	}
	if err := a.LoadString(policy+".polar", Policy(policy+".polar")); err != nil {
		return nil, err
	}
	return a, nil
}

type ursaDecider struct{ a *ursa.Authorizer }

// NewUrsaDecider loads the policy into a new Authorizer.
func NewUrsaDecider(_ *Fixture, policy string) (Decider, error) {
	a, err := NewUrsaAuthorizer(policy)
	if err != nil {
		return nil, err
	}
	return ursaDecider{a}, nil
}

func (d ursaDecider) Prepare(r Request) (any, error) { return r, nil }

func (d ursaDecider) Decide(ctx context.Context, prepared any) (bool, error) {
	r := prepared.(Request)
	return d.a.IsAllowed(ctx, r.Actor, r.Action, r.Resource)
}
