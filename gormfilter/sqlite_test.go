package gormfilter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

var memSeq atomic.Int64

// openSQLite opens a fresh in-memory SQLite database with the test models
// migrated and seeded, the plugin (for auth, unless nil) and a recorder.
func openSQLite(t testing.TB, auth Authorizer, opts ...Option) (*gorm.DB, *recorder) {
	t.Helper()
	dsn := fmt.Sprintf("file:gormfilter%d?mode=memory&cache=shared", memSeq.Add(1))
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1)
	t.Cleanup(func() { sqlDB.Close() })
	if err := db.AutoMigrate(&Org{}, &User{}, &Profile{}, &Repo{}, &Membership{}, &Folder{}, &Post{}, &Widget{}); err != nil {
		t.Fatal(err)
	}
	seed(t, db)
	return db, install(t, db, auth, opts...)
}

func uptr(u uint) *uint { return &u }

func seed(t testing.TB, db *gorm.DB) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Create([]Org{{ID: 1, Name: "acme"}, {ID: 3, Name: "alice-org"}}).Error)
	must(db.Create([]User{{ID: 7, Name: "alice", OrgID: 3}, {ID: 8, Name: "bob", OrgID: 1}}).Error)
	must(db.Create(&Profile{ID: 1, UserID: 7, Public: true}).Error)
	must(db.Create([]Repo{
		{ID: 1, Name: "a1", OrgID: 3},
		{ID: 2, Name: "a2", OrgID: 3, CreatorID: uptr(8), Archived: true},
		{ID: 3, Name: "b1", OrgID: 1, CreatorID: uptr(7)},
		{ID: 4, Name: "b2", OrgID: 1, CreatorID: uptr(8)},
		{ID: 5, Name: "b3", OrgID: 1, CreatorID: uptr(7), Archived: true},
	}).Error)
	must(db.Create([]Membership{{ID: 1, RepoID: 4, UserID: 7, Role: "reader"}, {ID: 2, RepoID: 1, UserID: 8, Role: "admin"}}).Error)
	must(db.Exec("INSERT INTO repo_collaborators (repo_id, user_id) VALUES (4, 7)").Error)
	// Folder tree 1 <- 2 <- 3, and a cycle 4 <-> 5.
	must(db.Create([]Folder{{ID: 1, Name: "root", OwnerID: 7}, {ID: 2, Name: "mid", ParentID: uptr(1), OwnerID: 8}, {ID: 3, Name: "leaf", ParentID: uptr(2), OwnerID: 8}}).Error)
	must(db.Create([]Folder{{ID: 4, Name: "c4", OwnerID: 8}, {ID: 5, Name: "c5", ParentID: uptr(4), OwnerID: 8}}).Error)
	must(db.Model(&Folder{}).Where("id = ?", 4).Update("parent_id", 5).Error)
	must(db.Create([]Post{
		{Title: "p1", Author: Author{Name: "ann"}, OrgID: 3},
		{Title: "p2", Author: Author{Name: "spam"}, OrgID: 3},
		{Title: "p3", Author: Author{Name: "ann"}, OrgID: 1},
	}).Error)
	must(db.Create([]Widget{{Code: "w1", Label: "a"}, {Code: "w2", Label: "z"}}).Error)
}

