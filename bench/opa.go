package bench

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/rego/compile"
)

// OPA: decisions with a prepared query on data.<policy>.allow, filters with
// the compile API (package v1/rego/compile, what the server's
// /v1/compile endpoint runs) targeting Postgres SQL, with input.resource
// unknown and mapped to the policy's table.

func init() {
	register(Engine{Name: "opa", NewDecider: NewOPADecider, NewFilter: NewOPAFilter})
	register(Engine{Name: "opa-perrequest", NewFilter: NewOPAPerRequestFilter})
}

type opaDecider struct {
	pq rego.PreparedEvalQuery
}

// NewOPADecider prepares data.<policy>.allow.
func NewOPADecider(_ *Fixture, policy string) (Decider, error) {
	if policy != "docs" && policy != "gitclub" {
		return nil, unknownPolicy("opa", policy)
	}
	pq, err := rego.New(
		rego.Query("data."+policy+".allow"),
		rego.Module(policy+".rego", Policy(policy+".rego")),
	).PrepareForEval(context.Background())
	if err != nil {
		return nil, err
	}
	return &opaDecider{pq: pq}, nil
}

// opaActor is the JSON shape of a user in the Rego input.
func opaActor(u *User) map[string]any {
	orgRoles := make([]any, len(u.OrgRoles))
	for i, r := range u.OrgRoles {
		orgRoles[i] = map[string]any{"org_id": r.OrgID, "role": r.Role}
	}
	repoRoles := make([]any, len(u.RepoRoles))
	for i, r := range u.RepoRoles {
		repoRoles[i] = map[string]any{"repo_id": r.RepoID, "role": r.Role}
	}
	return map[string]any{"id": u.ID, "name": u.Name, "org_roles": orgRoles, "repo_roles": repoRoles}
}

func opaResource(res any) (map[string]any, error) {
	switch x := res.(type) {
	case *Document:
		return map[string]any{"id": x.ID, "owner_id": x.OwnerID, "public": x.Public}, nil
	case *Repo:
		return map[string]any{"id": x.ID, "name": x.Name, "org_id": x.OrgID}, nil
	}
	return nil, fmt.Errorf("opa: unsupported resource %T", res)
}

func (d *opaDecider) Prepare(r Request) (any, error) {
	res, err := opaResource(r.Resource)
	if err != nil {
		return nil, err
	}
	return ast.InterfaceToValue(map[string]any{"actor": opaActor(r.Actor), "action": r.Action, "resource": res})
}

func (d *opaDecider) Decide(ctx context.Context, prepared any) (bool, error) {
	return d.result(d.pq.Eval(ctx, rego.EvalParsedInput(prepared.(ast.Value))))
}

// result reads the boolean of data.<policy>.allow; undefined is false.
func (d *opaDecider) result(rs rego.ResultSet, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	if len(rs) == 0 { // undefined
		return false, nil
	}
	b, ok := rs[0].Expressions[0].Value.(bool)
	if !ok {
		return false, fmt.Errorf("opa: allow is %T, not bool", rs[0].Expressions[0].Value)
	}
	return b, nil
}

type opaFilter struct {
	prep  *compile.Prepared
	table string
	// perRequest: prepare on every call, as the /v1/compile handler does
	// (it builds and prepares a compile.Compile per request).
	newCompile func() *compile.Compile
}

// NewOPAFilter prepares the compile API for data.<policy>.allow with
// input.resource unknown, once; Filter runs only Prepared.Compile.
func NewOPAFilter(_ *Fixture, policy string) (Filterer, error) {
	f, err := newOPAFilter(policy)
	if err != nil {
		return nil, err
	}
	if f.prep, err = f.newCompile().Prepare(context.Background()); err != nil {
		return nil, err
	}
	return f, nil
}

// NewOPAPerRequestFilter is the compile API as OPA's server runs it for one
// POST /v1/compile: compile.New(...).Prepare then Compile on every call
// (without the HTTP and JSON work around it).
func NewOPAPerRequestFilter(_ *Fixture, policy string) (Filterer, error) {
	f, err := newOPAFilter(policy)
	if err != nil {
		return nil, err
	}
	if _, err := f.newCompile().Prepare(context.Background()); err != nil { // fail early
		return nil, err
	}
	return f, nil
}

func newOPAFilter(policy string) (*opaFilter, error) {
	if policy != "docs" && policy != "gitclub" {
		return nil, unknownPolicy("opa", policy)
	}
	table := TableOf(ResourceKind(policy))
	// Parse once, as a server with a loaded bundle has its modules compiled.
	mod, err := ast.ParseModule(policy+".rego", Policy(policy+".rego"))
	if err != nil {
		return nil, err
	}
	c := ast.NewCompiler()
	if c.Compile(map[string]*ast.Module{policy + ".rego": mod}); c.Failed() {
		return nil, c.Errors
	}
	return &opaFilter{table: table, newCompile: func() *compile.Compile {
		return compile.New(
			compile.Target("sql", "postgresql"),
			compile.ParsedUnknowns(ast.MustParseTerm("input.resource")),
			compile.ParsedQuery(ast.MustParseBody("data."+policy+".allow == true")),
			compile.Mappings(map[string]any{"resource": map[string]any{"$self": table}}),
			compile.Rego(rego.Compiler(c)),
		)
	}}, nil
}

func (f *opaFilter) PrepareActor(u *User) (any, error) {
	return ast.InterfaceToValue(map[string]any{"actor": opaActor(u)})
}

func (f *opaFilter) Filter(ctx context.Context, actor any, action string) (Filtered, error) {
	input := actor.(ast.Value).(ast.Object).Copy()
	input.Insert(ast.InternedTerm("action"), ast.StringTerm(action))
	prep := f.prep
	if prep == nil {
		var err error
		if prep, err = f.newCompile().Prepare(ctx); err != nil {
			return nil, err
		}
	}
	fs, err := prep.Compile(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, err
	}
	q := fs.One().Query
	switch w := q.(type) {
	case nil: // unconditionally denied
		return SQLQuery{SQL: "SELECT id FROM " + f.table + " WHERE false"}, nil
	case string: // "" when unconditionally allowed, else "WHERE ..."
		return SQLQuery{SQL: "SELECT id FROM " + f.table + " " + w}, nil
	}
	return nil, fmt.Errorf("opa: compile returned %T", q)
}
