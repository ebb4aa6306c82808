package gormfilter_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ursa-authz/ursa/gormfilter"
)

// TestConcurrentUse: one plugin and *gorm.DB used from many goroutines
// (schema cache, SQL cache, settings) gives every caller its own answer.
// Run with -race.
func TestConcurrentUse(t *testing.T) {
	a := newAuthorizer(t)
	db := openDB(t, a)
	us := users(t, db)
	want := map[string]string{}
	list := func(u *User, action string) (string, error) {
		var rs []Repo
		if err := gormfilter.Authorized(db, u, action).Order("id").Find(&rs).Error; err != nil {
			return "", err
		}
		var ids []uint
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		return fmt.Sprint(ids), nil
	}
	for _, u := range us {
		for _, action := range []string{"read", "update"} {
			w, err := list(u, action)
			if err != nil {
				t.Fatal(err)
			}
			want[u.Name+action] = w
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				u := us[(g+i)%len(us)]
				action := []string{"read", "update"}[i%2]
				got, err := list(u, action)
				if err != nil {
					errs <- err
					return
				}
				if got != want[u.Name+action] {
					errs <- fmt.Errorf("%s %s: %s, want %s", u.Name, action, got, want[u.Name+action])
					return
				}
				var r Repo
				db.First(&r, 10)
				if _, err := gormfilter.IsAllowed(db, u, action, &r); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
