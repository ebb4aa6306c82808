package ursa_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ursa-authz/ursa"
)

// gitclub returns an Authorizer with the GitClub policy (t may be nil in
// examples: setup errors then panic).
func gitclub(t testing.TB) *ursa.Authorizer {
	fail := func(err error) {
		if t == nil {
			panic(err)
		}
		t.Helper()
		t.Fatal(err)
	}
	a, err := ursa.New()
	if err != nil {
		fail(err)
	}
	for _, c := range []any{User{}, Org{}, Repo{}, OrgRole{}, RepoRole{}} {
		if err := a.RegisterClass(c); err != nil {
			fail(err)
		}
	}
	if err := a.LoadString("gitclub.polar", gitclubPolicy); err != nil {
		fail(err)
	}
	return a
}

type gitclubWorld struct {
	acme, beta                   *Org
	anvil, rocket, secret        *Repo
	alice, bob, carol, dave, eve *User
}

func newWorld() *gitclubWorld {
	w := &gitclubWorld{}
	w.acme = &Org{ID: 1, Name: "acme"}
	w.beta = &Org{ID: 2, Name: "beta"}
	w.anvil = &Repo{ID: 10, Name: "anvil", OrgID: 1, Org: w.acme}
	w.rocket = &Repo{ID: 11, Name: "rocket", OrgID: 1, Org: w.acme, Public: true}
	w.secret = &Repo{ID: 20, Name: "secret", OrgID: 2, Org: w.beta}
	w.alice = &User{ID: 1, Name: "alice", OrgRoles: []OrgRole{{"owner", 1}}}
	w.bob = &User{ID: 2, Name: "bob", OrgRoles: []OrgRole{{"member", 1}}}
	w.carol = &User{ID: 3, Name: "carol", RepoRoles: []RepoRole{{"writer", 20}}}
	w.dave = &User{ID: 4, Name: "dave", RepoRoles: []RepoRole{{"admin", 10}}}
	w.eve = &User{ID: 5, Name: "eve"}
	return w
}

func TestGitClubDecisions(t *testing.T) {
	a := gitclub(t)
	w := newWorld()
	ctx := context.Background()
	cases := []struct {
		who    *User
		action string
		res    any
		want   bool
	}{
		{w.alice, "read", w.anvil, true},
		{w.alice, "delete", w.anvil, true}, // org owner -> repo admin
		{w.alice, "create_repos", w.acme, true},
		{w.alice, "read", w.secret, false},
		{w.bob, "read", w.anvil, true}, // org member -> repo reader
		{w.bob, "push", w.anvil, false},
		{w.bob, "create_repos", w.acme, false},
		{w.bob, "list_repos", w.acme, true},
		{w.carol, "push", w.secret, true},
		{w.carol, "read", w.secret, true},
		{w.carol, "delete", w.secret, false},
		{w.carol, "read", w.anvil, false},
		{w.carol, "read", w.rocket, true}, // public
		{w.dave, "delete", w.anvil, true},
		{w.dave, "push", w.anvil, true},
		{w.dave, "read", w.acme, false},
		{w.eve, "read", w.anvil, false},
		{w.eve, "read", w.rocket, true},
		{w.eve, "push", w.rocket, false},
	}
	for _, c := range cases {
		got, err := a.IsAllowed(ctx, c.who, c.action, c.res)
		if err != nil {
			t.Fatalf("%s %s: %v", c.who.Name, c.action, err)
		}
		if got != c.want {
			t.Errorf("IsAllowed(%s, %q, %v) = %v, want %v", c.who.Name, c.action, c.res, got, c.want)
		}
	}
}

func TestAuthorizeKinds(t *testing.T) {
	a := gitclub(t)
	w := newWorld()
	ctx := context.Background()
	if err := a.Authorize(ctx, w.bob, "read", w.anvil); err != nil {
		t.Fatalf("bob read anvil: %v", err)
	}
	err := a.Authorize(ctx, w.bob, "delete", w.anvil)
	if !errors.Is(err, ursa.ErrForbidden) || errors.Is(err, ursa.ErrNotFound) {
		t.Fatalf("bob delete anvil: got %v, want ErrForbidden", err)
	}
	var ae *ursa.AuthorizationError
	if !errors.As(err, &ae) || ae.Action != "delete" {
		t.Fatalf("errors.As: %v", err)
	}
	err = a.Authorize(ctx, w.eve, "delete", w.anvil)
	if !errors.Is(err, ursa.ErrNotFound) {
		t.Fatalf("eve delete anvil: got %v, want ErrNotFound", err)
	}
	err = a.Authorize(ctx, w.eve, "read", w.anvil)
	if !errors.Is(err, ursa.ErrNotFound) {
		t.Fatalf("eve read anvil: got %v, want ErrNotFound", err)
	}
}

func TestAuthorizedActions(t *testing.T) {
	a := gitclub(t)
	w := newWorld()
	ctx := context.Background()
	for _, c := range []struct {
		who  *User
		res  any
		want []string
	}{
		{w.alice, w.anvil, []string{"delete", "push", "read"}},
		{w.bob, w.anvil, []string{"read"}},
		{w.alice, w.acme, []string{"create_repos", "list_repos", "read"}},
		{w.eve, w.anvil, []string{}},
		{w.eve, w.rocket, []string{"read"}},
	} {
		got, err := a.AuthorizedActions(ctx, c.who, c.res)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("AuthorizedActions(%s, %v) = %v, want %v", c.who.Name, c.res, got, c.want)
		}
	}
}

