package gormfilter_test

import (
	"context"
	"testing"

	"github.com/ursa-authz/ursa/gormfilter"
	"gorm.io/gorm"
)

// The benchmark pair of the issue: Authorized(...).Find against the same
// query with the WHERE written by hand, on SQLite in memory, with the real
// authorizer and the GitClub policy (bob: member of acme; reads acme's repos,
// public repos and repos he has a role on). The difference is gormfilter's
// overhead: the authorizer's filter, compilation, GORM plumbing, and the
// generated SQL's shape.

func benchDB(b *testing.B) (*gorm.DB, *User) {
	a := newAuthorizer(b)
	db := openDB(b, a)
	return db, users(b, db)[1]
}

func BenchmarkFindAuthorized(b *testing.B) {
	db, bob := benchDB(b)
	var rs []Repo
	if err := gormfilter.Authorized(db, bob, "read").Find(&rs).Error; err != nil || len(rs) != 2 {
		b.Fatal(err, len(rs))
	}
	reportCPU(b, func() {
		rs = rs[:0]
		if err := gormfilter.Authorized(db, bob, "read").Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	})
}

// handWhere is what a developer would write for bob's "read" by hand.
func handWhere(tx *gorm.DB, bob *User) *gorm.DB {
	return tx.Where(`"repos"."org_id" = ? OR "repos"."public" = ? OR "repos"."id" IN (SELECT "repo_id" FROM "repo_members" WHERE "user_id" = ? AND "role" IN (?, ?))`,
		bob.OrgMemberships[0].OrgID, true, bob.ID, "reader", "admin")
}

func BenchmarkFindHandWritten(b *testing.B) {
	db, bob := benchDB(b)
	var rs []Repo
	if err := handWhere(db, bob).Find(&rs).Error; err != nil || len(rs) != 2 {
		b.Fatal(err, len(rs))
	}
	reportCPU(b, func() {
		rs = rs[:0]
		if err := handWhere(db, bob).Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	})
}

// Breakdown of the difference between the pair above.

// BenchmarkFindGeneratedSQL runs the very SQL gormfilter generates, as raw
// SQL: its difference to BenchmarkFindHandWritten is the cost of the
// generated SQL's shape in the database.
func BenchmarkFindGeneratedSQL(b *testing.B) {
	db, bob := benchDB(b)
	var sqlText string
	var args []any
	_ = db.Callback().Query().After("gorm:query").Register("bench:capture", func(tx *gorm.DB) {
		sqlText, args = tx.Statement.SQL.String(), tx.Statement.Vars
	})
	var rs []Repo
	if err := gormfilter.Authorized(db, bob, "read").Find(&rs).Error; err != nil {
		b.Fatal(err)
	}
	_ = db.Callback().Query().Remove("bench:capture")
	reportCPU(b, func() {
		rs = rs[:0]
		if err := db.Raw(sqlText, args...).Scan(&rs).Error; err != nil || len(rs) != 2 {
			b.Fatal(err, len(rs))
		}
	})
}

// BenchmarkAuthorizerFilter is the authorizer's filter alone (partial
// evaluation; cached per actor fingerprint by package partial).
func BenchmarkAuthorizerFilter(b *testing.B) {
	a := newAuthorizer(b)
	bob := &User{ID: 2, OrgMemberships: []OrgMember{{UserID: 2, OrgID: 1, Role: "member"}}}
	ctx := context.Background()
	reportCPU(b, func() {
		if _, err := a.Filter(ctx, bob, "read", "Repo"); err != nil {
			b.Fatal(err)
		}
	})
}
