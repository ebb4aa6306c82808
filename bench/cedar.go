package bench

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cedar-policy/cedar-go"
	cedarast "github.com/cedar-policy/cedar-go/ast"
	"github.com/cedar-policy/cedar-go/types"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
	"github.com/cedar-policy/cedar-go/x/exp/eval"
)

// cedar-go: decisions with cedar.Authorize over an entity store built once
// from the fixture (not timed), filters with the experimental partial
// evaluator (x/exp/eval.PartialPolicy) with the resource a variable. The
// partial evaluator returns residual policies, not SQL: cedar-go has no SQL
// backend, so its filter benchmark does less work than the others.

func init() {
	register(Engine{Name: "cedar", NewDecider: NewCedarDecider, NewFilter: NewCedarFilter,
		FilterNote: "residual policies only (no SQL)"})
}

func cedarUID(typ string, id int64) types.EntityUID {
	return types.NewEntityUID(types.EntityType(typ), types.String(strconv.FormatInt(id, 10)))
}

func cedarRole(scope string, id int64, role string) types.EntityUID {
	return types.NewEntityUID("Role", types.String(fmt.Sprintf("%s:%d:%s", scope, id, role)))
}

// CedarEntities converts the fixture to Cedar entities. In gitclub, every
// role is a Role group: a user is a member (child) of the groups of the roles
// it holds; admin ⊂ maintainer ⊂ reader and owner ⊂ member by nesting.
func CedarEntities(f *Fixture, policy string) types.EntityMap {
	m := types.EntityMap{}
	add := func(e types.Entity) { m[e.UID] = e }
	switch policy {
	case "docs":
		for _, u := range f.Users {
			add(types.Entity{UID: cedarUID("User", u.ID)})
		}
		for _, d := range f.Docs {
			add(types.Entity{UID: cedarUID("Document", d.ID), Attributes: types.NewRecord(types.RecordMap{
				"owner":  cedarUID("User", d.OwnerID),
				"public": types.Boolean(d.Public),
			})})
		}
	case "gitclub":
		for _, o := range f.Orgs {
			add(types.Entity{UID: cedarRole("org", o.ID, "owner"), Parents: types.NewEntityUIDSet(cedarRole("org", o.ID, "member"))})
			add(types.Entity{UID: cedarRole("org", o.ID, "member")})
			add(types.Entity{UID: cedarUID("Org", o.ID), Attributes: types.NewRecord(types.RecordMap{
				"members": cedarRole("org", o.ID, "member"),
				"owners":  cedarRole("org", o.ID, "owner"),
			})})
		}
		for _, r := range f.Repos {
			add(types.Entity{UID: cedarRole("repo", r.ID, "admin"), Parents: types.NewEntityUIDSet(cedarRole("repo", r.ID, "maintainer"))})
			add(types.Entity{UID: cedarRole("repo", r.ID, "maintainer"), Parents: types.NewEntityUIDSet(cedarRole("repo", r.ID, "reader"))})
			add(types.Entity{UID: cedarRole("repo", r.ID, "reader")})
			add(types.Entity{UID: cedarUID("Repo", r.ID), Attributes: types.NewRecord(types.RecordMap{
				"parent":      cedarUID("Org", r.OrgID),
				"readers":     cedarRole("repo", r.ID, "reader"),
				"maintainers": cedarRole("repo", r.ID, "maintainer"),
				"admins":      cedarRole("repo", r.ID, "admin"),
			})})
		}
		for _, u := range f.Users {
			var groups []types.EntityUID
			for _, or := range u.OrgRoles {
				groups = append(groups, cedarRole("org", or.OrgID, or.Role))
			}
			for _, rr := range u.RepoRoles {
				groups = append(groups, cedarRole("repo", rr.RepoID, rr.Role))
			}
			add(types.Entity{UID: cedarUID("User", u.ID), Parents: types.NewEntityUIDSet(groups...)})
		}
	}
	return m
}

type cedarEngine struct {
	ps       *cedar.PolicySet
	policies []*xast.Policy
	entities types.EntityMap
	kind     string
}

func newCedar(f *Fixture, policy string) (*cedarEngine, error) {
	if policy != "docs" && policy != "gitclub" {
		return nil, unknownPolicy("cedar", policy)
	}
	ps, err := cedar.NewPolicySetFromBytes(policy+".cedar", []byte(Policy(policy+".cedar")))
	if err != nil {
		return nil, err
	}
	e := &cedarEngine{ps: ps, entities: CedarEntities(f, policy), kind: ResourceKind(policy)}
	for _, p := range ps.All() {
		e.policies = append(e.policies, (*xast.Policy)(p.AST()))
	}
	return e, nil
}

