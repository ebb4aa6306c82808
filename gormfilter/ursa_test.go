package gormfilter_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/gormfilter"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// The real authorizer satisfies gormfilter.Authorizer.
var _ gormfilter.Authorizer = (*ursa.Authorizer)(nil)

// GitClub-style models, plain GORM.
type User struct {
	ID             uint
	Name           string
	OrgMemberships []OrgMember
}

type OrgMember struct {
	ID     uint
	UserID uint
	OrgID  uint
	Role   string
}

type Org struct {
	ID   uint
	Name string
}

type Repo struct {
	ID          uint
	Name        string
	OrgID       uint
	Org         *Org
	Public      bool
	Memberships []RepoMember
}

type RepoMember struct {
	ID     uint
	RepoID uint
	UserID uint
	Role   string
}

type Folder struct {
	ID       uint
	Name     string
	OwnerID  uint
	ParentID *uint
	Parent   *Folder
}

const gitclubPolicy = `
actor User {}

resource Org {
  roles = ["member", "owner"];
  permissions = ["read", "create_repos"];
  "read" if "member";
  "member" if "owner";
  "create_repos" if "owner";
}

resource Repo {
  roles = ["reader", "admin"];
  permissions = ["read", "update", "delete"];
  relations = { parent: Org };
  "read" if "reader";
  "update" if "admin";
  "delete" if "admin";
  "reader" if "admin";
  "reader" if "member" on "parent";
  "admin" if "owner" on "parent";
}

has_relation(org: Org, "parent", repo: Repo) if repo.org = org;

has_role(user: User, name: String, org: Org) if
  m in user.org_memberships and m.role = name and m.org_id = org.id;

has_role(user: User, name: String, repo: Repo) if
  m in repo.memberships and m.user_id = user.id and m.role = name;

allow(actor, action, resource) if has_permission(actor, action, resource);
allow(_: User, "read", repo: Repo) if repo.public = true;

allow(user: User, "view", folder: Folder) if can_view(user, folder);
can_view(user: User, folder: Folder) if folder.owner_id = user.id;
can_view(user: User, folder: Folder) if can_view(user, folder.parent);
allow(user: User, "rename", folder: Folder) if folder.parent.owner_id = user.id;
`

