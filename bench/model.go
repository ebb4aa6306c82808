package bench

import (
	"fmt"
	"sort"
)

// The Go types the applications hold. Ursa and oso read them directly; OPA
// and cedar-go get them converted (see opa.go and cedar.go).

// User is the actor of both policies.
type User struct {
	ID        int64
	Name      string
	OrgRoles  []OrgRole
	RepoRoles []RepoRole
}

// OrgRole grants a user a role ("member", "owner") on an organisation.
type OrgRole struct {
	OrgID int64
	Role  string
}

// RepoRole grants a user a role ("reader", "maintainer", "admin") on a repository.
type RepoRole struct {
	RepoID int64
	Role   string
}

// Document is the resource of the docs policy.
type Document struct {
	ID      int64
	OwnerID int64
	Public  bool
}

// Org is an organisation of the gitclub policy.
type Org struct {
	ID   int64
	Name string
}

// Repo is a repository of the gitclub policy; Org is its parent.
type Repo struct {
	ID    int64
	Name  string
	OrgID int64
	Org   *Org
}

// Request is one decision question.
type Request struct {
	Actor    *User
	Action   string
	Resource any // *Document or *Repo
}

func (r Request) String() string {
	switch x := r.Resource.(type) {
	case *Document:
		return fmt.Sprintf("%s %s Document#%d", r.Actor.Name, r.Action, x.ID)
	case *Repo:
		return fmt.Sprintf("%s %s Repo#%d", r.Actor.Name, r.Action, x.ID)
	}
	return fmt.Sprintf("%s %s %v", r.Actor.Name, r.Action, r.Resource)
}

// Fixture is the data set every engine sees: the same users, documents,
// organisations and repositories, and the same fixed requests.
type Fixture struct {
	Users []*User
	Docs  []*Document
	Orgs  []*Org
	Repos []*Repo
}

// Actions per policy.
var (
	DocActions  = []string{"read", "write"}
	RepoActions = []string{"read", "push", "delete"}
)

// NewFixture builds the deterministic data set: 3 organisations with 4
// repositories each, 24 documents and 6 users whose roles cover every
// inheritance path (direct repo roles, org member, org owner, none).
func NewFixture() *Fixture {
	f := &Fixture{}
	for o := int64(1); o <= 3; o++ {
		org := &Org{ID: o, Name: fmt.Sprintf("org%d", o)}
		f.Orgs = append(f.Orgs, org)
		for r := int64(1); r <= 4; r++ {
			id := (o-1)*4 + r
			f.Repos = append(f.Repos, &Repo{ID: id, Name: fmt.Sprintf("repo%d", id), OrgID: o, Org: org})
		}
	}
	f.Users = []*User{
		{ID: 1, Name: "alice", OrgRoles: []OrgRole{{OrgID: 1, Role: "owner"}}},
		{ID: 2, Name: "bob", OrgRoles: []OrgRole{{OrgID: 2, Role: "member"}},
			RepoRoles: []RepoRole{{RepoID: 1, Role: "reader"}, {RepoID: 6, Role: "admin"}, {RepoID: 11, Role: "maintainer"}}},
		{ID: 3, Name: "carol", RepoRoles: []RepoRole{{RepoID: 2, Role: "maintainer"}, {RepoID: 3, Role: "reader"}}},
		{ID: 4, Name: "dave"},
		{ID: 5, Name: "erin", OrgRoles: []OrgRole{{OrgID: 1, Role: "member"}, {OrgID: 3, Role: "owner"}},
			RepoRoles: []RepoRole{{RepoID: 4, Role: "admin"}}},
		{ID: 6, Name: "frank", OrgRoles: []OrgRole{{OrgID: 2, Role: "member"}, {OrgID: 3, Role: "member"}},
			RepoRoles: []RepoRole{{RepoID: 5, Role: "maintainer"}, {RepoID: 9, Role: "admin"}, {RepoID: 10, Role: "reader"}}},
	}
	for d := int64(1); d <= 24; d++ {
		f.Docs = append(f.Docs, &Document{ID: d, OwnerID: d%6 + 1, Public: d%5 == 0})
	}
	return f
}

