package sqlgen

import (
	"errors"
	"fmt"
	sq "github.com/Masterminds/squirrel"
	"slices"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/partial"
)

// nastyValues are values that would break out of a spliced literal.
var nastyValues = []string{
	`o'brien`, `'; DROP TABLE repos; --`, `" OR 1=1 --`, "back\\slash\\'", "nul\x00byte", `$1`, `?`, `??`,
	"line\nbreak", "\u202eright-to-left", "zero\u200bwidth", "emoji 🐻", "\xff\xfe invalid utf-8", "`backtick`",
	`/* comment */`, `%_wildcards%`,
}

// TestInjectionValues: every value stays a bind argument, in every dialect
// and every position (comparison, list, nested subquery, recursive CTE).
func TestInjectionValues(t *testing.T) {
	s := gitclub()
	for _, v := range nastyValues {
		pred := &partial.Pred{Name: "p", Type: "Folder", Param: "f", Body: partial.Filter{Type: "Folder", Branches: []partial.Branch{
			and_(eq(P("f", "Name"), V(v))), and_(&partial.InSet{Path: P("f", "Parent"), Pred: "p"})}}}
		filters := []*partial.Filter{
			filter("Repo", and_(eq(R("Name"), V(v)))),
			filter("Repo", and_(in(R("Name"), v, "x", v))),
			filter("Repo", and_(negate(cmp(partial.Neq, R("Org", "Name"), V(v))))),
			filter("Repo", and_(exists("m", "OrgRole", R("Org", "Memberships"), and_(eq(P("m", "Role"), V(v)))))),
			{Type: "Folder", Branches: []partial.Branch{and_(&partial.InSet{Path: R(), Pred: "p"})}, Preds: map[string]*partial.Pred{"p": pred}},
		}
		for _, f := range filters {
			for _, d := range Dialects {
				for _, api := range []func(*partial.Filter, *Schema, Dialect, ...Option) (string, []any, error){Where, Select} {
					sql, args, err := api(f, s, d)
					if err != nil {
						t.Fatalf("%s %q: %v", d, v, err)
					}
					if strings.Contains(sql, v) && len(v) > 2 {
						t.Errorf("%s: value %q spliced into %s", d, v, sql)
					}
					for _, bad := range []string{"'", "--", ";", "\\", "\x00", "\u202e", "\u200b"} {
						if strings.Contains(sql, bad) {
							t.Errorf("%s: %q in SQL for value %q: %s", d, bad, v, sql)
						}
					}
					if !slices.Contains(args, any(v)) {
						t.Errorf("%s: value %q not among args %q", d, v, args)
					}
				}
			}
		}
	}
}

// TestInjectionIdentifiers: paths that are not in the schema are refused;
// identifiers in the schema and aliases are quoted (quotes doubled) or
// refused when they cannot be quoted safely.
func TestInjectionIdentifiers(t *testing.T) {
	s := gitclub()
	for _, p := range []partial.Path{
		R("Nope"), R("name; DROP TABLE repos"), R(`Name"`), R("Org", "Nope"), R("Org", "Name", "X"), R("Roles", "Role"),
		P("nobody", "Name"),
	} {
		for _, d := range Dialects {
			_, _, err := Where(filter("Repo", and_(eq(p, V(int64(1))))), s, d)
			if err == nil {
				t.Errorf("%s: path %v accepted", d, p)
				continue
			}
			if !errors.Is(err, ErrUnknownField) && !errors.Is(err, ErrInvalidFilter) && !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: path %v: error %v does not wrap a sentinel", d, p, err)
			}
		}
	}
	if _, _, err := Where(filter("Nope", and_()), s, Postgres); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type: %v", err)
	}

	// hostile but schema-declared identifiers are quoted
	h := gitclub()
	h.Tables["Repo"].Name = `re"po` + "`s"
	h.Tables["Repo"].Fields["Name"] = `na"me` + "`"
	want := map[Dialect]string{
		Postgres: `SELECT "re""po` + "`s" + `".* FROM "re""po` + "`s" + `" WHERE "re""po` + "`s" + `"."na""me` + "`" + `" = $1`,
		MySQL:    "SELECT `re\"po``s`.* FROM `re\"po``s` WHERE `re\"po``s`.`na\"me``` = ?",
		SQLite:   `SELECT "re""po` + "`s" + `".* FROM "re""po` + "`s" + `" WHERE "re""po` + "`s" + `"."na""me` + "`" + `" = ?`,
	}
	for _, d := range Dialects {
		sql, _, err := Select(filter("Repo", and_(eq(R("Name"), V("x")))), h, d)
		if err != nil || sql != want[d] {
			t.Errorf("%s: got %s, %v\nwant %s", d, sql, err, want[d])
		}
		sql, _, err = Where(filter("Repo", and_(eq(R("Name"), V("x")))), h, d, WithAlias(`r"`+"`"))
		if err != nil || (!strings.HasPrefix(sql, `"r""`+"`"+`".`) && !strings.HasPrefix(sql, "`r\"```.")) {
			t.Errorf("%s: alias: %s, %v", d, sql, err)
		}
	}
	// identifiers that cannot be quoted safely are refused
	for _, name := range []string{"a?b", "nul\x00", "", "\xff"} {
		h := gitclub()
		h.Tables["Repo"].Fields["Name"] = name
		if _, _, err := Where(filter("Repo", and_(eq(R("Name"), V("x")))), h, Postgres); !errors.Is(err, ErrInvalidIdent) {
			t.Errorf("column %q: %v", name, err)
		}
		if err := h.Validate(); !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("Validate with column %q: %v", name, err)
		}
	}
	if _, _, err := Where(filter("Repo", and_(eq(R("Name"), V("x")))), s, Postgres, WithAlias("r?")); !errors.Is(err, ErrInvalidIdent) {
		t.Errorf("alias with '?': %v", err)
	}
}

