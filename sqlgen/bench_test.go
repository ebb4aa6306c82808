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
