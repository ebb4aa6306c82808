package bench

import (
	"context"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	"github.com/open-policy-agent/opa/v1/rego"
)

// The "-fromgo" decision variants time what an application holding Go
// values pays per request with OPA and cedar-go: the conversion of the
// request's objects into the engine's input (a Rego input document; the
// Cedar entities the request can reach) plus the decision. The plain "opa"
// and "cedar" deciders get that input prepared in advance, their best case;
// Ursa and oso read the Go values directly in both.

func init() {
	register(Engine{Name: "cedar-fromgo", NewDecider: NewCedarFromGoDecider})
	register(Engine{Name: "opa-fromgo", NewDecider: NewOPAFromGoDecider})
}

type opaFromGo struct{ *opaDecider }

// NewOPAFromGoDecider is NewOPADecider taking the Go request, converted on
// every call (rego.EvalInput with the input as Go maps).
func NewOPAFromGoDecider(f *Fixture, policy string) (Decider, error) {
	d, err := NewOPADecider(f, policy)
	if err != nil {
		return nil, err
	}
	return opaFromGo{d.(*opaDecider)}, nil
}

func (d opaFromGo) Prepare(r Request) (any, error) { return r, nil }

func (d opaFromGo) Decide(ctx context.Context, prepared any) (bool, error) {
	r := prepared.(Request)
	res, err := opaResource(r.Resource)
	if err != nil {
		return false, err
	}
	input := map[string]any{"actor": opaActor(r.Actor), "action": r.Action, "resource": res}
	return d.result(d.pq.Eval(ctx, rego.EvalInput(input)))
}

type cedarFromGo struct{ *cedarEngine }

// NewCedarFromGoDecider is NewCedarDecider building, on every call, the
// entities of the request (principal with its role groups, resource, parent
// organisation, and the role groups of that repository and organisation)
// from the Go values instead of using the prebuilt store.
func NewCedarFromGoDecider(f *Fixture, policy string) (Decider, error) {
	e, err := newCedar(f, policy)
	if err != nil {
		return nil, err
	}
	return cedarFromGo{e}, nil
}

func (d cedarFromGo) Prepare(r Request) (any, error) { return r, nil }

func (d cedarFromGo) Decide(_ context.Context, prepared any) (bool, error) {
	r := prepared.(Request)
	req, err := d.cedarEngine.Prepare(r)
	if err != nil {
		return false, err
	}
	return d.authorize(requestEntities(r), req.(cedar.Request))
}

// requestEntities converts what one request can reach to Cedar entities, as
// CedarEntities does for the whole fixture.
func requestEntities(r Request) types.EntityMap {
	m := types.EntityMap{}
	add := func(e types.Entity) { m[e.UID] = e }
	u := r.Actor
	switch x := r.Resource.(type) {
	case *Document:
		add(types.Entity{UID: cedarUID("User", u.ID)})
		add(types.Entity{UID: cedarUID("Document", x.ID), Attributes: types.NewRecord(types.RecordMap{
			"owner":  cedarUID("User", x.OwnerID),
			"public": types.Boolean(x.Public),
		})})
	case *Repo:
		groups := make([]types.EntityUID, 0, len(u.OrgRoles)+len(u.RepoRoles))
		for _, or := range u.OrgRoles {
			groups = append(groups, cedarRole("org", or.OrgID, or.Role))
		}
		for _, rr := range u.RepoRoles {
			groups = append(groups, cedarRole("repo", rr.RepoID, rr.Role))
		}
		add(types.Entity{UID: cedarUID("User", u.ID), Parents: types.NewEntityUIDSet(groups...)})
		add(types.Entity{UID: cedarUID("Repo", x.ID), Attributes: types.NewRecord(types.RecordMap{
			"parent":      cedarUID("Org", x.OrgID),
			"readers":     cedarRole("repo", x.ID, "reader"),
			"maintainers": cedarRole("repo", x.ID, "maintainer"),
			"admins":      cedarRole("repo", x.ID, "admin"),
		})})
		add(types.Entity{UID: cedarRole("repo", x.ID, "admin"), Parents: types.NewEntityUIDSet(cedarRole("repo", x.ID, "maintainer"))})
		add(types.Entity{UID: cedarRole("repo", x.ID, "maintainer"), Parents: types.NewEntityUIDSet(cedarRole("repo", x.ID, "reader"))})
		add(types.Entity{UID: cedarUID("Org", x.OrgID), Attributes: types.NewRecord(types.RecordMap{
			"members": cedarRole("org", x.OrgID, "member"),
			"owners":  cedarRole("org", x.OrgID, "owner"),
		})})
		add(types.Entity{UID: cedarRole("org", x.OrgID, "owner"), Parents: types.NewEntityUIDSet(cedarRole("org", x.OrgID, "member"))})
	}
	return m
}