// TestInvalidValues: values of other types are refused, never formatted.
func TestInvalidValues(t *testing.T) {
	for _, v := range []any{struct{}{}, []int{1}, map[string]int{}, uint64(1), &struct{}{}} {
		_, _, err := Where(filter("Repo", and_(eq(R("Name"), V(v)))), gitclub(), Postgres)
		if !errors.Is(err, ErrInvalidFilter) {
			t.Errorf("%T: %v", v, err)
		}
	}
}

// TestInvalidOperators: a comparison operator outside Eq..Geq is refused,
// with the path on either side.
func TestInvalidOperators(t *testing.T) {
	for _, op := range []partial.CmpOp{-1, 0, partial.Geq + 1, 100} {
		for _, x := range []*partial.Compare{cmp(op, R("Name"), V("a")), cmp(op, V("a"), R("Name"))} {
			_, _, err := Where(filter("Repo", and_(x)), gitclub(), Postgres)
			if !errors.Is(err, ErrInvalidFilter) {
				t.Errorf("op %d: %v", op, err)
			}
		}
	}
}

// TestValidate: inconsistent schemas are refused with a clear message.
func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(s *Schema)
		want   string
	}{
		{"no pk", func(s *Schema) { s.Tables["Repo"].PK = nil }, "type Repo: no primary key"},
		{"no table name", func(s *Schema) { s.Tables["Repo"].Name = "" }, "type Repo: table name: sqlgen: invalid identifier: empty identifier"},
		{"type mismatch", func(s *Schema) { s.Tables["Repo"].Type = "Repository" }, `type Repo: table declares Type "Repository"`},
		{"field and relation", func(s *Schema) { s.Tables["Repo"].Fields["Org"] = "org" }, "type Repo: Org is both a field and a relation"},
		{"unknown target", func(s *Schema) { s.Tables["Repo"].Relations["Org"].Target = "Organisation" }, `type Repo: relation Org: target type "Organisation" is not in the schema`},
		{"fk not a column", func(s *Schema) { s.Tables["Repo"].Relations["Org"].ForeignKey = []string{"orgid"} }, `type Repo: relation Org: ForeignKey column "orgid" is not a column of Repo (repos)`},
		{"ref not on target", func(s *Schema) { s.Tables["Repo"].Relations["Org"].References = []string{"uuid"} }, `type Repo: relation Org: References column "uuid" is not a column of Org (orgs)`},
		{"key widths", func(s *Schema) { s.Tables["Repo"].Relations["Org"].References = []string{"id", "name"} }, "type Repo: relation Org: References has 2 columns, want 1"},
		{"has-many fk on target", func(s *Schema) { s.Tables["Repo"].Relations["Roles"].ForeignKey = []string{"repo"} }, `type Repo: relation Roles: ForeignKey column "repo" is not a column of RepoRole (repo_roles)`},
		{"m2m no join table", func(s *Schema) { s.Tables["Repo"].Relations["Teams"].JoinTable = "" }, "type Repo: relation Teams: JoinTable: sqlgen: invalid identifier: empty identifier"},
		{"m2m join key widths", func(s *Schema) { s.Tables["Repo"].Relations["Teams"].JoinReferences = nil }, "type Repo: relation Teams: no JoinReferences"},
		{"bad kind", func(s *Schema) { s.Tables["Repo"].Relations["Org"].Kind = 9 }, "type Repo: relation Org: unknown relation kind 9"},
		{"name mismatch", func(s *Schema) { s.Tables["Repo"].Relations["Org"].Name = "Organisation" }, `type Repo: relation Org: declares Name "Organisation"`},
		{"nil table", func(s *Schema) { s.Tables["Ghost"] = nil }, "type Ghost: nil table"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := gitclub()
			c.mutate(s)
			err := s.Validate()
			if !errors.Is(err, ErrInvalidSchema) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant ...%s", err, c.want)
			}
		})
	}
	var nilSchema *Schema
	if err := nilSchema.Validate(); !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("nil schema: %v", err)
	}
}