func newAuthorizer(t testing.TB) *ursa.Authorizer {
	t.Helper()
	a, err := ursa.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []any{User{}, OrgMember{}, Org{}, Repo{}, RepoMember{}, Folder{}} {
		if err := a.RegisterClass(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.LoadString("gitclub.polar", gitclubPolicy); err != nil {
		t.Fatal(err)
	}
	return a
}

var dbSeq atomic.Int64

func u(v uint) *uint { return &v }

// openDB opens a seeded in-memory SQLite database with the plugin installed.
func openDB(t testing.TB, a gormfilter.Authorizer, opts ...gormfilter.Option) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(sqlite.Open(fmt.Sprintf("file:gfx%d?mode=memory&cache=shared", dbSeq.Add(1))), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1)
	t.Cleanup(func() { sqlDB.Close() })
	seedDB(t, db, a, opts...)
	return db
}

// seedDB migrates and seeds the GitClub world and installs the plugin.
func seedDB(t testing.TB, db *gorm.DB, a gormfilter.Authorizer, opts ...gormfilter.Option) {
	t.Helper()
	if err := db.AutoMigrate(&User{}, &OrgMember{}, &Org{}, &Repo{}, &RepoMember{}, &Folder{}); err != nil {
		t.Fatal(err)
	}
	for _, rows := range []any{
		[]Org{{ID: 1, Name: "acme"}, {ID: 2, Name: "beta"}},
		[]User{{ID: 1, Name: "alice"}, {ID: 2, Name: "bob"}, {ID: 3, Name: "carol"}, {ID: 4, Name: "dave"}, {ID: 5, Name: "eve"}},
		[]OrgMember{{ID: 1, UserID: 1, OrgID: 1, Role: "owner"}, {ID: 2, UserID: 2, OrgID: 1, Role: "member"}},
		[]Repo{{ID: 10, Name: "anvil", OrgID: 1}, {ID: 11, Name: "rocket", OrgID: 1, Public: true}, {ID: 20, Name: "secret", OrgID: 2}, {ID: 21, Name: "shared", OrgID: 2}},
		[]RepoMember{{ID: 1, RepoID: 20, UserID: 3, Role: "reader"}, {ID: 2, RepoID: 10, UserID: 4, Role: "admin"}, {ID: 3, RepoID: 21, UserID: 3, Role: "admin"}},
		[]Folder{{ID: 1, Name: "root", OwnerID: 1}, {ID: 2, Name: "docs", OwnerID: 2, ParentID: u(1)}, {ID: 3, Name: "specs", OwnerID: 2, ParentID: u(2)}, {ID: 4, Name: "loop-a", OwnerID: 5}, {ID: 5, Name: "loop-b", OwnerID: 5, ParentID: u(4)}},
	} {
		if err := db.Create(rows).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Model(&Folder{}).Where("id = ?", 4).Update("parent_id", 5).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Use(gormfilter.New(a, opts...)); err != nil {
		t.Fatal(err)
	}
}

// users loads the actors with what the policy reads from them.
func users(t testing.TB, db *gorm.DB) []*User {
	var us []*User
	if err := db.Preload("OrgMemberships").Order("id").Find(&us).Error; err != nil {
		t.Fatal(err)
	}
	return us
}

// TestFilterAgreesWithDecision: for every user and action, the rows the
// filtered query returns are exactly the rows IsAllowed accepts (on fully
// loaded rows, and through gormfilter.IsAllowed on rows loaded bare).
func TestFilterAgreesWithDecision(t *testing.T) {
	a := newAuthorizer(t)
	db := openDB(t, a)
	ctx := context.Background()
	var all []*Repo
	if err := db.Preload("Org").Preload("Memberships").Order("id").Find(&all).Error; err != nil {
		t.Fatal(err)
	}
	for _, user := range users(t, db) {
		for _, action := range []string{"read", "update", "delete"} {
			var got []Repo
			if err := gormfilter.Authorized(db, user, action).Order("id").Find(&got).Error; err != nil {
				t.Fatalf("%s %s: %v", user.Name, action, err)
			}
			var gotIDs, want []uint
			for _, r := range got {
				gotIDs = append(gotIDs, r.ID)
			}
			for _, r := range all {
				ok, err := a.IsAllowed(ctx, user, action, r)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					want = append(want, r.ID)
				}
				var bare Repo
				db.First(&bare, r.ID)
				ok2, err := gormfilter.IsAllowed(db, user, action, &bare)
				if err != nil || ok2 != ok {
					t.Errorf("%s %s repo %d: gormfilter.IsAllowed on a bare row = %v, %v; want %v", user.Name, action, r.ID, ok2, err, ok)
				}
			}
			if !slices.Equal(gotIDs, want) {
				t.Errorf("%s %s: filter %v, decisions %v", user.Name, action, gotIDs, want)
			}
		}
	}
}

// TestRecursiveFolders: a recursive rule over a self reference, with a
// cycle in the data, filters and decides the same.
func TestRecursiveFolders(t *testing.T) {
	a := newAuthorizer(t)
	db := openDB(t, a)
	want := map[string][]uint{"alice": {1, 2, 3}, "bob": {2, 3}, "carol": nil, "eve": {4, 5}}
	for _, user := range users(t, db) {
		w, ok := want[user.Name]
		if !ok {
			continue
		}
		var fs []Folder
		if err := gormfilter.Authorized(db, user, "view").Order("id").Find(&fs).Error; err != nil {
			t.Fatalf("%s: %v", user.Name, err)
		}
		var got []uint
		for _, f := range fs {
			got = append(got, f.ID)
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s: %v, want %v", user.Name, got, w)
		}
		for id := uint(1); id <= 5; id++ {
			var f Folder
			db.First(&f, id)
			ok, err := gormfilter.IsAllowed(db, user, "view", &f)
			if err != nil || ok != slices.Contains(w, id) {
				t.Errorf("%s view folder %d: %v %v", user.Name, id, ok, err)
			}
		}
	}
}

func TestWritesOnlyPermittedRows(t *testing.T) {
	a := newAuthorizer(t)
	db := openDB(t, a)
	us := users(t, db)
	carol := us[2]
	// carol is admin of repo 21 only.
	res := gormfilter.Authorized(db, carol, "update").Model(&Repo{}).Where("org_id = ?", 2).Update("name", "renamed")
	if res.Error != nil || res.RowsAffected != 1 {
		t.Fatalf("update: %v %d", res.Error, res.RowsAffected)
	}
	var names []string
	db.Model(&Repo{}).Order("id").Pluck("name", &names)
	if !slices.Equal(names, []string{"anvil", "rocket", "secret", "renamed"}) {
		t.Errorf("after update: %v", names)
	}
	res = gormfilter.Authorized(db, carol, "delete").Where("id IN ?", []uint{10, 20, 21}).Delete(&Repo{})
	if res.Error != nil || res.RowsAffected != 1 {
		t.Fatalf("delete: %v %d", res.Error, res.RowsAffected)
	}
}

func TestAuthorizedActionsForPage(t *testing.T) {
	a := newAuthorizer(t)
	db := openDB(t, a)
	us := users(t, db)
	var page []Repo
	db.Order("id").Find(&page)
	got, err := gormfilter.AuthorizedActionsFor(db, us[0], page, "read", "update", "delete")
	if err != nil {
		t.Fatal(err)
	}
	// alice owns acme: admin of anvil and rocket; nothing on beta's repos.
	want := [][]string{{"read", "update", "delete"}, {"read", "update", "delete"}, nil, nil}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// Agreement with the in-memory AuthorizedActions on loaded rows.
	ctx := context.Background()
	var loaded []*Repo
	db.Preload("Org").Preload("Memberships").Order("id").Find(&loaded)
	for _, user := range us {
		got, err := gormfilter.AuthorizedActionsFor(db, user, loaded, "read", "update", "delete")
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range loaded {
			acts, err := a.AuthorizedActions(ctx, user, r)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(acts)
			g := slices.Clone(got[i])
			slices.Sort(g)
			if !slices.Equal(acts, g) {
				t.Errorf("%s repo %d: page %v, AuthorizedActions %v", user.Name, r.ID, g, acts)
			}
		}
	}
}
