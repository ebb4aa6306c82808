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
			ctx := context.Background()
			db := app.db.WithContext(ctx)
			for _, u := range users {
				var user User
				if err := db.Preload("OrgRoles").Preload("RepoRoles").Where("name = ?", u).Take(&user).Error; err != nil {
					t.Fatal(err)
				}
				type class struct {
					actions []string
					list    func(action string) ([]int64, error) // gormfilter.Authorized
					rows    func() ([]any, []any, error)         // preloaded rows, bare rows
					page    func(actions []string) ([][]string, error)
				}
				classes := map[string]class{
					"Organization": {
						actions: []string{"read", "manage_members"},
						list: func(action string) ([]int64, error) {
							var rows []Organization
							err := gormfilter.Authorized(db, &user, action).Order("id").Find(&rows).Error
							return idsOf(rows, func(r Organization) int64 { return r.ID }), err
						},
						rows: func() ([]any, []any, error) {
							var full, bare []Organization
							if err := db.Order("id").Find(&full).Error; err != nil {
								return nil, nil, err
							}
							err := db.Order("id").Find(&bare).Error
							return ptrs(full), ptrs(bare), err
						},
						page: func(actions []string) ([][]string, error) {
							var rows []Organization
							db.Order("id").Find(&rows)
							return gormfilter.AuthorizedActionsFor(db, &user, rows, actions...)
						},
					},
					"Repository": {
						actions: []string{"read", "create_issue", "manage_issues", "manage_members"},
						list: func(action string) ([]int64, error) {
							var rows []Repository
							err := gormfilter.Authorized(db, &user, action).Order("id").Find(&rows).Error
							return idsOf(rows, func(r Repository) int64 { return r.ID }), err
						},
						rows: func() ([]any, []any, error) {
							var full, bare []Repository
							if err := db.Preload("Org").Order("id").Find(&full).Error; err != nil {
								return nil, nil, err
							}
							err := db.Order("id").Find(&bare).Error
							return ptrs(full), ptrs(bare), err
						},
						page: func(actions []string) ([][]string, error) {
							var rows []Repository
							db.Order("id").Find(&rows)
							return gormfilter.AuthorizedActionsFor(db, &user, rows, actions...)
						},
					},
					"Issue": {
						actions: []string{"read", "close"},
						list: func(action string) ([]int64, error) {
							var rows []Issue
							err := gormfilter.Authorized(db, &user, action).Order("id").Find(&rows).Error
							return idsOf(rows, func(r Issue) int64 { return r.ID }), err
						},
						rows: func() ([]any, []any, error) {
							var full, bare []Issue
							if err := db.Preload("Repo.Org").Order("id").Find(&full).Error; err != nil {
								return nil, nil, err
							}
							err := db.Order("id").Find(&bare).Error
							return ptrs(full), ptrs(bare), err
						},
						page: func(actions []string) ([][]string, error) {
							var rows []Issue
							db.Order("id").Find(&rows)
							return gormfilter.AuthorizedActionsFor(db, &user, rows, actions...)
						},
					},
				}
				for cname, c := range classes {
					full, bare, err := c.rows()
					if err != nil {
						t.Fatal(err)
					}
					page, err := c.page(c.actions)
					if err != nil {
						t.Fatalf("%s AuthorizedActionsFor %s: %v", u, cname, err)
					}
					for _, action := range c.actions {
						listed, err := c.list(action)
						if err != nil {
							t.Fatalf("%s %s %s: %v", u, action, cname, err)
						}
						var decided, loaded, marked []int64
						for i := range full {
							id := rowID(full[i])
							if err := app.authz.Authorize(ctx, &user, action, full[i]); err == nil {
								decided = append(decided, id)
							}
							ok, err := gormfilter.IsAllowed(db, &user, action, bare[i])
							if err != nil {
								t.Fatalf("%s gormfilter.IsAllowed %s %s %d: %v", u, action, cname, id, err)
							}
							if ok {
								loaded = append(loaded, id)
							}
							if slices.Contains(page[i], action) {
								marked = append(marked, id)
							}
						}
						where := fmt.Sprintf("%s %s %s", u, action, cname)
						if want, ok := map[string][]int64{"Repository": readsRepos[u], "Issue": readsIssues[u], "Organization": readsOrgs[u]}[cname]; ok && action == "read" && !slices.Equal(norm(decided), norm(want)) {
							t.Errorf("%s: Authorize allows %v, want %v", where, decided, want)
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
			}
		})
	}
}

func idsOf[T any](rows []T, id func(T) int64) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}

func ptrs[T any](rows []T) []any {
	out := make([]any, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return out
}

func rowID(row any) int64 {
	switch r := row.(type) {
	case *Organization:
		return r.ID
	case *Repository:
		return r.ID
	case *Issue:
		return r.ID
	}
	panic(fmt.Sprintf("rowID(%T)", row))
}

// A repository whose org_id names no organization (possible where foreign
// keys are not enforced: SQLite without PRAGMA foreign_keys=ON, MySQL MyISAM,
// tables without constraints) is denied by every decision
// (repo.Org is nil, so has_relation(org, "parent", repo) finds no org), so
// the list must not return it either. The filter is right —
// `resource.Org != nil and resource.Org.ID = 99` — but the SQL compiled from
// it is `"repositories"."org_id" = 99`: the existence check of the related
// row is dropped, so the list is wider than the decisions. (sqlgen assumes
// referential integrity: sqlgen/compile.go reads repo.Org.ID as repo.org_id,
// a "virtual row"; the guide asks for agreement on any data.)
func TestDanglingForeignKeyAgreement(t *testing.T) {
	app := newApp(t, func(t *testing.T) *gorm.DB {
		db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard}) // foreign keys not enforced
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := db.DB()
		sqlDB.SetMaxOpenConns(1)
		t.Cleanup(func() { sqlDB.Close() })
		return db
	})
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
