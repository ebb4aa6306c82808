package gormfilter_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/gormfilter"
	"github.com/ursa-authz/ursa/gormfilter/internal/golden"
	"golang.org/x/tools/txtar"
	"gorm.io/gorm"
)

// dryRun opens a DryRun *gorm.DB of the dialect that never connects, with
// the plugin installed.
func dryRun(t *testing.T, dialect string, a gormfilter.Authorizer) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(golden.Dialector(dialect), golden.DryRunConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Use(gormfilter.New(a)); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestGoldenPolicySQL: the call forms with the real authorizer and
// the GitClub policy, on each dialect, as exact (SQL, args) pairs in
// testdata/policy_calls.txtar (go test ./gormfilter -run GoldenPolicy -update).
func TestGoldenPolicySQL(t *testing.T) {
	a := newAuthorizer(t)
	bob := &User{ID: 2, Name: "bob", OrgMemberships: []OrgMember{{UserID: 2, OrgID: 1, Role: "member"}}}
	forms := []struct {
		name string
		run  func(db *gorm.DB) *gorm.DB
	}{
		{"find", func(db *gorm.DB) *gorm.DB { return gormfilter.Authorized(db, bob, "read").Find(&[]Repo{}) }},
		{"first", func(db *gorm.DB) *gorm.DB { return gormfilter.Authorized(db, bob, "read").First(&Repo{}) }},
		{"take", func(db *gorm.DB) *gorm.DB { return gormfilter.Authorized(db, bob, "read").Take(&Repo{}) }},
		{"count_scope_where", func(db *gorm.DB) *gorm.DB {
			var n int64
			return db.Model(&Repo{}).Scopes(gormfilter.Scope(bob, "read")).Where("public = ?", false).Count(&n)
		}},
		{"pluck", func(db *gorm.DB) *gorm.DB {
			var names []string
			return gormfilter.Authorized(db, bob, "read").Model(&Repo{}).Pluck("name", &names)
		}},
		{"page_order", func(db *gorm.DB) *gorm.DB {
			return gormfilter.Authorized(db, bob, "read").Order("name").Limit(10).Offset(20).Find(&[]Repo{})
		}},
		{"where_before_and_after", func(db *gorm.DB) *gorm.DB {
			return gormfilter.Authorized(db.Where("name = ?", "a").Or("name = ?", "b"), bob, "read").Where("public = ?", false).Find(&[]Repo{})
		}},
		{"joins", func(db *gorm.DB) *gorm.DB { return gormfilter.Authorized(db, bob, "read").Joins("Org").Find(&[]Repo{}) }},
		{"session", func(db *gorm.DB) *gorm.DB {
			s := gormfilter.Authorized(db, bob, "read").Session(&gorm.Session{})
			s.Where("id = ?", 1).Find(&[]Repo{})
			return s.Where("id = ?", 2).Find(&[]Repo{})
		}},
		{"update", func(db *gorm.DB) *gorm.DB {
			return gormfilter.Authorized(db, bob, "update").Model(&Repo{}).Where("name = ?", "old").Update("name", "new")
		}},
		{"delete", func(db *gorm.DB) *gorm.DB {
			return gormfilter.Authorized(db, bob, "delete").Where("public = ?", true).Delete(&Repo{})
		}},
		{"recursive", func(db *gorm.DB) *gorm.DB { return gormfilter.Authorized(db, bob, "view").Find(&[]Folder{}) }},
		{"self_reference", func(db *gorm.DB) *gorm.DB { return gormfilter.Authorized(db, bob, "rename").Find(&[]Folder{}) }},
	}
	var files []txtar.File
	for _, f := range forms {
		for _, d := range []string{"postgres", "mysql", "sqlite"} {
			tx := f.run(dryRun(t, d, a))
			if tx.Error != nil {
				t.Errorf("%s/%s: %v", f.name, d, tx.Error)
				continue
			}
			var args []string
			for _, v := range tx.Statement.Vars {
				args = append(args, fmt.Sprintf("%T(%v)", v, v))
			}
			files = append(files, txtar.File{Name: f.name + "/" + d + ".sql",
				Data: []byte(tx.Statement.SQL.String() + "\n  args: [" + strings.Join(args, ", ") + "]\n")})
		}
	}
	golden.Check(t, "testdata/policy_calls.txtar", "Golden (SQL, args): call forms x dialects with the GitClub policy (ursa_test.go); regenerate with go test ./gormfilter -run GoldenPolicy -update\n", files)
}
