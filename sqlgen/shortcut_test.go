package sqlgen_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

// out is what Select and Where give for a filter: SQL, args and error.
type out struct {
	sql, where  string
	args, wargs []any
	err, werr   string
}

// run compiles f with Select and Where.
func run(f *partial.Filter, s *sqlgen.Schema, d sqlgen.Dialect, opts []sqlgen.Option) out {
	var o out
	var err error
	o.sql, o.args, err = sqlgen.Select(f, s, d, opts...)
	if err != nil {
		o.err = err.Error()
	}
	o.where, o.wargs, err = sqlgen.Where(f, s, d, opts...)
	if err != nil {
		o.werr = err.Error()
	}
	return o
}

// TestShortcutsMatchGeneralPath: the shortcuts for common shapes (a plain
// column, ...) write exactly what the general path writes: the same SQL,
// args and error for Where and Select, on random filters and the golden
// ones, every dialect, both schemas and the options. Not parallel: it
// switches the shortcuts off for the whole package.
func TestShortcutsMatchGeneralPath(t *testing.T) {
	var filters []*partial.Filter
	for _, gc := range sqlgen.GoldenCases() {
		filters = append(filters, gc.F)
	}
	g := &gen{r: rand.New(rand.NewPCG(7, 11))}
	for range 300 {
		filters = append(filters, g.filter("Repo", repoPaths("resource"), nil, 3))
	}
	schemas := []*sqlgen.Schema{sqlgen.GitClubSchema(), sqlgen.Enforced(sqlgen.GitClubSchema())}
	optss := [][]sqlgen.Option{nil, {sqlgen.WithNilErrors()}, {sqlgen.WithAlias("r")}}
	defer sqlgen.SetGeneralOnly(sqlgen.SetGeneralOnly(false))
	n := 0
	for _, f := range filters {
		for _, s := range schemas {
			for _, d := range sqlgen.Dialects {
				for _, opts := range optss {
					sqlgen.SetGeneralOnly(false)
					fast := run(f, s, d, opts)
					sqlgen.SetGeneralOnly(true)
					general := run(f, s, d, opts)
					if !reflect.DeepEqual(fast, general) {
						t.Fatalf("%s %v, filter\n%s\nshortcuts: %+v\ngeneral:   %+v", d, opts, f, fast, general)
					}
					if fast.err == "" {
						n++
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no filter compiled")
	}
}

// directSchema has what the direct path takes (plain columns, belongs-to
// relations of one key column, qualified table names, a reference that is
// not the target's key and may be NULL) and what it must leave to the
// general path (an Enforced, a composite, a has-one relation, a relation
// to a type not in the schema, identifiers that cannot be quoted).
func directSchema() *sqlgen.Schema {
	return &sqlgen.Schema{Tables: map[string]*sqlgen.Table{
		"Repo": {Type: "Repo", Name: "app.repos", PK: []string{"id"},
			Fields: map[string]string{"ID": "id", "Name": "name", "OrgID": "org_id", "OwnerHandle": "owner_handle",
				"Stars": "stars", "Bad": "bad?col", "Odd": `we"ird`, "SiteID": "site_id", "PairA": "pair_a", "PairB": "pair_b", "GhostID": "ghost_id"},
			Nullable: map[string]bool{"name": false, "org_id": true, "owner_handle": true, "stars": false, `we"ird`: false},
			Relations: map[string]*sqlgen.Relation{
				"Org":    {Name: "Org", Kind: sqlgen.BelongsTo, Target: "Org", ForeignKey: []string{"org_id"}, References: []string{"id"}},
				"Owner":  {Name: "Owner", Kind: sqlgen.BelongsTo, Target: "User", ForeignKey: []string{"owner_handle"}, References: []string{"handle"}},
				"Site":   {Name: "Site", Kind: sqlgen.BelongsTo, Target: "Org", ForeignKey: []string{"site_id"}, References: []string{"id"}, Enforced: true},
				"Pair":   {Name: "Pair", Kind: sqlgen.BelongsTo, Target: "Org", ForeignKey: []string{"pair_a", "pair_b"}, References: []string{"id", "tier"}},
				"Ghost":  {Name: "Ghost", Kind: sqlgen.BelongsTo, Target: "Nope", ForeignKey: []string{"ghost_id"}, References: []string{"id"}},
				"Badrel": {Name: "Badrel", Kind: sqlgen.BelongsTo, Target: "Org", ForeignKey: []string{"bad?col"}, References: []string{"id"}},
				"Home":   {Name: "Home", Kind: sqlgen.HasOne, Target: "User", ForeignKey: []string{"home_repo_id"}, References: []string{"id"}},
			}},
		"Org": {Type: "Org", Name: "orgs", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name", "Tier": "tier", "Bad": "b?d"},
			Nullable: map[string]bool{"name": false, "tier": true}},
		"User": {Type: "User", Name: "people.users", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Handle": "handle", "Age": "age", "HomeRepoID": "home_repo_id"},
			Nullable: map[string]bool{"handle": true, "age": false}},
	}}
}

type directGen struct{ r *rand.Rand }

func (g *directGen) value(kind int) any {
	switch x := g.r.IntN(100); {
	case x == 0:
		return nil
	case x == 1:
		return []int{1} // cannot be bound
	case x < 8:
		return int(g.r.IntN(20)) // normalised to int64
	}
	switch kind {
	case 0:
		return int64(g.r.IntN(30))
	case 1:
		return []string{"a", "b", "it's", "?", "$1"}[g.r.IntN(5)]
	}
	return g.r.IntN(2) == 0
}

func (g *directGen) cond() partial.Cond {
	type gp struct {
		f    []string
		kind int // 0 int, 1 string, 2 bool
	}
	paths := []gp{
		{[]string{"ID"}, 0}, {[]string{"Name"}, 1}, {[]string{"OrgID"}, 0}, {[]string{"OwnerHandle"}, 1},
		{[]string{"Stars"}, 0}, {[]string{"Odd"}, 2},
		{[]string{"Org", "ID"}, 0}, {[]string{"Org", "Name"}, 1}, {[]string{"Org", "Tier"}, 0},
		{[]string{"Owner", "Handle"}, 1}, {[]string{"Owner", "Age"}, 0}, {[]string{"Owner", "ID"}, 0},
		// left to the general path
		{[]string{"Bad"}, 0}, {[]string{"org_id"}, 0}, {[]string{"Site", "ID"}, 0}, {[]string{"Pair", "Name"}, 1},
		{[]string{"Ghost", "ID"}, 0}, {[]string{"Badrel", "ID"}, 0}, {[]string{"Home", "Age"}, 0},
		{[]string{"Org", "Bad"}, 0}, {[]string{"Nope"}, 0}, {[]string{"Org"}, 0}, {[]string{"Org", "Nope"}, 0},
	}
	pick := func() gp {
		if g.r.IntN(30) == 0 {
			return paths[12+g.r.IntN(len(paths)-12)]
		}
		return paths[g.r.IntN(12)]
	}
	path := func(f []string) partial.Path {
		if g.r.IntN(60) == 0 {
			return partial.Path{Var: "x", Fields: f}
		}
		return partial.Path{Var: partial.RootVar, Fields: f}
	}
	switch x := g.r.IntN(100); {
	case x < 50:
		p := pick()
		op := []partial.CmpOp{partial.Eq, partial.Neq, partial.Lt, partial.Leq, partial.Gt, partial.Geq, partial.CmpOp(99)}[g.r.IntN(7)]
		if g.r.IntN(2) == 0 {
			op = partial.Eq
		}
		c := &partial.Compare{Op: op, L: path(p.f), R: partial.Value{V: g.value(p.kind)}}
		if g.r.IntN(4) == 0 {
			c = &partial.Compare{Op: op, L: c.R, R: c.L}
		}
		if g.r.IntN(40) == 0 {
			c.R = path(pick().f) // two paths
		}
		return c
	case x < 90:
		p := pick()
		in := &partial.In{L: path(p.f)}
		n := g.r.IntN(4)
		if g.r.IntN(6) == 0 {
			n = g.r.IntN(14) // $10 and on
		}
		for range n {
			in.Values = append(in.Values, partial.Value{V: g.value(p.kind)})
		}
		return in
	case x < 95: // a nil guard, taken only where a condition reads through it
		rel := []string{"Org", "Owner", "Site", "Home", "ID"}[g.r.IntN(5)]
		c := &partial.Compare{Op: partial.Neq, L: path([]string{rel}), R: partial.Value{V: nil}}
		if g.r.IntN(3) == 0 {
			c.L, c.R = c.R, c.L
		}
		if g.r.IntN(10) == 0 {
			c.Op = partial.Eq
		}
		return c
	case x < 99:
		return &partial.Const{Value: g.r.IntN(3) > 0}
	}
	return &partial.Not{C: g.cond()}
}

func (g *directGen) filter() *partial.Filter {
	f := &partial.Filter{Type: "Repo"}
	if g.r.IntN(30) == 0 {
		f.Type = []string{"Org", "Nope"}[g.r.IntN(2)]
	}
	n := func() int {
		if g.r.IntN(20) == 0 {
			return 0 // deny-all filter, allow-all branch
		}
		return g.r.IntN(4) + 1
	}
	for i := n(); i > 0; i-- {
		var b partial.Branch
		for j := n(); j > 0; j-- {
			b.Conds = append(b.Conds, g.cond())
		}
		if g.r.IntN(4) == 0 && len(b.Conds) > 0 { // a guard with a condition that reads through it
			b.Conds = append(b.Conds, &partial.Compare{Op: partial.Neq, L: partial.Path{Var: partial.RootVar, Fields: []string{"Org"}}, R: partial.Value{V: nil}},
				&partial.Compare{Op: partial.Eq, L: partial.Path{Var: partial.RootVar, Fields: []string{"Org", "ID"}}, R: partial.Value{V: int64(g.r.IntN(5))}})
			g.r.Shuffle(len(b.Conds), func(i, j int) { b.Conds[i], b.Conds[j] = b.Conds[j], b.Conds[i] })
		}
		f.Branches = append(f.Branches, b)
	}
	return f
}

// TestDirectMatchesGeneralPath: the direct path (direct.go) writes what the
// general path writes, for Select and Where, on random filters of the
// shapes it takes and of shapes near them that it must leave to the
// general path, every dialect and the options; and it is taken for the
// benchmark's filters.
func TestDirectMatchesGeneralPath(t *testing.T) {
	defer sqlgen.SetGeneralOnly(sqlgen.SetGeneralOnly(false))
	check := func(f *partial.Filter, s *sqlgen.Schema, d sqlgen.Dialect, opts []sqlgen.Option) (direct bool, o out) {
		sqlgen.SetGeneralOnly(false)
		direct = sqlgen.UsesDirect(f, s, d, opts...)
		fast := run(f, s, d, opts)
		sqlgen.SetGeneralOnly(true)
		general := run(f, s, d, opts)
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("%s %v (direct %v), filter\n%s\nfast:    %+v\ngeneral: %+v", d, opts, direct, f, fast, general)
		}
		return direct, fast
	}

	stage := sqlgen.BenchStageSchema()
	for _, f := range []*partial.Filter{
		{Type: "Document", Branches: []partial.Branch{
			{Conds: []partial.Cond{&partial.Compare{Op: partial.Eq, L: partial.Path{Var: partial.RootVar, Fields: []string{"OwnerID"}}, R: partial.Value{V: int64(2)}}}},
			{Conds: []partial.Cond{&partial.Compare{Op: partial.Eq, L: partial.Path{Var: partial.RootVar, Fields: []string{"Public"}}, R: partial.Value{V: true}}}}}},
		{Type: "Repo", Branches: []partial.Branch{
			{Conds: []partial.Cond{&partial.In{L: partial.Path{Var: partial.RootVar, Fields: []string{"ID"}}, Values: []partial.Value{{V: int64(1)}, {V: int64(6)}, {V: int64(11)}}}}},
			{Conds: []partial.Cond{
				&partial.Compare{Op: partial.Neq, L: partial.Path{Var: partial.RootVar, Fields: []string{"Org"}}, R: partial.Value{V: nil}},
				&partial.Compare{Op: partial.Eq, L: partial.Path{Var: partial.RootVar, Fields: []string{"Org", "ID"}}, R: partial.Value{V: int64(2)}}}}}},
	} {
		for _, d := range sqlgen.Dialects {
			if direct, _ := check(f, stage, d, nil); !direct {
				t.Errorf("%s: the benchmark's filter %s is not compiled by the direct path", d, f)
			}
		}
	}

	s := directSchema()
	optss := [][]sqlgen.Option{nil, {sqlgen.WithAlias("r")}, {sqlgen.WithAlias(`a"b`)}, {sqlgen.WithAlias("b?d")}, {sqlgen.WithNilErrors()}}
	g := &directGen{r: rand.New(rand.NewPCG(3, 5))}
	var direct, many, sqlText, general int
	for range 3000 {
		f := g.filter()
		for _, d := range sqlgen.Dialects {
			opts := optss[g.r.IntN(len(optss))]
			ok, o := check(f, s, d, opts)
			if ok {
				direct++
				if len(o.args) >= 10 {
					many++
				}
				if len(o.args) > 0 {
					sqlText++
				}
			} else {
				general++
			}
		}
	}
	t.Logf("direct %d (with args %d, 10 or more %d), general %d", direct, sqlText, many, general)
	if direct < 1000 || sqlText < 500 || many < 20 || general < 1000 {
		t.Fatalf("the random filters do not cover both paths: direct %d (with args %d, 10 or more %d), general %d", direct, sqlText, many, general)
	}
}
