package gormfilter_test

import (
	"context"
	"fmt"

	"github.com/glebarez/sqlite"
	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/gormfilter"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// A GORM app lists only the repositories a user may read, counts them with a
// scope, updates only those it may update, and asks which actions it has on
// each row of a page.
func Example() {
	// The policy: members of a repo's org read it, owners of the org also
	// update it, and anyone reads a public repo.
	authz, _ := ursa.New()
	for _, c := range []any{User{}, OrgMember{}, Org{}, Repo{}, RepoMember{}} {
		_ = authz.RegisterClass(c)
	}
	err := authz.LoadString("example.polar", `
		allow(user: User, "read", repo: Repo) if
			m in user.org_memberships and m.org_id = repo.org_id;
		allow(user: User, "update", repo: Repo) if
			m in user.org_memberships and m.org_id = repo.org_id and m.role = "owner";
		allow(_: User, "read", repo: Repo) if repo.public = true;
	`)
	if err != nil {
		fmt.Println(err)
		return
	}

	db, _ := gorm.Open(sqlite.Open("file:example?mode=memory&cache=shared"), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close() // drops the in-memory database
	_ = db.AutoMigrate(&User{}, &OrgMember{}, &Org{}, &Repo{}, &RepoMember{})
	db.Create([]Org{{ID: 1, Name: "acme"}, {ID: 2, Name: "beta"}})
	db.Create([]Repo{
		{ID: 1, Name: "anvil", OrgID: 1},
		{ID: 2, Name: "rocket", OrgID: 1},
		{ID: 3, Name: "secret", OrgID: 2},
		{ID: 4, Name: "docs", OrgID: 2, Public: true},
	})
	bob := &User{ID: 2, Name: "bob", OrgMemberships: []OrgMember{{OrgID: 1, Role: "owner"}}}

	// Once per *gorm.DB:
	_ = db.Use(gormfilter.New(authz))

	// List.
	var repos []Repo
	if err := gormfilter.Authorized(db, bob, "read").Order("name").Find(&repos).Error; err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range repos {
		fmt.Println("read:", r.Name)
	}

	// Count with a scope and other conditions.
	var n int64
	db.Model(&Repo{}).Scopes(gormfilter.Scope(bob, "read")).Where("public = ?", false).Count(&n)
	fmt.Println("private readable:", n)

	// Only permitted rows change.
	res := gormfilter.Authorized(db, bob, "update").Model(&Repo{}).Where("name <> ?", "").Update("name", "x")
	fmt.Println("updated:", res.RowsAffected)

	// Actions per row of a page, in one query.
	var page []Repo
	db.Order("id").Find(&page)
	actions, _ := gormfilter.AuthorizedActionsFor(db.WithContext(context.Background()), bob, page, "read", "update")
	for i, r := range page {
		fmt.Println(r.ID, r.Name, actions[i])
	}

	// Output:
	// read: anvil
	// read: docs
	// read: rocket
	// private readable: 2
	// updated: 2
	// 1 x [read update]
	// 2 x [read update]
	// 3 secret []
	// 4 docs [read]
}
