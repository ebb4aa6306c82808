package engine

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// The GitClub decision of the bench module (bench/policies/gitclub.polar,
// bench/model.go), in the engine alone: roles are lists of structs read
// through `role in user.OrgRoles`, the parent organisation a pointer field.

type gcUser struct {
	ID        int64
	Name      string
	OrgRoles  []gcOrgRole
	RepoRoles []gcRepoRole
}

type gcOrgRole struct {
	OrgID int64
	Role  string
}

type gcRepoRole struct {
	RepoID int64
	Role   string
}

type gcOrg struct {
	ID   int64
	Name string
}

type gcRepo struct {
	ID    int64
	Name  string
	OrgID int64
	Org   *gcOrg
}

const gitclubPolicy = `
actor User {}

resource Org {
  roles = ["member", "owner"];
  permissions = ["read"];

  "read" if "member";
  "member" if "owner";
}

resource Repo {
  roles = ["reader", "maintainer", "admin"];
  permissions = ["read", "push", "delete"];
  relations = { parent: Org };

  "read" if "reader";
  "push" if "maintainer";
  "delete" if "admin";

  "reader" if "maintainer";
  "maintainer" if "admin";

  "reader" if "member" on "parent";
  "admin" if "owner" on "parent";
}

has_role(user: User, name: String, org: Org) if
  role in user.OrgRoles and
  role.Role = name and
  role.OrgID = org.ID;

has_role(user: User, name: String, repo: Repo) if
  role in user.RepoRoles and
  role.Role = name and
  role.RepoID = repo.ID;

has_relation(org: Org, "parent", repo: Repo) if org = repo.Org;

allow(actor, action, resource) if has_permission(actor, action, resource);
`

type gcRequest struct {
	actor    *gcUser
	action   string
	resource *gcRepo
	want     bool
}

func gitclubFixture(tb testing.TB) (*Policy, []gcRequest) {
	reg := NewRegistry()
	for name, v := range map[string]any{"User": gcUser{}, "OrgRole": gcOrgRole{}, "RepoRole": gcRepoRole{}, "Org": gcOrg{}, "Repo": gcRepo{}} {
		if err := reg.RegisterClass(v, name, nil); err != nil {
			tb.Fatal(err)
		}
	}
	p, errs := Load([]Source{{Name: "gitclub.polar", Src: []byte(gitclubPolicy)}}, reg, nil)
	if errs.Err() != nil {
		tb.Fatal(errs)
	}
	var orgs []*gcOrg
	var repos []*gcRepo
	for o := int64(1); o <= 3; o++ {
		org := &gcOrg{ID: o}
		orgs = append(orgs, org)
		for r := int64(1); r <= 4; r++ {
			repos = append(repos, &gcRepo{ID: (o-1)*4 + r, OrgID: o, Org: org})
		}
	}
	users := []*gcUser{
		{ID: 1, Name: "alice", OrgRoles: []gcOrgRole{{OrgID: 1, Role: "owner"}}},
		{ID: 2, Name: "bob", OrgRoles: []gcOrgRole{{OrgID: 2, Role: "member"}},
			RepoRoles: []gcRepoRole{{RepoID: 1, Role: "reader"}, {RepoID: 6, Role: "admin"}, {RepoID: 11, Role: "maintainer"}}},
		{ID: 3, Name: "carol", RepoRoles: []gcRepoRole{{RepoID: 2, Role: "maintainer"}, {RepoID: 3, Role: "reader"}}},
		{ID: 4, Name: "dave"},
		{ID: 5, Name: "erin", OrgRoles: []gcOrgRole{{OrgID: 1, Role: "member"}, {OrgID: 3, Role: "owner"}},
			RepoRoles: []gcRepoRole{{RepoID: 4, Role: "admin"}}},
		{ID: 6, Name: "frank", OrgRoles: []gcOrgRole{{OrgID: 2, Role: "member"}, {OrgID: 3, Role: "member"}},
			RepoRoles: []gcRepoRole{{RepoID: 5, Role: "maintainer"}, {RepoID: 9, Role: "admin"}, {RepoID: 10, Role: "reader"}}},
	}
	return p, []gcRequest{
		{users[1], "read", repos[0], true},
		{users[0], "delete", repos[2], true},
		{users[1], "push", repos[10], true},
		{users[5], "read", repos[6], true},
		{users[3], "read", repos[0], false},
		{users[1], "push", repos[0], false},
		{users[5], "delete", repos[4], false},
		{users[2], "read", repos[8], false},
	}
}

func TestGitclubDecisions(t *testing.T) {
	p, reqs := gitclubFixture(t)
	for _, r := range reqs {
		got, err := p.Decide(context.Background(), nil, "allow", r.actor, r.action, r.resource)
		if err != nil || got != r.want {
			t.Errorf("%s %s repo %d: got %v, %v; want %v", r.actor.Name, r.action, r.resource.ID, got, err, r.want)
		}
	}
}

// BenchmarkDecideGitclub cycles through the bench module's gitclub
// decision requests (half allowed, half denied).
func BenchmarkDecideGitclub(b *testing.B) {
	p, reqs := gitclubFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	start := processCPU()
	i := 0
	for ; b.Loop(); i++ {
		r := reqs[i%len(reqs)]
		if _, err := p.Decide(ctx, nil, "allow", r.actor, r.action, r.resource); err != nil {
			b.Fatal(err)
		}
	}
	if i > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(i), "cpu-ns/op")
	}
}

// processCPU is the CPU time (user + system, all threads) of the process:
// on a shared machine it does not count time spent waiting for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
