package gormfilter

import (
	"testing"

	"gorm.io/gorm"
)

// The pair measures what Authorized adds over the same hand-written Where
// (with the fake authorizer: plugin, schema cache, compilation and GORM
// plumbing, without partial evaluation; see the gormfilter_test pair for the
// real authorizer).

func BenchmarkFindAuthorizedFake(b *testing.B) {
	db, _ := openSQLite(b, standardAuth())
	var rs []Repo
	if err := Authorized(db, alice, "read").Find(&rs).Error; err != nil || len(rs) != 4 {
		b.Fatal(err, len(rs))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs = rs[:0]
		if err := Authorized(db, alice, "read").Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindHandWrittenFake(b *testing.B) {
	db, _ := openSQLite(b, standardAuth())
	var rs []Repo
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs = rs[:0]
		if err := db.Where(`"repos"."org_id" = ? OR "repos"."creator_id" = ?`, 3, 7).Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	}
}

// The DryRun pair isolates gormfilter's and sqlgen's CPU cost (no database,
// no partial evaluation: the fake authorizer returns a fixed filter).
func BenchmarkDryRunAuthorizedFake(b *testing.B) {
	db, _ := openDryRun(b, "sqlite", relationAuth())
	db = db.Session(&gorm.Session{DryRun: true})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var rs []Repo
		if err := Authorized(db, alice, "memberread").Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDryRunHandWrittenFake(b *testing.B) {
	db, _ := openDryRun(b, "sqlite", relationAuth())
	db = db.Session(&gorm.Session{DryRun: true})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var rs []Repo
		if err := db.Where(`"repos"."id" IN (SELECT "repo_id" FROM "memberships" WHERE "user_id" IN (SELECT "id" FROM "users" WHERE "name" = ?))`, "alice").Find(&rs).Error; err != nil {
			b.Fatal(err)
		}
	}
}
