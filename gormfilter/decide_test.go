package gormfilter

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/ursa-authz/ursa/partial"
)

// decisionAuth adds decisions that go through relations, with the filters
// that describe the same rules (the loader follows the filter's paths).
func decisionAuth() *fakeAuth {
	a := standardAuth()
	a.filters["Repo/orgread"] = func(u *User) *partial.Filter {
		return or("Repo", and(eq(res("Org", "Name"), val("alice-org"))))
	}
	a.decide["orgread"] = func(u *User, r any) bool {
		repo := r.(*Repo)
		return repo.Org != nil && repo.Org.Name == "alice-org"
	}
	a.filters["Repo/memberread"] = func(u *User) *partial.Filter {
		return or("Repo", and(&partial.Exists{Var: "m", Type: "Membership", Over: res("Memberships"),
			Cond: *or("Membership", and(eq(path("m", "User", "Name"), val(u.Name))))}))
	}
	a.decide["memberread"] = func(u *User, r any) bool {
		for _, m := range r.(*Repo).Memberships {
			if m.User != nil && m.User.Name == u.Name {
				return true
			}
		}
		return false
	}
	a.filters["Folder/view"] = func(u *User) *partial.Filter {
		f := or("Folder", and(&partial.InSet{Path: res(), Pred: "viewable"}))
		f.Preds = map[string]*partial.Pred{"viewable": {Name: "viewable", Type: "Folder", Param: "f",
			Body: *or("Folder",
				and(eq(path("f", "OwnerID"), val(int64(u.ID)))),
				and(&partial.InSet{Path: path("f", "Parent"), Pred: "viewable"}))}}
		return f
	}
	a.decide["view"] = func(u *User, r any) bool {
		seen := map[uint]bool{}
		for f := r.(*Folder); f != nil && !seen[f.ID]; f = f.Parent {
			seen[f.ID] = true
			if f.OwnerID == u.ID {
				return true
			}
		}
		return false
	}
	a.filters["User/profile"] = func(u *User) *partial.Filter {
		return or("User", and(eq(res("Profile", "Public"), val(true))))
	}
	a.decide["profile"] = func(u *User, r any) bool {
		p := r.(*User).Profile
		return p != nil && p.Public
	}
	a.decide["create"] = func(u *User, r any) bool {
		repo := r.(*Repo)
		return repo.Org != nil && repo.Org.ID == u.OrgID
	}
	a.filters["Repo/create"] = a.filters["Repo/orgread"]
	return a
}

