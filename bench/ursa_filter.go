package bench

import (
	"context"

	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

// Two Ursa filter variants are measured. "ursa" is Authorizer.Filter as
// applications call it: it caches filters by (policy, action, resource type,
// actor content), so a benchmark that repeats one question measures a cache
// hit plus sqlgen. "ursa-uncached" runs the same partial evaluation without
// the cache (partial.Query on allow(actor, action, unknown)), i.e. the cost
// of generating a filter for an actor seen for the first time; it is the
// like-for-like comparison with the peers, which cache nothing.
func init() {
	register(Engine{Name: "ursa-uncached", NewFilter: NewUrsaUncachedFilter})
}

// UrsaSchema maps the fixture's classes to the check tables, as an
// application declares it (or gormfilter reads it from GORM models).
func UrsaSchema() *sqlgen.Schema {
	notNull := func(cols ...string) map[string]bool {
		m := map[string]bool{}
		for _, c := range cols {
			m[c] = false
		}
		return m
	}
	return &sqlgen.Schema{Tables: map[string]*sqlgen.Table{
		"Document": {Type: "Document", Name: "documents", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "OwnerID": "owner_id", "Public": "public"},
			Nullable: notNull("id", "owner_id", "public")},
		"Org": {Type: "Org", Name: "orgs", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name"},
			Nullable: notNull("id", "name")},
		"Repo": {Type: "Repo", Name: "repos", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name", "OrgID": "org_id"},
			Nullable: notNull("id", "name", "org_id"),
			Relations: map[string]*sqlgen.Relation{
				"Org": {Name: "Org", Kind: sqlgen.BelongsTo, Target: "Org",
					ForeignKey: []string{"org_id"}, References: []string{"id"}},
			}},
	}}
}

type ursaFilter struct {
	a       *ursa.Authorizer
	schema  *sqlgen.Schema
	kind    string
	noCache bool
}

// NewUrsaFilter loads the policy; its filters are Authorizer.Filter
// compiled by sqlgen.Select for Postgres.
func NewUrsaFilter(_ *Fixture, policy string) (Filterer, error) {
	a, err := NewUrsaAuthorizer(policy)
	if err != nil {
		return nil, err
	}
	s := UrsaSchema()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &ursaFilter{a: a, schema: s, kind: ResourceKind(policy)}, nil
}

// NewUrsaUncachedFilter is NewUrsaFilter bypassing the filter cache.
func NewUrsaUncachedFilter(fx *Fixture, policy string) (Filterer, error) {
	fl, err := NewUrsaFilter(fx, policy)
	if err != nil {
		return nil, err
	}
	fl.(*ursaFilter).noCache = true
	return fl, nil
}

func (f *ursaFilter) PrepareActor(u *User) (any, error) { return u, nil }

func (f *ursaFilter) Filter(ctx context.Context, actor any, action string) (Filtered, error) {
	var flt *partial.Filter
	var err error
	if f.noCache {
		flt, err = partial.Query(ctx, f.a.Policy(), "allow", actor, action, partial.Unknown{Type: f.kind})
	} else {
		flt, err = f.a.Filter(ctx, actor, action, f.kind)
	}
	if err != nil {
		return nil, err
	}
	sql, args, err := sqlgen.Select(flt, f.schema, sqlgen.Postgres)
	if err != nil {
		return nil, err
	}
	return selectStar{SQLQuery{SQL: sql, Args: args}}, nil
}

// selectStar is a SELECT of whole rows; the check reads their ids.
type selectStar struct{ q SQLQuery }

func (s selectStar) String() string { return s.q.String() }

func (s selectStar) AllowedIDs(ctx context.Context, env *CheckEnv) ([]int64, error) {
	return SQLQuery{SQL: "SELECT id FROM (" + s.q.SQL + ") AS allowed", Args: s.q.Args}.AllowedIDs(ctx, env)
}