func repoIDs(rs []Repo) []uint {
	var ids []uint
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestSQLiteQueries(t *testing.T) {
	db, _ := openSQLite(t, standardAuth())
	check := func(name string, got, want []uint, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	var rs []Repo
	err := Authorized(db, alice, "read").Order("id").Find(&rs).Error
	check("find", repoIDs(rs), []uint{1, 2, 3, 5}, err)

	var bobRepos []Repo
	bob := &User{ID: 8, OrgID: 1}
	err = Authorized(db, bob, "read").Order("id").Find(&bobRepos).Error
	check("find bob", repoIDs(bobRepos), []uint{2, 3, 4, 5}, err)

	var n int64
	if err := db.Model(&Repo{}).Scopes(Scope(alice, "read")).Where("archived = ?", false).Count(&n).Error; err != nil || n != 2 {
		t.Errorf("count: %d, %v; want 2", n, err)
	}

	var first Repo
	err = Authorized(db, alice, "read").Where("org_id = ?", 1).First(&first).Error
	check("first", []uint{first.ID}, []uint{3}, err)

	var take Repo
	err = Authorized(db, alice, "read").Where("id = ?", 4).Take(&take).Error
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		t.Errorf("take of a forbidden row: %v, want ErrRecordNotFound", err)
	}

	var names []string
	if err := Authorized(db, alice, "read").Model(&Repo{}).Order("name").Pluck("name", &names).Error; err != nil || !slices.Equal(names, []string{"a1", "a2", "b1", "b3"}) {
		t.Errorf("pluck: %v %v", names, err)
	}

	rs = nil
	err = Authorized(db, alice, "read").Order("id desc").Limit(2).Offset(1).Find(&rs).Error
	check("page", repoIDs(rs), []uint{3, 2}, err)

	// The caller's OR must stay inside the filter: repo 4 matches the
	// caller's conditions but is forbidden.
	rs = nil
	err = Authorized(db.Where("name = ?", "b2").Or("id = ?", 4), alice, "read").Find(&rs).Error
	check("or before", repoIDs(rs), nil, err)
	rs = nil
	err = db.Where("name = ?", "b2").Or("id = ?", 1).Scopes(Scope(alice, "read")).Find(&rs).Error
	check("or before scope", repoIDs(rs), []uint{1}, err)

	// Joins: the filter is qualified by the model's table.
	rs = nil
	err = Authorized(db, alice, "read").Joins("Org").Order("repos.id").Find(&rs).Error
	check("joins", repoIDs(rs), []uint{1, 2, 3, 5}, err)
	if len(rs) == 4 && (rs[0].Org == nil || rs[0].Org.Name != "alice-org") {
		t.Errorf("joins did not load Org: %+v", rs[0].Org)
	}

	// Preloads are filtered by the same action on their own type: alice
	// may read only her own memberships (none on these repos)...
	rs = nil
	err = Authorized(db, alice, "read").Preload("Memberships").Order("id").Find(&rs).Error
	check("preload", repoIDs(rs), []uint{1, 2, 3, 5}, err)
	if len(rs) == 4 && (rs[0].Memberships == nil || len(rs[0].Memberships) != 0) {
		t.Errorf("preload filtered: %+v", rs[0].Memberships)
	}
	// ... unless the preload is marked Unfiltered.
	rs = nil
	err = Authorized(db, alice, "read").Preload("Memberships", Unfiltered).Order("id").Find(&rs).Error
	check("preload unfiltered", repoIDs(rs), []uint{1, 2, 3, 5}, err)
	if len(rs) == 4 && (len(rs[0].Memberships) != 1 || rs[0].Memberships[0].ID != 2) {
		t.Errorf("preload unfiltered: %+v", rs[0].Memberships)
	}
	// A preloaded association whose type is not a policy resource fails
	// closed with a message naming the way out.
	a2 := standardAuth()
	delete(a2.classes, reflectTypeOf(Org{}))
	db2, _ := openSQLite(t, a2)
	rs = nil
	err = Authorized(db2, alice, "read").Preload("Org").Find(&rs).Error
	if !errors.Is(err, ErrUnknownModel) || !strings.Contains(err.Error(), "gormfilter.Unfiltered") {
		t.Errorf("preload of unregistered type: %v", err)
	}
	rs = nil
	err = Authorized(db2, alice, "read").Preload("Org", Unfiltered).Order("id").Find(&rs).Error
	check("preload unregistered unfiltered", repoIDs(rs), []uint{1, 2, 3, 5}, err)
	if len(rs) == 4 && (rs[0].Org == nil || rs[0].Org.Name != "alice-org") {
		t.Errorf("preload Org: %+v", rs[0].Org)
	}

	// Sessions: a reusable authorized session filters every statement.
	sess := Authorized(db, alice, "read").Session(&gorm.Session{})
	rs = nil
	err = sess.Where("archived = ?", true).Order("id").Find(&rs).Error
	check("session 1", repoIDs(rs), []uint{2, 5}, err)
	n = 0
	if err := sess.Model(&Repo{}).Count(&n).Error; err != nil || n != 4 {
		t.Errorf("session count: %d %v", n, err)
	}

	// Subquery.
	var ms []Membership
	if err := db.Where("repo_id IN (?)", Authorized(db, alice, "read").Model(&Repo{}).Select("id")).Find(&ms).Error; err != nil || len(ms) != 1 || ms[0].ID != 2 {
		t.Errorf("subquery: %+v %v", ms, err)
	}

	// Scan, Rows and FindInBatches go through the same callbacks.
	var scanned []uint
	if err := Authorized(db, alice, "read").Model(&Repo{}).Select("id").Order("id").Scan(&scanned).Error; err != nil || !slices.Equal(scanned, []uint{1, 2, 3, 5}) {
		t.Errorf("scan: %v %v", scanned, err)
	}
	rows, err := Authorized(db, alice, "read").Model(&Repo{}).Select("id").Rows()
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n != 4 {
		t.Errorf("rows: %d", n)
	}
	var batched []uint
	var batch []Repo
	err = Authorized(db, alice, "read").FindInBatches(&batch, 3, func(tx *gorm.DB, _ int) error {
		batched = append(batched, repoIDs(batch)...)
		return nil
	}).Error
	check("find in batches", batched, []uint{1, 2, 3, 5}, err)

	// Embedded struct fields and gorm.Model soft delete.
	var ps []Post
	if err := Authorized(db, alice, "read").Find(&ps).Error; err != nil || len(ps) != 1 || ps[0].Title != "p1" {
		t.Errorf("embedded: %+v %v", ps, err)
	}
	var ws []Widget
	if err := Authorized(db, alice, "read").Find(&ws).Error; err != nil || len(ws) != 1 || ws[0].Code != "w1" {
		t.Errorf("custom table: %+v %v", ws, err)
	}
}

func repoNames(t *testing.T, db *gorm.DB) map[uint]string {
	t.Helper()
	var rs []Repo
	if err := db.Order("id").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	m := map[uint]string{}
	for _, r := range rs {
		m[r.ID] = r.Name
	}
	return m
}

func TestSQLiteWrites(t *testing.T) {
	db, _ := openSQLite(t, standardAuth())
	res := Authorized(db, alice, "update").Model(&Repo{}).Where("id > ?", 0).Update("name", "changed")
	if res.Error != nil || res.RowsAffected != 1 {
		t.Fatalf("update: %v, %d rows", res.Error, res.RowsAffected)
	}
	names := repoNames(t, db)
	for id, n := range names {
		if (n == "changed") != (id == 3) {
			t.Errorf("repo %d name %q: only repo 3 may change", id, n)
		}
	}
	// By primary key: a forbidden row does not change.
	res = Authorized(db, alice, "update").Model(&Repo{ID: 4}).Updates(map[string]any{"name": "x"})
	if res.Error != nil || res.RowsAffected != 0 || repoNames(t, db)[4] != "b2" {
		t.Errorf("update forbidden by pk: %v %d", res.Error, res.RowsAffected)
	}
	// A read-only action cannot authorize a write.
	res = Authorized(db, alice, "read").Model(&Repo{}).Where("id = ?", 1).Update("name", "x")
	if !errors.Is(res.Error, ErrReadOnlyAction) || repoNames(t, db)[1] != "a1" {
		t.Errorf("read for update: %v", res.Error)
	}
	// GORM's missing-WHERE guard still holds.
	res = Authorized(db, alice, "delete").Delete(&Repo{})
	if !errors.Is(res.Error, gorm.ErrMissingWhereClause) {
		t.Errorf("delete without where: %v", res.Error)
	}
	// Delete only the permitted rows, inside a transaction.
	err := db.Transaction(func(tx *gorm.DB) error {
		res := Authorized(tx, alice, "delete").Where("org_id = ?", 1).Delete(&Repo{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("deleted %d rows, want 1", res.RowsAffected)
		}
		var n int64
		if err := tx.Model(&Repo{}).Count(&n).Error; err != nil || n != 4 {
			return fmt.Errorf("inside tx: %d rows, %v", n, err)
		}
		return errors.New("rollback")
	})
	if err == nil || err.Error() != "rollback" {
		t.Fatalf("transaction: %v", err)
	}
	if len(repoNames(t, db)) != 5 {
		t.Errorf("rollback lost rows")
	}
	res = Authorized(db, alice, "delete").Where("id IN ?", []uint{3, 4}).Delete(&Repo{})
	if res.Error != nil || res.RowsAffected != 1 {
		t.Errorf("delete: %v %d", res.Error, res.RowsAffected)
	}
	if _, ok := repoNames(t, db)[3]; ok {
		t.Errorf("repo 3 not deleted")
	}
	// Soft delete (gorm.Model) goes through the delete callback too.
	a := standardAuth()
	a.filters["Post/delete"] = func(u *User) *partial.Filter {
		return or("Post", and(eq(res2("Author", "Name"), val("ann")), eq(res2("OrgID"), val(int64(u.OrgID)))))
	}
	db2, _ := openSQLite(t, a)
	r := Authorized(db2, alice, "delete").Where("1 = 1").Delete(&Post{})
	if r.Error != nil || r.RowsAffected != 1 {
		t.Errorf("soft delete: %v %d", r.Error, r.RowsAffected)
	}
	var left []Post
	db2.Order("id").Find(&left)
	if len(left) != 2 || left[0].Title != "p2" {
		t.Errorf("soft delete left %+v", left)
	}
}

func res2(fields ...string) partial.Path { return res(fields...) }

// TestFailClosed: every error is on the statement and nothing runs.
func TestFailClosed(t *testing.T) {
	var rs []Repo
	plain, rec := openSQLite(t, nil)
	err := Authorized(plain, alice, "read").Find(&rs).Error
	if !errors.Is(err, ErrNotInstalled) || len(rs) != 0 || len(rec.stmts) != 0 {
		t.Errorf("not installed: %v, %d rows, %d statements", err, len(rs), len(rec.stmts))
	}
	var n int64
	err = plain.Model(&Repo{}).Scopes(Scope(alice, "read")).Count(&n).Error
	if !errors.Is(err, ErrNotInstalled) || n != 0 || len(rec.stmts) != 0 {
		t.Errorf("scope not installed: %v, %d, %d statements", err, n, len(rec.stmts))
	}
	if plain.Error != nil {
		t.Errorf("the base *gorm.DB got the error: %v", plain.Error)
	}

	a := standardAuth()
	delete(a.classes, reflectTypeOf(Org{}))
	db, rec := openSQLite(t, a)
	var orgs []Org
	err = Authorized(db, alice, "read").Find(&orgs).Error
	if !errors.Is(err, ErrUnknownModel) || len(orgs) != 0 || len(rec.stmts) != 0 {
		t.Errorf("unregistered model: %v %d %d", err, len(orgs), len(rec.stmts))
	}
	err = Authorized(db, alice, "read").Table("repos").Find(&[]map[string]any{}).Error
	if !errors.Is(err, ErrUnknownModel) || len(rec.stmts) != 0 {
		t.Errorf("no model: %v", err)
	}
	err = Authorized(db, alice, "read").Raw("SELECT * FROM repos").Scan(&rs).Error
	if !errors.Is(err, ErrUnsupported) || len(rs) != 0 {
		t.Errorf("raw: %v %d", err, len(rs))
	}
	err = Authorized(db, alice, "read").Exec("DELETE FROM repos").Error
	if !errors.Is(err, ErrUnsupported) || len(repoNames(t, db)) != 5 {
		t.Errorf("exec: %v", err)
	}
	// The authorizer fails.
	a.filters["Repo/boom"] = nil
	a2 := &failingAuth{fakeAuth: a}
	db3, rec3 := openSQLite(t, a2)
	err = Authorized(db3, alice, "read").Find(&rs).Error
	if err == nil || !errors.Is(err, errBoom) || len(rs) != 0 || len(rec3.stmts) != 0 {
		t.Errorf("authorizer error: %v %d", err, len(rs))
	}
	// A construct the compiler rejects.
	a.filters["Repo/odd"] = func(u *User) *partial.Filter {
		return or("Repo", and(eq(res("NoSuchField"), val(int64(1)))))
	}
	db4, rec4 := openSQLite(t, a)
	err = Authorized(db4, alice, "odd").Find(&rs).Error
	if err == nil || len(rs) != 0 || len(rec4.stmts) != 0 {
		t.Errorf("uncompilable filter: %v %d", err, len(rs))
	}
}

var errBoom = errors.New("boom")

type failingAuth struct{ *fakeAuth }

func (f *failingAuth) Filter(ctx context.Context, actor any, action, typ string) (*partial.Filter, error) {
	return nil, errBoom
}

// TestWriteGuards: what GORM would write beside the filtered statement is
// refused before anything is written.
func TestWriteGuards(t *testing.T) {
	db, _ := openSQLite(t, decisionAuth())
	// Save of an allowed row updates it (alice created repo 3, not archived).
	var r3 Repo
	db.First(&r3, 3)
	r3.Name = "saved"
	if err := Authorized(db, alice, "update").Save(&r3).Error; err != nil || repoNames(t, db)[3] != "saved" {
		t.Errorf("save allowed: %v", err)
	}
	// Save of a forbidden row: the filtered UPDATE changes nothing and
	// GORM's fallback upsert is refused, so the row stays.
	var r4 Repo
	db.First(&r4, 4)
	r4.Name = "stolen"
	r4.CreatorID = uptr(7)
	if err := Authorized(db, alice, "update").Save(&r4).Error; !errors.Is(err, ErrUnsupported) || repoNames(t, db)[4] != "b2" {
		t.Errorf("save forbidden: %v, name %q", err, repoNames(t, db)[4])
	}
	// An authorized Create does not save associations...
	withOrg := Repo{Name: "with-org", OrgID: 3, Org: &Org{ID: 3, Name: "alice-org"}}
	if err := Authorized(db, alice, "create").Create(&withOrg).Error; !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "Org") {
		t.Errorf("create with association: %v", err)
	}
	// ... unless they are omitted.
	if err := Authorized(db, alice, "create").Omit(clause.Associations).Create(&withOrg).Error; err != nil || withOrg.ID == 0 {
		t.Errorf("create omitting associations: %v", err)
	}
	// The decision's loading does not leak into the insert.
	plain := Repo{Name: "plain", OrgID: 3}
	if err := Authorized(db, alice, "create").Create(&plain).Error; err != nil || plain.Org != nil {
		t.Errorf("create: %v, Org %+v", err, plain.Org)
	}
	// Deleting associations with Select, and FullSaveAssociations.
	if err := Authorized(db, alice, "delete").Select("Memberships").Delete(&Repo{ID: 3}).Error; !errors.Is(err, ErrUnsupported) {
		t.Errorf("delete with associations: %v", err)
	}
	if err := Authorized(db.Session(&gorm.Session{FullSaveAssociations: true}), alice, "update").Model(&Repo{ID: 3}).Update("name", "x").Error; !errors.Is(err, ErrUnsupported) {
		t.Errorf("full save associations: %v", err)
	}
	if n := repoNames(t, db); n[3] != "saved" {
		t.Errorf("repo 3 changed by a refused statement: %q", n[3])
	}
}

// LegacyRepo maps the repos table under another Go type the authorizer does
// not know; WithClass names it, Override declares a relation GORM cannot see
// (no Org field) and WithModels adds the relation's target.
type LegacyRepo struct {
	ID    uint
	Name  string
	OrgID uint
}

func (LegacyRepo) TableName() string { return "repos" }

func TestWithClassAndOverride(t *testing.T) {
	a := decisionAuth()
	a.filters["Legacy/read"] = func(u *User) *partial.Filter {
		return or("Legacy", and(eq(res("Org", "Name"), val("alice-org"))))
	}
	db, _ := openSQLite(t, a, WithClass(LegacyRepo{}, "Legacy"), WithModels(&Org{}), Override(LegacyRepo{}, func(tb *sqlgen.Table) {
		tb.Relations["Org"] = &sqlgen.Relation{Name: "Org", Kind: sqlgen.BelongsTo, Target: "Org", ForeignKey: []string{"org_id"}, References: []string{"id"}}
	}))
	var rs []LegacyRepo
	if err := Authorized(db, alice, "read").Order("id").Find(&rs).Error; err != nil || len(rs) != 2 || rs[0].ID != 1 || rs[1].ID != 2 {
		t.Errorf("legacy: %+v %v", rs, err)
	}
	// Without the override the relation is unknown: the query fails closed.
	db2, rec := openSQLite(t, a, WithClass(LegacyRepo{}, "Legacy"))
	rs = nil
	if err := Authorized(db2, alice, "read").Find(&rs).Error; err == nil || len(rs) != 0 || len(rec.stmts) != 0 {
		t.Errorf("no override: %v %d", err, len(rs))
	}
}

func TestCancelledContextFailsClosed(t *testing.T) {
	db, _ := openSQLite(t, standardAuth())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var rs []Repo
	if err := Authorized(db.WithContext(ctx), alice, "read").Find(&rs).Error; err == nil || len(rs) != 0 {
		t.Errorf("cancelled: %v %d", err, len(rs))
	}
}
