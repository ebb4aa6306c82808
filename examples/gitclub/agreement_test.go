package main

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/ursa-authz/ursa/gormfilter"
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