// NewCedarDecider parses the policy and builds the entity store.
func NewCedarDecider(f *Fixture, policy string) (Decider, error) { return newCedar(f, policy) }

// NewCedarFilter parses the policy and builds the entity store.
func NewCedarFilter(f *Fixture, policy string) (Filterer, error) { return newCedar(f, policy) }

func cedarResource(res any) (types.EntityUID, error) {
	switch x := res.(type) {
	case *Document:
		return cedarUID("Document", x.ID), nil
	case *Repo:
		return cedarUID("Repo", x.ID), nil
	}
	return types.EntityUID{}, fmt.Errorf("cedar: unsupported resource %T", res)
}

func (e *cedarEngine) Prepare(r Request) (any, error) {
	res, err := cedarResource(r.Resource)
	if err != nil {
		return nil, err
	}
	return cedar.Request{
		Principal: cedarUID("User", r.Actor.ID),
		Action:    types.NewEntityUID("Action", types.String(r.Action)),
		Resource:  res,
		Context:   types.NewRecord(nil),
	}, nil
}

func (e *cedarEngine) Decide(_ context.Context, prepared any) (bool, error) {
	return e.authorize(e.entities, prepared.(cedar.Request))
}

func (e *cedarEngine) authorize(entities types.EntityMap, req cedar.Request) (bool, error) {
	d, diag := cedar.Authorize(e.ps, entities, req)
	if len(diag.Errors) > 0 {
		return false, fmt.Errorf("cedar: %v", diag.Errors)
	}
	return d == cedar.Allow, nil
}

func (e *cedarEngine) PrepareActor(u *User) (any, error) { return cedarUID("User", u.ID), nil }

// CedarResidual is the result of cedar-go's partial evaluation: the policies
// that may still apply, with what depends on the resource left in.
type CedarResidual struct {
	Policies []*xast.Policy
	e        *cedarEngine
	actor    types.EntityUID
	action   types.EntityUID
}

func (e *cedarEngine) Filter(_ context.Context, actor any, action string) (Filtered, error) {
	env := eval.Env{
		Entities:  e.entities,
		Principal: actor.(types.EntityUID),
		Action:    types.NewEntityUID("Action", types.String(action)),
		Resource:  eval.Variable("resource"),
		Context:   types.NewRecord(nil),
	}
	r := &CedarResidual{e: e, actor: env.Principal.(types.EntityUID), action: env.Action.(types.EntityUID)}
	for _, p := range e.policies {
		if res, keep := eval.PartialPolicy(env, p); keep {
			r.Policies = append(r.Policies, res)
		}
	}
	return r, nil
}

// AllowedIDs authorizes every resource of the kind against the residual
// policies (as a policy set), in memory.
func (r *CedarResidual) AllowedIDs(_ context.Context, env *CheckEnv) ([]int64, error) {
	ps := cedar.NewPolicySet()
	for i, p := range r.Policies {
		ps.Add(cedar.PolicyID(fmt.Sprint("residual", i)), cedar.NewPolicyFromAST((*cedarast.Policy)(p)))
	}
	var ids []int64
	check := func(id int64) error {
		d, diag := cedar.Authorize(ps, r.e.entities, cedar.Request{
			Principal: r.actor, Action: r.action, Resource: cedarUID(r.e.kind, id), Context: types.NewRecord(nil),
		})
		if len(diag.Errors) > 0 {
			return fmt.Errorf("cedar residual: %v", diag.Errors)
		}
		if d == cedar.Allow {
			ids = append(ids, id)
		}
		return nil
	}
	switch r.e.kind {
	case "Document":
		for _, d := range env.Fixture.Docs {
			if err := check(d.ID); err != nil {
				return nil, err
			}
		}
	case "Repo":
		for _, x := range env.Fixture.Repos {
			if err := check(x.ID); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

func (r *CedarResidual) String() string {
	var parts []string
	for _, p := range r.Policies {
		parts = append(parts, strings.TrimSpace(string(cedar.NewPolicyFromAST((*cedarast.Policy)(p)).MarshalCedar())))
	}
	return strings.Join(parts, "\n")
}
