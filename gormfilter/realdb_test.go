package gormfilter_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ursa-authz/ursa/gormfilter"
	"github.com/ursa-authz/ursa/integration/dbtest"
	"gorm.io/gorm"
)

// TestRealDatabases runs the call forms against real Postgres, MariaDB/MySQL
// and SQLite (servers from DATABASE_URL / MYSQL_URL; skipped without them,
// see integration/dbtest). The broad filter-vs-decision agreement suite over
// generated data lives in integration/agreement.
func TestRealDatabases(t *testing.T) {
	a := newAuthorizer(t)
	dbtest.All(t, func(t *testing.T, d *dbtest.DB) {
		db := d.Gorm
		seedDB(t, db, a)
		us := users(t, db)
		alice, bob, carol := us[0], us[1], us[2]
		ids := func(rs []Repo) []uint {
			var out []uint
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		var rs []Repo
		if err := gormfilter.Authorized(db, bob, "read").Order("id").Find(&rs).Error; err != nil || !slices.Equal(ids(rs), []uint{10, 11}) {
			t.Errorf("find: %v %v", ids(rs), err)
		}
		rs = nil
		if err := gormfilter.Authorized(db, carol, "read").Joins("Org").Preload("Memberships", gormfilter.Unfiltered).
			Order("repos.id").Limit(2).Offset(1).Find(&rs).Error; err != nil || !slices.Equal(ids(rs), []uint{20, 21}) {
			t.Errorf("joins+preload+page: %v %v", ids(rs), err)
		} else if rs[0].Org == nil || rs[0].Org.Name != "beta" || len(rs[0].Memberships) != 1 {
			t.Errorf("joins/preload not loaded: %+v", rs[0])
		}
		var n int64
		if err := db.Model(&Repo{}).Scopes(gormfilter.Scope(carol, "read")).Where("public = ?", false).Count(&n).Error; err != nil || n != 2 {
			t.Errorf("count: %d %v", n, err)
		}
		var names []string
		if err := gormfilter.Authorized(db.Where("name = ?", "secret").Or("name = ?", "anvil"), bob, "read").Model(&Repo{}).Pluck("name", &names).Error; err != nil || !slices.Equal(names, []string{"anvil"}) {
			t.Errorf("or + pluck: %v %v", names, err)
		}
		var fs []Folder
		if err := gormfilter.Authorized(db, alice, "view").Order("id").Find(&fs).Error; err != nil || len(fs) != 3 {
			t.Errorf("recursive: %d %v", len(fs), err)
		}

		// Writes in a transaction, rolled back.
		errRollback := errors.New("rollback")
		err := db.Transaction(func(tx *gorm.DB) error {
			res := gormfilter.Authorized(tx, carol, "update").Model(&Repo{}).Where("org_id = ?", 2).Update("name", "renamed")
			if res.Error != nil || res.RowsAffected != 1 {
				t.Errorf("update: %v %d", res.Error, res.RowsAffected)
			}
			// alice (acme owner) may delete anvil and rocket; only rocket is public.
			res = gormfilter.Authorized(tx, alice, "delete").Where("public = ?", true).Delete(&Repo{})
			if res.Error != nil || res.RowsAffected != 1 {
				t.Errorf("delete: %v %d", res.Error, res.RowsAffected)
			}
			// A recursive filter on the table being changed (MySQL forbids
			// a plain subquery on the target table).
			res = gormfilter.Authorized(tx, bob, "view").Model(&Folder{}).Where("name <> ?", "").Update("name", "seen")
			if res.Error != nil || res.RowsAffected != 2 {
				t.Errorf("recursive update: %v %d", res.Error, res.RowsAffected)
			}
			var seen []uint
			tx.Model(&Folder{}).Where("name = ?", "seen").Order("id").Pluck("id", &seen)
			if !slices.Equal(seen, []uint{2, 3}) {
				t.Errorf("folders changed: %v, want [2 3]", seen)
			}
			// A self reference without recursion: the children of bob's folders.
			res = gormfilter.Authorized(tx, bob, "rename").Model(&Folder{}).Where("id > ?", 0).Update("name", "renamed")
			if res.Error != nil || res.RowsAffected != 1 {
				t.Errorf("self-reference update: %v %d", res.Error, res.RowsAffected)
			}
			res = gormfilter.Authorized(tx, bob, "rename").Where("id > ?", 0).Delete(&Folder{})
			if res.Error != nil || res.RowsAffected != 1 {
				t.Errorf("self-reference delete: %v %d", res.Error, res.RowsAffected)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		var count int64
		db.Model(&Repo{}).Count(&count)
		if count != 4 {
			t.Errorf("rollback: %d repos", count)
		}
		// AuthorizedActionsFor, one query.
		var page []Repo
		db.Order("id").Find(&page)
		acts, err := gormfilter.AuthorizedActionsFor(db, carol, page, "read", "update", "delete")
		if err != nil || len(acts) != 4 || !slices.Equal(acts[3], []string{"read", "update", "delete"}) || acts[0] != nil || !slices.Equal(acts[2], []string{"read"}) {
			t.Errorf("actions: %v %v", acts, err)
		}
	})
}
