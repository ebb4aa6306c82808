package gormfilter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/gormfilter"
	"github.com/ursa-authz/ursa/internal/benchcpu"
	"gorm.io/gorm"
)

// The benchmark pair of the issue: Authorized(...).Find against the same
// query with the same WHERE written by hand, on SQLite in memory, with the
// real authorizer and the GitClub policy (bob: member of acme; reads acme's
// repos, public repos and repos he has a role on). The difference is what
// gormfilter adds: the authorizer's filter (cached per actor by package
// partial), the compiled-SQL cache lookup, and the GORM plumbing.

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
	benchcpu.Loop(b, func() {
		rs = rs[:0]
		if err := gormfilter.Authorized(db, bob, "read").Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	})
}

// sameWhere returns the WHERE condition Authorized generates for bob, as
// text with `?` placeholders and its arguments: what a developer would type
// to write the same Where by hand.
func sameWhere(b *testing.B, db *gorm.DB, bob *User) (string, []any) {
	tx := gormfilter.Authorized(db.Session(&gorm.Session{DryRun: true}), bob, "read").Find(&[]Repo{})
	if tx.Error != nil {
		b.Fatal(tx.Error)
	}
	_, cond, ok := strings.Cut(tx.Statement.SQL.String(), " WHERE ")
	if !ok {
		b.Fatal("no WHERE")
	}
	return cond, tx.Statement.Vars
}

// BenchmarkFindHandWritten: the same WHERE, written by hand with db.Where.
func BenchmarkFindHandWritten(b *testing.B) {
	db, bob := benchDB(b)
	cond, args := sameWhere(b, db, bob)
	var rs []Repo
	if err := db.Where(cond, args...).Find(&rs).Error; err != nil || len(rs) != 2 {
		b.Fatal(err, len(rs))
	}
	benchcpu.Loop(b, func() {
		rs = rs[:0]
		if err := db.Where(cond, args...).Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkFindHandOptimized: the shortest WHERE a developer would write for
// bob's "read" (one subquery with role IN, no redundant NULL test). Its
// difference to BenchmarkFindHandWritten is the cost of the generated SQL's
// shape in SQLite (sqlgen's and partial's concern, not gormfilter's).
func BenchmarkFindHandOptimized(b *testing.B) {
	db, bob := benchDB(b)
	where := func(tx *gorm.DB) *gorm.DB {
		return tx.Where(`"repos"."org_id" = ? OR "repos"."public" = ? OR "repos"."id" IN (SELECT "repo_id" FROM "repo_members" WHERE "user_id" = ? AND "role" IN (?, ?))`,
			bob.OrgMemberships[0].OrgID, true, bob.ID, "reader", "admin")
	}
	var rs []Repo
	if err := where(db).Find(&rs).Error; err != nil || len(rs) != 2 {
		b.Fatal(err, len(rs))
	}
	benchcpu.Loop(b, func() {
		rs = rs[:0]
		if err := where(db).Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkAuthorizerFilter is the authorizer's filter alone (partial
// evaluation; cached per actor fingerprint by package partial).
func BenchmarkAuthorizerFilter(b *testing.B) {
	a := newAuthorizer(b)
	bob := &User{ID: 2, OrgMemberships: []OrgMember{{UserID: 2, OrgID: 1, Role: "member"}}}
	ctx := context.Background()
	benchcpu.Loop(b, func() {
		if _, err := a.Filter(ctx, bob, "read", "Repo"); err != nil {
			b.Fatal(err)
		}
	})
}

// The DryRun pair isolates the CPU gormfilter adds on the Go side (the
// database work is identical when the WHERE is the same): GORM builds the
// statement but does not run it.
func BenchmarkDryRunAuthorized(b *testing.B) {
	db, bob := benchDB(b)
	dry := db.Session(&gorm.Session{DryRun: true})
	benchcpu.Loop(b, func() {
		if err := gormfilter.Authorized(dry, bob, "read").Find(&[]Repo{}).Error; err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkDryRunHandWritten(b *testing.B) {
	db, bob := benchDB(b)
	cond, args := sameWhere(b, db, bob)
	dry := db.Session(&gorm.Session{DryRun: true})
	benchcpu.Loop(b, func() {
		if err := dry.Where(cond, args...).Find(&[]Repo{}).Error; err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkDryRunAuthorizedColdActor: a different actor every time, so
// neither partial's filter cache nor gormfilter's SQL cache hits (the first
// request of each user).
func BenchmarkDryRunAuthorizedColdActor(b *testing.B) {
	db, _ := benchDB(b)
	dry := db.Session(&gorm.Session{DryRun: true})
	i := 0
	benchcpu.Loop(b, func() {
		i++
		actor := &User{ID: uint(1000 + i), OrgMemberships: []OrgMember{{UserID: uint(1000 + i), OrgID: 1, Role: "member"}}}
		if err := gormfilter.Authorized(dry, actor, "read").Find(&[]Repo{}).Error; err != nil {
			b.Fatal(err)
		}
	})
}
