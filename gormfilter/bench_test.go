package gormfilter

import (
	"testing"

	"gorm.io/gorm"
)

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