// DocRequests is every (user, action, document) triple.
func (f *Fixture) DocRequests() []Request {
	var rs []Request
	for _, u := range f.Users {
		for _, a := range DocActions {
			for _, d := range f.Docs {
				rs = append(rs, Request{u, a, d})
			}
		}
	}
	return rs
}

// RepoRequests is every (user, action, repository) triple.
func (f *Fixture) RepoRequests() []Request {
	var rs []Request
	for _, u := range f.Users {
		for _, a := range RepoActions {
			for _, r := range f.Repos {
				rs = append(rs, Request{u, a, r})
			}
		}
	}
	return rs
}

// Expected is the reference answer, written in Go from the policies' prose,
// so that agreement between engines is also agreement with the intent.
func Expected(r Request) bool {
	switch x := r.Resource.(type) {
	case *Document:
		owner := x.OwnerID == r.Actor.ID
		switch r.Action {
		case "read":
			return owner || x.Public
		case "write":
			return owner
		}
	case *Repo:
		rank := 0 // 0 none, 1 reader, 2 maintainer, 3 admin
		for _, rr := range r.Actor.RepoRoles {
			if rr.RepoID == x.ID {
				rank = max(rank, map[string]int{"reader": 1, "maintainer": 2, "admin": 3}[rr.Role])
			}
		}
		for _, or := range r.Actor.OrgRoles {
			if or.OrgID == x.OrgID {
				rank = max(rank, map[string]int{"member": 1, "owner": 3}[or.Role])
			}
		}
		need := map[string]int{"read": 1, "push": 2, "delete": 3}[r.Action]
		return need > 0 && rank >= need
	}
	return false
}

// ExpectedIDs is the sorted ids of the resources of kind ("Document" or
// "Repo") that actor may act on.
func (f *Fixture) ExpectedIDs(actor *User, action, kind string) []int64 {
	var ids []int64
	switch kind {
	case "Document":
		for _, d := range f.Docs {
			if Expected(Request{actor, action, d}) {
				ids = append(ids, d.ID)
			}
		}
	case "Repo":
		for _, r := range f.Repos {
			if Expected(Request{actor, action, r}) {
				ids = append(ids, r.ID)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// BenchRequests picks the fixed mix of requests the decision benchmarks cycle
// through: half allowed, half denied, covering every rule of the policy.
func (f *Fixture) BenchRequests(policy string) []Request {
	switch policy {
	case "docs":
		return []Request{
			{f.Users[0], "read", f.Docs[5]},  // alice owns doc 6: allow (owner)
			{f.Users[3], "read", f.Docs[4]},  // doc 5 public: allow
			{f.Users[0], "write", f.Docs[5]}, // owner writes: allow
			{f.Users[1], "read", f.Docs[9]},  // bob reads public doc 10: allow
			{f.Users[3], "read", f.Docs[0]},  // not owner, private: deny
			{f.Users[3], "write", f.Docs[4]}, // public but not owner: deny
			{f.Users[5], "write", f.Docs[0]}, // deny
			{f.Users[2], "read", f.Docs[6]},  // deny
		}
	case "gitclub":
		return []Request{
			{f.Users[1], "read", f.Repos[0]},   // bob reader of repo 1: allow
			{f.Users[0], "delete", f.Repos[2]}, // alice owner of org 1: allow
			{f.Users[1], "push", f.Repos[10]},  // bob maintainer of repo 11: allow
			{f.Users[5], "read", f.Repos[6]},   // frank member of org 2: allow
			{f.Users[3], "read", f.Repos[0]},   // dave: deny
			{f.Users[1], "push", f.Repos[0]},   // reader cannot push: deny
			{f.Users[5], "delete", f.Repos[4]}, // maintainer cannot delete: deny
			{f.Users[2], "read", f.Repos[8]},   // carol nothing in org 3: deny
		}
	}
	return nil
}