func TestIsAllowedLoadsAssociations(t *testing.T) {
	db, _ := openSQLite(t, decisionAuth())
	var r1, r3 Repo
	db.First(&r1, 1)
	db.First(&r3, 3)
	if r1.Org != nil {
		t.Fatal("Org preloaded by accident")
	}
	ok, err := IsAllowed(db, alice, "orgread", &r1)
	if err != nil || !ok {
		t.Errorf("repo 1: %v %v, want allowed (Org loaded)", ok, err)
	}
	if r1.Org == nil || r1.Org.Name != "alice-org" {
		t.Errorf("Org not stored on the model: %+v", r1.Org)
	}
	if ok, err := IsAllowed(db, alice, "orgread", &r3); err != nil || ok {
		t.Errorf("repo 3: %v %v, want denied", ok, err)
	}
	// A belongs-to with no foreign key is genuinely empty: nothing to load.
	none := Repo{ID: 99}
	if ok, err := IsAllowed(db, alice, "orgread", &none); err != nil || ok || none.Org != nil {
		t.Errorf("no org: %v %v %+v", ok, err, none.Org)
	}

	// To-many, then nested to-one inside it.
	var r4 Repo
	db.First(&r4, 4)
	if ok, err := IsAllowed(db, alice, "memberread", &r4); err != nil || !ok {
		t.Errorf("memberread: %v %v", ok, err)
	}
	if len(r4.Memberships) != 1 || r4.Memberships[0].User == nil {
		t.Errorf("memberships not loaded: %+v", r4.Memberships)
	}
	var r2 Repo
	db.First(&r2, 2)
	if ok, err := IsAllowed(db, alice, "memberread", &r2); err != nil || ok || r2.Memberships == nil {
		t.Errorf("memberread on repo without members: %v %v %#v", ok, err, r2.Memberships)
	}

	// Recursive rule: the parent chain is loaded; a cycle terminates.
	var leaf, c5 Folder
	db.First(&leaf, 3)
	db.First(&c5, 5)
	if ok, err := IsAllowed(db, alice, "view", &leaf); err != nil || !ok {
		t.Errorf("folder chain: %v %v", ok, err)
	}
	if leaf.Parent == nil || leaf.Parent.Parent == nil || leaf.Parent.Parent.ID != 1 {
		t.Errorf("chain not loaded")
	}
	if ok, err := IsAllowed(db, alice, "view", &c5); err != nil || ok {
		t.Errorf("cyclic folders: %v %v", ok, err)
	}

	// Has-one.
	var u7, u8 User
	db.First(&u7, 7)
	db.First(&u8, 8)
	if ok, err := IsAllowed(db, alice, "profile", &u7); err != nil || !ok {
		t.Errorf("has-one: %v %v", ok, err)
	}
	if ok, err := IsAllowed(db, alice, "profile", &u8); err != nil || ok {
		t.Errorf("has-one absent: %v %v", ok, err)
	}

	// Not a pointer.
	if _, err := IsAllowed(db, alice, "orgread", r1); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("non-pointer: %v", err)
	}
}

func TestIsAllowedStrictNamesAssociation(t *testing.T) {
	db, _ := openSQLite(t, decisionAuth(), StrictLoading())
	var nle *NotLoadedError
	var r1 Repo
	db.First(&r1, 1)
	_, err := IsAllowed(db, alice, "orgread", &r1)
	if !errors.As(err, &nle) || nle.Association != "Org" || !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("strict: %v", err)
	}
	if r1.Org != nil {
		t.Errorf("strict mode loaded Org")
	}
	var pre Repo
	db.Preload("Org").First(&pre, 1)
	if ok, err := IsAllowed(db, alice, "orgread", &pre); err != nil || !ok {
		t.Errorf("preloaded: %v %v", ok, err)
	}

	var r4 Repo
	db.First(&r4, 4)
	if _, err := IsAllowed(db, alice, "memberread", &r4); !errors.As(err, &nle) || nle.Association != "Memberships" {
		t.Errorf("to-many: %v", err)
	}
	db.Preload("Memberships").First(&r4, 4)
	if _, err := IsAllowed(db, alice, "memberread", &r4); !errors.As(err, &nle) || nle.Association != "Memberships.User" {
		t.Errorf("nested: %v", err)
	}
	db.Preload("Memberships.User").First(&r4, 4)
	if ok, err := IsAllowed(db, alice, "memberread", &r4); err != nil || !ok {
		t.Errorf("nested preloaded: %v %v", ok, err)
	}

	var leaf Folder
	db.First(&leaf, 3)
	if _, err := IsAllowed(db, alice, "view", &leaf); !errors.As(err, &nle) || nle.Association != "Parent" || !nle.Recursive {
		t.Errorf("recursive: %v", err)
	}
}

