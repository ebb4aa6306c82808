package partial_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/integration/fixtures/gitclub"
	"github.com/ursa-authz/ursa/internal/benchcpu"
	"github.com/ursa-authz/ursa/partial"
)

func gitclubPolicy(tb testing.TB) *engine.Policy {
	tb.Helper()
	fx := gitclub.Fixture()
	reg := engine.NewRegistry()
	for _, c := range fx.Classes {
		if err := reg.RegisterClass(c, "", nil); err != nil {
			tb.Fatal(err)
		}
	}
	p, errs := engine.Load([]engine.Source{{Name: fx.PolicyFile, Src: []byte(fx.Policy)}}, reg, nil)
	if err := errs.Err(); err != nil {
		tb.Fatal(err)
	}
	return p
}

// gitclubUser is a member of org 1, admin of org 2, member of org 3.
var gitclubUser = &gitclub.User{ID: 7, Name: "bob", OrgRoles: []*gitclub.OrgRole{
	{ID: 1, UserID: 7, OrgID: 1, Name: "member"},
	{ID: 2, UserID: 7, OrgID: 2, Name: "admin"},
	{ID: 3, UserID: 7, OrgID: 3, Name: "member"},
}}

func TestGitClubFilter(t *testing.T) {
	p := gitclubPolicy(t)
	f, err := partial.Eval(context.Background(), p, gitclubUser, "read", "Repository")
	if err != nil {
		t.Fatal(err)
	}
	want := `(resource.Org != nil and resource.Org.ID in [1, 2, 3]) or ` +
		`exists role in resource.Roles: (role.UserID = 7 and role.Name in ["admin", "maintainer", "reader"]) or ` +
		`exists grant in resource.TeamRoles: (grant.Name in ["admin", "maintainer", "reader"] and grant.Team in in_team) or ` +
		`resource.IsPublic = true` + "\n" +
		`where in_team(t: Team) := exists m in t.Memberships: (m.UserID = 7) or t.Parent in in_team`
	if got := f.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// BenchmarkPartialGitClub: the filter for "repos user may read" on the
// GitClub fixture policy (org roles from the actor, repo roles and team
// grants from join tables, nested teams as a recursive predicate).
func BenchmarkPartialGitClub(b *testing.B) {
	p := gitclubPolicy(b)
	ctx := context.Background()
	b.ReportAllocs()
	benchcpu.Loop(b, func() {
		if _, err := partial.Eval(ctx, p, gitclubUser, "read", "Repository"); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkPartialGitClubUncached is BenchmarkPartialGitClub without the
// filter cache: the full symbolic evaluation every time.
func BenchmarkPartialGitClubUncached(b *testing.B) {
	p := gitclubPolicy(b)
	ctx := context.Background()
	b.ReportAllocs()
	benchcpu.Loop(b, func() {
		if _, err := partial.Query(ctx, p, "allow", gitclubUser, "read", partial.Unknown{Type: "Repository"}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkMatchFolders: Match of a recursive filter (least fixpoint) on a
// 10-deep folder chain.
func BenchmarkMatchFolders(b *testing.B) {
	p := loadPolicy(b, goldenPolicySource(b, "folders"))
	f, err := partial.Eval(context.Background(), p, &User{ID: 7}, "read", "Folder")
	if err != nil {
		b.Fatal(err)
	}
	root := &Folder{ID: 1, OwnerID: 7}
	leaf := root
	for i := int64(2); i <= 10; i++ {
		leaf = &Folder{ID: i, OwnerID: 1, Parent: leaf}
	}
	b.ReportAllocs()
	benchcpu.Loop(b, func() {
		if ok, err := partial.Match(p, f, leaf); err != nil || !ok {
			b.Fatal(ok, err)
		}
	})
}

// The engine comparison's policies (bench/policies, bench/model.go), for
// profiling the uncached stage inside this package; the figures of record
// are bench's BenchmarkUrsaFilterStages.
type bUser struct {
	ID        int64
	Name      string
	OrgRoles  []bOrgRole
	RepoRoles []bRepoRole
}

type bOrgRole struct {
	OrgID int64
	Role  string
}

type bRepoRole struct {
	RepoID int64
	Role   string
}

type bDocument struct {
	ID      int64
	OwnerID int64
	Public  bool
}

type bOrg struct {
	ID   int64
	Name string
}

type bRepo struct {
	ID    int64
	Name  string
	OrgID int64
	Org   *bOrg
}

func benchPolicy(tb testing.TB, name string) *engine.Policy {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join("..", "bench", "policies", name+".polar"))
	if err != nil {
		tb.Fatal(err)
	}
	reg := engine.NewRegistry()
	for _, c := range []struct {
		v    any
		name string
	}{{bUser{}, "User"}, {bOrgRole{}, "OrgRole"}, {bRepoRole{}, "RepoRole"}, {bDocument{}, "Document"}, {bOrg{}, "Org"}, {bRepo{}, "Repo"}} {
		if err := reg.RegisterClass(c.v, c.name, nil); err != nil {
			tb.Fatal(err)
		}
	}
	p, errs := engine.Load([]engine.Source{{Name: name + ".polar", Src: src}}, reg, nil)
	if err := errs.Err(); err != nil {
		tb.Fatal(err)
	}
	return p
}

// benchUser is bench's filterActor (bob).
var benchUser = &bUser{ID: 2, Name: "bob", OrgRoles: []bOrgRole{{OrgID: 2, Role: "member"}},
	RepoRoles: []bRepoRole{{RepoID: 1, Role: "reader"}, {RepoID: 6, Role: "admin"}, {RepoID: 11, Role: "maintainer"}}}

// BenchmarkPartialBenchUncached: partial.Query of "read" on the engine
// comparison's docs and gitclub policies (bench's stage=eval-uncached).
func BenchmarkPartialBenchUncached(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct{ policy, class string }{{"docs", "Document"}, {"gitclub", "Repo"}} {
		b.Run("policy="+c.policy, func(b *testing.B) {
			p := benchPolicy(b, c.policy)
			b.ReportAllocs()
			benchcpu.Loop(b, func() {
				if _, err := partial.Query(ctx, p, "allow", benchUser, "read", partial.Unknown{Type: c.class}); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