// ownership returns an Authorizer with the ownership policy.
func ownership(t testing.TB) *ursa.Authorizer {
	t.Helper()
	a, _ := ursa.New()
	if err := a.RegisterClass(Doc{}); err != nil {
		t.Fatal(err)
	}
	if err := a.RegisterClass(User{}); err != nil {
		t.Fatal(err)
	}
	if err := a.LoadString("own.polar", ownershipPolicy); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestOwnership(t *testing.T) {
	a := ownership(t)
	ctx := context.Background()
	u := &User{ID: 7}
	for _, c := range []struct {
		d    *Doc
		want bool
	}{
		{&Doc{OwnerID: 7}, true},
		{&Doc{OwnerID: 8}, false},
		{&Doc{OwnerID: 8, Public: true}, true},
	} {
		got, err := a.IsAllowed(ctx, u, "read", c.d)
		if err != nil || got != c.want {
			t.Errorf("IsAllowed(%+v) = %v, %v; want %v", c.d, got, err, c.want)
		}
	}
}

func TestNoPolicyFailsClosed(t *testing.T) {
	a, _ := ursa.New()
	ok, err := a.IsAllowed(context.Background(), 1, "read", 2)
	if ok || !errors.Is(err, ursa.ErrNoPolicy) {
		t.Fatalf("got %v, %v", ok, err)
	}
}

// The oso documentation's variant: roles held as (name, resource) pairs on
// the actor, matched against the generic Resource union.
func TestGenericRoleMatching(t *testing.T) {
	type Role struct {
		Name     string
		Resource any
	}
	type Member struct {
		Name  string
		Roles []Role
	}
	a, _ := ursa.New()
	for _, c := range []any{Member{}, Org{}, Repo{}} {
		if err := a.RegisterClass(c); err != nil {
			t.Fatal(err)
		}
	}
	err := a.LoadString("roles.polar", `
actor Member {}
resource Org {
  roles = ["member", "owner"];
  permissions = ["read", "admin"];
  "read" if "member";
  "admin" if "owner";
  "member" if "owner";
}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  relations = { parent: Org };
  "read" if "reader";
  "reader" if "member" on "parent";
}
has_role(m: Member, name: String, resource: Resource) if
  role in m.roles and role matches {name: name, resource: resource};
has_relation(org: Org, "parent", repo: Repo) if org = repo.org;
allow(actor, action, resource) if has_permission(actor, action, resource);
`)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld()
	ann := &Member{Name: "ann", Roles: []Role{{"owner", w.acme}}}
	ctx := context.Background()
	for _, c := range []struct {
		action string
		res    any
		want   bool
	}{
		{"admin", w.acme, true}, {"read", w.acme, true}, {"read", w.anvil, true},
		{"read", w.beta, false}, {"read", w.secret, false},
	} {
		got, err := a.IsAllowed(ctx, ann, c.action, c.res)
		if err != nil || got != c.want {
			t.Errorf("%s %v: %v %v, want %v", c.action, c.res, got, err, c.want)
		}
	}
}

// Folder is a node of a folder tree whose parent chain may loop.
type Folder struct {
	ID      int
	OwnerID int
	Parent  *Folder
}

// A dictionary actor (as the CLI passes) over a cyclic folder chain: the
// decision answers with the least fixpoint, true when a reachable ancestor
// grants and false otherwise, instead of running into the depth limit.
func TestCyclicFoldersDictActor(t *testing.T) {
	a, err := ursa.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RegisterClass(Folder{}); err != nil {
		t.Fatal(err)
	}
	if err := a.LoadString("folders.polar", `
allow(actor, "read", f: Folder) if f.owner_id = actor.id;
allow(actor, "read", f: Folder) if f.parent != nil and allow(actor, "read", f.parent);
`); err != nil {
		t.Fatal(err)
	}
	// 1 -> 2 -> ... -> 60 -> 1, and 100 -> 101 -> 5 (a tail into the cycle)
	ring := make([]*Folder, 60)
	for i := range ring {
		ring[i] = &Folder{ID: i + 1, OwnerID: 900}
	}
	for i := range ring {
		ring[i].Parent = ring[(i+1)%len(ring)]
	}
	tail := &Folder{ID: 100, OwnerID: 900, Parent: &Folder{ID: 101, OwnerID: 900, Parent: ring[4]}}
	ctx := context.Background()
	actor := map[string]any{"id": 3}
	for _, f := range []*Folder{ring[0], ring[59], tail} {
		ok, err := a.IsAllowed(ctx, actor, "read", f)
		if err != nil || ok {
			t.Fatalf("folder %d, nobody's: %v %v", f.ID, ok, err)
		}
	}
	ring[40].OwnerID = 3
	for _, f := range []*Folder{ring[0], ring[59], tail} {
		ok, err := a.IsAllowed(ctx, actor, "read", f)
		if err != nil || !ok {
			t.Fatalf("folder %d, an ancestor is actor's: %v %v", f.ID, ok, err)
		}
	}
	if ok, err := a.IsAllowed(ctx, map[string]any{"id": 4}, "read", ring[0]); err != nil || ok {
		t.Fatalf("another actor: %v %v", ok, err)
	}
}
