package main

import "gorm.io/gorm"

// Seed inserts the demo data into empty tables; it returns false, and
// changes nothing, when there are users already. The users:
//
//	alice  admin of acme
//	bob    member of acme
//	carol  admin of globex
//	dave   in no organization; maintainer of acme's anvil (an outside collaborator)
//
// acme has anvil and rocket (private) and website (public); globex has
// hypnodrone (private) and handbook (public). On empty tables the rows get
// the IDs 1, 2, ... in the order below (repositories 1-5, issues 1-6).
func Seed(db *gorm.DB) (bool, error) {
	var n int64
	if err := db.Model(&User{}).Count(&n).Error; err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	return true, db.Transaction(func(tx *gorm.DB) error {
		alice, bob, carol, dave := &User{Name: "alice"}, &User{Name: "bob"}, &User{Name: "carol"}, &User{Name: "dave"}
		acme, globex := &Organization{Name: "acme"}, &Organization{Name: "globex"}
		if err := create(tx, alice, bob, carol, dave, acme, globex); err != nil {
			return err
		}
		anvil := &Repository{Name: "anvil", OrgID: acme.ID}
		rocket := &Repository{Name: "rocket", OrgID: acme.ID}
		website := &Repository{Name: "website", OrgID: acme.ID, IsPublic: true}
		hypnodrone := &Repository{Name: "hypnodrone", OrgID: globex.ID}
		handbook := &Repository{Name: "handbook", OrgID: globex.ID, IsPublic: true}
		if err := create(tx, anvil, rocket, website, hypnodrone, handbook); err != nil {
			return err
		}
		return create(tx,
			&OrgRole{UserID: alice.ID, OrgID: acme.ID, Role: "admin"},
			&OrgRole{UserID: bob.ID, OrgID: acme.ID, Role: "member"},
			&OrgRole{UserID: carol.ID, OrgID: globex.ID, Role: "admin"},
			&RepoRole{UserID: dave.ID, RepoID: anvil.ID, Role: "maintainer"},
			&Issue{Title: "Anvil falls too slowly", RepoID: anvil.ID, CreatorID: bob.ID},
			&Issue{Title: "Paint the anvil black", RepoID: anvil.ID, CreatorID: dave.ID},
			&Issue{Title: "Rocket veers left", RepoID: rocket.ID, CreatorID: alice.ID},
			&Issue{Title: "Typo on the landing page", RepoID: website.ID, CreatorID: alice.ID},
			&Issue{Title: "Hypnodrone hums too loudly", RepoID: hypnodrone.ID, CreatorID: carol.ID},
			&Issue{Title: "Add a vacation policy", RepoID: handbook.ID, CreatorID: carol.ID},
		)
	})
}

// create inserts rows one by one, in order, setting their IDs.
func create(tx *gorm.DB, rows ...any) error {
	for _, r := range rows {
		if err := tx.Create(r).Error; err != nil {
			return err
		}
	}
	return nil
}