func TestAuthorizedActionsForOneQuery(t *testing.T) {
	db, rec := openSQLite(t, standardAuth())
	var rs []Repo
	if err := db.Order("id").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	rs = append(rs, Repo{Name: "unsaved"})
	rec.stmts = nil
	got, err := AuthorizedActionsFor(db, alice, rs, "read", "update", "delete")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"read"}, {"read"}, {"read", "update", "delete"}, nil, {"read"}, nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if len(rec.stmts) != 1 {
		t.Errorf("%d queries, want 1: %v", len(rec.stmts), rec.stmts)
	}
	// Agreement with Authorized per action.
	for ai, action := range []string{"read", "update", "delete"} {
		var allowed []Repo
		if err := Authorized(db, alice, action).Order("id").Find(&allowed).Error; err != nil {
			t.Fatal(err)
		}
		for i, r := range rs[:5] {
			if slices.Contains(got[i], action) != slices.Contains(repoIDs(allowed), r.ID) {
				t.Errorf("action %d %s on repo %d disagrees with Authorized", ai, action, r.ID)
			}
		}
	}
	// Pointers, and a page larger than one chunk: still one query per 500 keys.
	var many []*Repo
	for i := 0; i < 1100; i++ {
		many = append(many, &Repo{Name: "bulk", OrgID: 3})
	}
	if err := db.CreateInBatches(many, 200).Error; err != nil {
		t.Fatal(err)
	}
	rec.stmts = nil
	got, err = AuthorizedActionsFor(db, alice, &many, "read", "update")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.stmts) != 3 {
		t.Errorf("%d queries for 1100 rows, want 3", len(rec.stmts))
	}
	for i, g := range got {
		if !slices.Equal(g, []string{"read"}) {
			t.Fatalf("row %d: %v", i, g)
		}
	}
	if _, err := AuthorizedActionsFor(db, alice, rs); err == nil {
		t.Errorf("no actions: want an error")
	}
}

func TestCreateDecided(t *testing.T) {
	db, _ := openSQLite(t, decisionAuth())
	ok := Repo{Name: "mine", OrgID: 3}
	if err := Authorized(db, alice, "create").Create(&ok).Error; err != nil || ok.ID == 0 {
		t.Errorf("allowed create: %v", err)
	}
	bad := Repo{Name: "theirs", OrgID: 1}
	if err := Authorized(db, alice, "create").Create(&bad).Error; !errors.Is(err, ErrNotAuthorized) {
		t.Errorf("forbidden create: %v", err)
	}
	var n int64
	db.Model(&Repo{}).Where("name = ?", "theirs").Count(&n)
	if n != 0 {
		t.Errorf("forbidden row inserted")
	}
	batch := []Repo{{Name: "x1", OrgID: 3}, {Name: "x2", OrgID: 1}}
	if err := Authorized(db, alice, "create").Create(&batch).Error; !errors.Is(err, ErrNotAuthorized) {
		t.Errorf("batch with a forbidden row: %v", err)
	}
	db.Model(&Repo{}).Where("name IN ?", []string{"x1", "x2"}).Count(&n)
	if n != 0 {
		t.Errorf("batch partly inserted")
	}
}

// TestSoftDeletedRelatedRows: a soft-deleted related row (gorm.DeletedAt)
// grants nothing, in the filter as in decisions on rows GORM loads.
func TestSoftDeletedRelatedRows(t *testing.T) {
	db, _ := openSQLite(t, decisionAuth())
	list := func(action string) []uint {
		t.Helper()
		var rs []Repo
		if err := Authorized(db, alice, action).Order("id").Find(&rs).Error; err != nil {
			t.Fatal(err)
		}
		return repoIDs(rs)
	}
	decide := func(action string, id uint) bool {
		t.Helper()
		var r Repo
		db.First(&r, id)
		ok, err := IsAllowed(db, alice, action, &r)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if got := list("memberread"); !slices.Equal(got, []uint{4}) || !decide("memberread", 4) {
		t.Fatalf("before: %v", got)
	}
	if got := list("orgread"); !slices.Equal(got, []uint{1, 2}) || !decide("orgread", 1) {
		t.Fatalf("before: %v", got)
	}
	// Revoke alice's membership and delete her org, softly.
	if err := db.Delete(&Membership{}, 1).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(&Org{}, 3).Error; err != nil {
		t.Fatal(err)
	}
	if got := list("memberread"); len(got) != 0 || decide("memberread", 4) {
		t.Errorf("revoked membership still grants: %v", got)
	}
	if got := list("orgread"); len(got) != 0 || decide("orgread", 1) {
		t.Errorf("deleted org still grants: %v", got)
	}
}
