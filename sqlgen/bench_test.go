package sqlgen

import (
	"testing"

	"github.com/ursa-authz/ursa/internal/benchcpu"
	"github.com/ursa-authz/ursa/partial"
)

// gitclubReadRepo is the filter of "may user 7 read this Repo" in the
// GitClub policy: public repos, a repo role, an org role, the org's base
// repo role for members, and repos of the user's teams (nested, recursive).
func gitclubReadRepo() *partial.Filter {
	teamPred := &partial.Pred{Name: "member_of_team", Type: "Team", Param: "t",
		Body: partial.Filter{Type: "Team", Branches: []partial.Branch{
			and_(exists("u", "User", P("t", "Members"), and_(eq(P("u", "ID"), V(int64(7)))))),
			and_(&partial.InSet{Path: P("t", "Parent"), Pred: "member_of_team"}),
		}}}
	f := filter("Repo",
		and_(eq(R("IsPublic"), V(true))),
		and_(exists("rr", "RepoRole", R("Roles"), and_(eq(P("rr", "UserID"), V(int64(7))), in(P("rr", "Role"), "reader", "writer", "admin")))),
		and_(exists("m", "OrgRole", R("Org", "Memberships"), and_(eq(P("m", "UserID"), V(int64(7))), eq(P("m", "Role"), V("owner"))))),
		and_(in(R("Org", "BaseRepoRole"), "reader", "writer"), exists("m2", "OrgRole", R("Org", "Memberships"), and_(eq(P("m2", "UserID"), V(int64(7)))))),
		and_(exists("t", "Team", R("Teams"), and_(&partial.InSet{Path: P("t"), Pred: "member_of_team"}))),
	)
	f.Preds = map[string]*partial.Pred{"member_of_team": teamPred}
	return f
}

// BenchmarkSQLGitClub measures IR -> SQL (Where, `?` placeholders) for the
// GitClub read-repo filter. Target: <= 10 µs. The enforced variant marks
// every relation Enforced (key shortcuts instead of existence checks).
func BenchmarkSQLGitClub(b *testing.B) {
	f := gitclubReadRepo()
	for _, d := range Dialects {
		for _, v := range []struct {
			name string
			s    *Schema
		}{{d.String(), gitclub()}, {d.String() + "/enforced", enforced(gitclub())}} {
			b.Run(v.name, func(b *testing.B) {
				benchcpu.Loop(b, func() {
					if _, _, err := Where(f, v.s, d); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkSQLGitClubSelect is the same with Select (the full statement and
// Postgres $n numbering).
func BenchmarkSQLGitClubSelect(b *testing.B) {
	s, f := gitclub(), gitclubReadRepo()
	benchcpu.Loop(b, func() {
		if _, _, err := Select(f, s, Postgres); err != nil {
			b.Fatal(err)
		}
	})
}

func TestGitClubFilterCompiles(t *testing.T) {
	for _, d := range Dialects {
		sql, args, err := Where(gitclubReadRepo(), gitclub(), d)
		if err != nil || len(args) != 11 {
			t.Fatalf("%s: %v %d args\n%s", d, err, len(args), sql)
		}
		t.Logf("%s: %s", d, sql)
	}
}

// benchStageSchema is bench.UrsaSchema (the benchmark suite's schema), for
// BenchmarkSQLStage.
func benchStageSchema() *Schema {
	notNull := func(cols ...string) map[string]bool {
		m := map[string]bool{}
		for _, c := range cols {
			m[c] = false
		}
		return m
	}
	return &Schema{Tables: map[string]*Table{
		"Document": {Type: "Document", Name: "documents", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "OwnerID": "owner_id", "Public": "public"},
			Nullable: notNull("id", "owner_id", "public")},
		"Org": {Type: "Org", Name: "orgs", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name"},
			Nullable: notNull("id", "name")},
		"Repo": {Type: "Repo", Name: "repos", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name", "OrgID": "org_id"},
			Nullable: notNull("id", "name", "org_id"),
			Relations: map[string]*Relation{
				"Org": {Name: "Org", Kind: BelongsTo, Target: "Org",
					ForeignKey: []string{"org_id"}, References: []string{"id"}},
			}},
	}}
}

// BenchmarkSQLStage is the bench module's stage=sqlgen (Select for
// Postgres) on the filters partial.Query gives there, written out so that
// sqlgen is measured apart from partial:
//
//	docs:    resource.OwnerID = 2 or resource.Public = true
//	gitclub: resource.ID in [1, 6, 11] or (resource.Org != nil and resource.Org.ID = 2)
func BenchmarkSQLStage(b *testing.B) {
	s := benchStageSchema()
	filters := []struct {
		name string
		f    *partial.Filter
	}{
		{"docs", filter("Document", and_(eq(R("OwnerID"), V(2))), and_(eq(R("Public"), V(true))))},
		{"gitclub", filter("Repo", and_(in(R("ID"), 1, 6, 11)),
			and_(cmp(partial.Neq, R("Org"), V(nil)), eq(R("Org", "ID"), V(2))))},
	}
	for _, x := range filters {
		b.Run(x.name, func(b *testing.B) {
			benchcpu.Loop(b, func() {
				if _, _, err := Select(x.f, s, Postgres); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
