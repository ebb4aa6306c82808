package main

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/ursa-authz/ursa/gormfilter"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Filter ⇔ decision on the demo data: for every user, class and action, the
// rows gormfilter lists are exactly the rows the app's Authorize call allows
// (on rows loaded with the app's preloads), the rows gormfilter.IsAllowed
// allows on bare rows (it loads what the policy needs), and the rows
// AuthorizedActionsFor marks.
func TestFilterAgreesWithDecisions(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			app := newApp(t, open)
			for _, u := range users {
				var user User
				if err := app.db.Preload("OrgRoles").Preload("RepoRoles").Where("name = ?", u).Take(&user).Error; err != nil {
					t.Fatal(err)
				}
				agree(t, app, &user, readsOrgs[u], func(o *Organization) int64 { return o.ID }, "read", "manage_members")
				agree(t, app, &user, readsRepos[u], func(r *Repository) int64 { return r.ID }, "read", "create_issue", "manage_issues", "manage_members")
				agree(t, app, &user, readsIssues[u], func(i *Issue) int64 { return i.ID }, "read", "close")
			}
		})
	}
}

// agree checks one user and class; reads is what the user may read.
func agree[T any](t *testing.T, app *App, user *User, reads []int64, id func(*T) int64, actions ...string) {
	t.Helper()
	ctx := context.Background()
	db := app.db.WithContext(ctx)
	var full, bare []T
	q := db.Order("id")
	for _, p := range preloads(new(T)) {
		q = q.Preload(p)
	}
	if err := q.Find(&full).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Order("id").Find(&bare).Error; err != nil {
		t.Fatal(err)
	}
	page, err := gormfilter.AuthorizedActionsFor(db, user, bare, actions...)
	if err != nil {
		t.Fatalf("%s AuthorizedActionsFor %T: %v", user.Name, bare, err)
	}
	for _, action := range actions {
		where := fmt.Sprintf("%s %s %T", user.Name, action, full)
		var rows []T
		if err := gormfilter.Authorized(db, user, action).Order("id").Find(&rows).Error; err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		var listed, decided, loaded, marked []int64
		for i := range rows {
			listed = append(listed, id(&rows[i]))
		}
		for i := range full {
			if err := app.authz.Authorize(ctx, user, action, &full[i]); err == nil {
				decided = append(decided, id(&full[i]))
			}
			ok, err := gormfilter.IsAllowed(db, user, action, &bare[i])
			if err != nil {
				t.Fatalf("%s: gormfilter.IsAllowed on %d: %v", where, id(&bare[i]), err)
			}
			if ok {
				loaded = append(loaded, id(&bare[i]))
			}
			if slices.Contains(page[i], action) {
				marked = append(marked, id(&bare[i]))
			}
		}
		if action == "read" && !slices.Equal(norm(decided), norm(reads)) {
			t.Errorf("%s: Authorize allows %v, want %v", where, decided, reads)
		}
		if !slices.Equal(norm(listed), norm(decided)) {
			t.Errorf("%s: Authorized lists %v, Authorize allows %v", where, listed, decided)
		}
		if !slices.Equal(norm(loaded), norm(decided)) {
			t.Errorf("%s: gormfilter.IsAllowed on bare rows allows %v, Authorize on preloaded rows %v", where, loaded, decided)
		}
		if !slices.Equal(norm(marked), norm(decided)) {
			t.Errorf("%s: AuthorizedActionsFor marks %v, Authorize allows %v", where, marked, decided)
		}
	}
}

// A repository whose org_id names no organization (possible where foreign
// keys are not enforced: SQLite without PRAGMA foreign_keys=ON, MySQL MyISAM,
// tables without constraints, or a constraint dropped) is denied by every
// decision (repo.Org is nil, so has_relation(org, "parent", repo) finds no
// org), so the list must not return it either. The filter is
// `resource.Org != nil and resource.Org.ID = 99`; gormfilter trusts no
// foreign key by default (gormfilter.EnforcedKeys), so the SQL checks that
// organization 99 exists instead of reading only repositories.org_id.
// Checked on every database: SQLite without foreign keys, Postgres and
// MySQL/MariaDB with the repositories.org_id constraint dropped.
func TestDanglingForeignKeyAgreement(t *testing.T) {
	opens := backends(t)
	opens["sqlite"] = func(t *testing.T) *gorm.DB {
		db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard}) // foreign keys not enforced
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := db.DB()
		sqlDB.SetMaxOpenConns(1)
		t.Cleanup(func() { sqlDB.Close() })
		return db
	}
	for name, open := range opens {
		t.Run(name, func(t *testing.T) { danglingForeignKey(t, name, open) })
	}
}

func danglingForeignKey(t *testing.T, name string, open backend) {
	app := newApp(t, open)
	if m := app.db.Migrator(); name != "sqlite" && m.HasConstraint(&Repository{}, "Org") {
		if err := m.DropConstraint(&Repository{}, "Org"); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := app.db.Create(&Repository{ID: 10, Name: "orphan", OrgID: 99}).Error; err != nil {
		t.Fatal(err)
	}
	if err := app.db.Create(&OrgRole{UserID: 2, OrgID: 99, Role: "member"}).Error; err != nil {
		t.Fatal(err)
	}
	var bob User
	if err := app.db.Preload("OrgRoles").Preload("RepoRoles").Where("name = ?", "bob").Take(&bob).Error; err != nil {
		t.Fatal(err)
	}
	var orphan Repository
	if err := app.db.Preload("Org").Take(&orphan, 10).Error; err != nil {
		t.Fatal(err)
	}
	if err := app.authz.Authorize(ctx, &bob, "read", &orphan); err == nil {
		t.Fatal("Authorize allows bob to read a repository of a missing organization")
	}
	var bare Repository
	app.db.Take(&bare, 10)
	if ok, err := gormfilter.IsAllowed(app.db, &bob, "read", &bare); ok || err != nil {
		t.Fatalf("gormfilter.IsAllowed = %v, %v; want false, nil", ok, err)
	}
	var listed []Repository
	if err := gormfilter.Authorized(app.db, &bob, "read").Where("id = ?", 10).Find(&listed).Error; err != nil {
		t.Fatal(err)
	}
	if len(listed) != 0 {
		f, _ := app.authz.Filter(ctx, &bob, "read", "Repository")
		t.Errorf("gormfilter.Authorized(db, bob, \"read\").Find lists repository 10, which every decision denies\nfilter: %v", f)
	}
}