// TestUnsupported: constructs SQL recursion cannot express are errors, never
// a wider query.
func TestUnsupported(t *testing.T) {
	nonLinear := &partial.Pred{Name: "p", Type: "Folder", Param: "f", Body: partial.Filter{Type: "Folder", Branches: []partial.Branch{
		and_(eq(P("f", "OwnerID"), V(int64(7)))),
		and_(&partial.InSet{Path: P("f", "Parent"), Pred: "p"}, &partial.InSet{Path: P("f", "Parent", "Parent"), Pred: "p"}),
	}}}
	underNot := &partial.Pred{Name: "p", Type: "Folder", Param: "f", Body: partial.Filter{Type: "Folder", Branches: []partial.Branch{
		and_(eq(P("f", "OwnerID"), V(int64(7)))),
		and_(negate(&partial.InSet{Path: P("f", "Parent"), Pred: "p"})),
	}}}
	mutual := map[string]*partial.Pred{
		"a": {Name: "a", Type: "Folder", Param: "f", Body: partial.Filter{Type: "Folder", Branches: []partial.Branch{
			and_(eq(P("f", "OwnerID"), V(int64(7)))), and_(&partial.InSet{Path: P("f", "Parent"), Pred: "b"})}}},
		"b": {Name: "b", Type: "Folder", Param: "f", Body: partial.Filter{Type: "Folder", Branches: []partial.Branch{
			and_(&partial.InSet{Path: P("f", "Parent"), Pred: "a"})}}},
	}
	for name, preds := range map[string]map[string]*partial.Pred{"non-linear": {"p": nonLinear}, "under not": {"p": underNot}, "mutual": mutual} {
		root := "p"
		if name == "mutual" {
			root = "a"
		}
		f := &partial.Filter{Type: "Folder", Branches: []partial.Branch{and_(&partial.InSet{Path: R(), Pred: root})}, Preds: preds}
		if _, _, err := Where(f, gitclub(), Postgres); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := Where(filter("Repo", and_(&partial.InSet{Path: R(), Pred: "undefined"})), gitclub(), Postgres); !errors.Is(err, ErrInvalidFilter) {
		t.Errorf("undefined predicate: %v", err)
	}
	if _, _, err := Where(filter("Repo", and_(eq(R("Roles"), V(nil)))), gitclub(), Postgres); !errors.Is(err, ErrUnsupported) {
		t.Errorf("to-many compared: %v", err)
	}
	if _, _, err := Where(filter("Repo", and_(eq(R("Name"), V("x")))), gitclub(), Dialect(42)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("bad dialect: %v", err)
	}
	if _, _, err := Where(nil, gitclub(), Postgres); !errors.Is(err, ErrInvalidFilter) {
		t.Errorf("nil filter: %v", err)
	}
}

func TestDialect(t *testing.T) {
	for in, want := range map[string]Dialect{"postgres": Postgres, "PostgreSQL": Postgres, "pgx": Postgres, "mysql": MySQL, "mariadb": MySQL, "sqlite": SQLite, "sqlite3": SQLite} {
		d, err := ParseDialect(in)
		if err != nil || d != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
		if back, _ := ParseDialect(d.String()); back != d {
			t.Errorf("%v does not round-trip", d)
		}
	}
	if _, err := ParseDialect("oracle"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("oracle: %v", err)
	}
	for d, want := range map[Dialect]string{Postgres: `"app"."re""pos"`, MySQL: "`app`.`re\"pos`", SQLite: `"app"."re""pos"`} {
		if got, err := d.QuoteIdent(`app.re"pos`); got != want || err != nil {
			t.Errorf("%s: %s %v", d, got, err)
		}
	}
	if _, err := Postgres.QuoteIdent("a..b"); !errors.Is(err, ErrInvalidIdent) {
		t.Errorf("empty part: %v", err)
	}
}

// TestSqlizer: the squirrel form has `?` placeholders and nests into a
// squirrel statement that numbers them once, at the outermost level.
func TestSqlizer(t *testing.T) {
	s := gitclub()
	f := filter("Repo", and_(eq(R("CreatorID"), V(int64(7)))), and_(exists("m", "OrgRole", R("Org", "Memberships"), and_(eq(P("m", "UserID"), V(int64(7)))))))
	c, err := Sqlizer(f, s, Postgres)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, _ := c.ToSql()
	if strings.Contains(sql, "$") || strings.Count(sql, "?") != 2 || len(args) != 2 {
		t.Errorf("Sqlizer: %s %v", sql, args)
	}
	q, qargs, err := sq.Select("id").From("repos").Where(sq.Eq{"name": "x"}).Where(c).PlaceholderFormat(sq.Dollar).ToSql()
	if err != nil || !strings.Contains(q, "$1") || !strings.Contains(q, "$2") || !strings.Contains(q, "$3") || len(qargs) != 3 {
		t.Errorf("nested: %s %v %v", q, qargs, err)
	}
	all, err := Sqlizer(partial.AllowAll("Repo"), s, Postgres)
	if sql, _, _ := all.ToSql(); err != nil || sql != "(1=1)" {
		t.Errorf("allow-all Sqlizer: %q %v", sql, err)
	}
	if sql, args, err := Where(partial.AllowAll("Repo"), s, MySQL); sql != "" || args != nil || err != nil {
		t.Errorf("allow-all Where: %q %v %v", sql, args, err)
	}
	if sql, _, err := Where(partial.DenyAll("Repo"), s, MySQL); sql != "1=0" || err != nil {
		t.Errorf("deny-all Where: %q %v", sql, err)
	}
}

// TestConcurrent: compilation shares only the quoted-identifier cache; run
// with -race.
func TestConcurrent(t *testing.T) {
	s, f := gitclub(), gitclubReadRepo()
	want, wargs, err := Where(f, s, Postgres)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 8)
	for i := 0; i < 8; i++ {
		go func() {
			for j := 0; j < 50; j++ {
				got, args, err := Where(f, s, Postgres)
				if err != nil || got != want || len(args) != len(wargs) {
					done <- fmt.Sprintf("%v %q", err, got)
					return
				}
			}
			done <- ""
		}()
	}
	for i := 0; i < 8; i++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

// TestResultsOutliveReuse: compilers (and the memory that holds their
// intermediate text and args) are reused; a result must not change when
// later compilations, here of other filters and dialects on other
// goroutines, reuse that memory. Run with -race.
func TestResultsOutliveReuse(t *testing.T) {
	s := gitclub()
	type result struct {
		sql, args, where string
	}
	type job struct {
		f   *partial.Filter
		d   Dialect
		opt Option // options must not leak into later compilations
	}
	var jobs []job
	want := map[int]result{}
	for _, gc := range goldenCases() {
		for _, d := range Dialects {
			for _, opt := range []Option{nil, WithNilErrors(), WithAlias("r")} {
				sql, args, err := Select(gc.f, s, d, opt)
				if err != nil {
					continue // (some filters need nil guards)
				}
				where, _, err := Where(gc.f, s, d, opt)
				if err != nil {
					t.Fatal(err)
				}
				want[len(jobs)] = result{sql, formatArgs(args), where}
				jobs = append(jobs, job{gc.f, d, opt})
			}
		}
	}
	done := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			var kept []struct {
				i        int
				sql, use string
				args     []any
			}
			for round := 0; round < 3; round++ {
				for k := range jobs {
					i := (k + g*7) % len(jobs)
					sql, args, err := Select(jobs[i].f, s, jobs[i].d, jobs[i].opt)
					if err != nil {
						done <- err.Error()
						return
					}
					wsql, _, err := Where(jobs[i].f, s, jobs[i].d, jobs[i].opt)
					if err != nil {
						done <- err.Error()
						return
					}
					kept = append(kept, struct {
						i        int
						sql, use string
						args     []any
					}{i, sql, wsql, args})
				}
			}
			for _, r := range kept {
				if w := want[r.i]; r.sql != w.sql || formatArgs(r.args) != w.args || r.use != w.where {
					done <- fmt.Sprintf("job %d changed after reuse:\n%s\n%s\nwant\n%s\n%s", r.i, r.sql, formatArgs(r.args), w.sql, w.args)
					return
				}
			}
			done <- ""
		}()
	}
	for g := 0; g < 4; g++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

// Select numbers placeholders itself; it must follow squirrel.Dollar's
// rules (`??` is an escaped `?`), so that the statement is what squirrel
// would have written.
func TestWriteDollarMatchesSquirrel(t *testing.T) {
	ins := []string{"", "a", "?", "a = ? AND b IN (?, ?)", "x ?? y ? z", "??", "???", "?a?"}
	ins = append(ins, strings.Repeat("? ?? ", 1200)) // $10, $100, $1000 on
	for _, in := range ins {
		got := string(appendDollar([]byte("x"), in))
		want, err := sq.Dollar.ReplacePlaceholders(in)
		if err != nil || got != "x"+want {
			t.Errorf("%q: got %q, squirrel %q (%v)", in, got, want, err)
		}
	}
}
