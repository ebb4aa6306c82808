package partial_test

import (
	"context"
	"testing"

	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/integration/dbtest"
	"github.com/ursa-authz/ursa/integration/fixtures"
	"github.com/ursa-authz/ursa/integration/fixtures/all"
	"github.com/ursa-authz/ursa/partial"
)

// TestFixturesMatchAgreesWithDecision runs the property test on the
// integration fixtures (GitClub, folders, HR, clinic, social): their policies
// and seeded data, loaded into one in-memory object graph through SQLite.
// Match on the filter must agree with IsAllowed on every row, actor and
// action; this separates the filter from its SQL translation.
func TestFixturesMatchAgreesWithDecision(t *testing.T) {
	ctx := context.Background()
	for _, f := range all.Fixtures() {
		t.Run(f.Name, func(t *testing.T) {
			db := dbtest.Open(t, "sqlite")
			if _, err := fixtures.Seed(db.Gorm, f, 1, 1); err != nil {
				t.Fatal(err)
			}
			w, err := fixtures.LoadWorld(db.Gorm, f)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := ursa.New()
			for _, c := range f.Classes {
				if err := a.RegisterClass(c); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.LoadString(f.PolicyFile, f.Policy); err != nil {
				t.Fatal(err)
			}
			p := a.Policy()
			bad := 0
			for _, c := range f.Checks {
				for _, action := range c.Actions {
					for _, actor := range f.Actors(w) {
						flt, err := a.Filter(ctx, actor, action, c.Class)
						if err != nil {
							t.Errorf("Filter(%s, %s): %v", action, c.Class, err)
							continue
						}
						for _, res := range w.Rows(c.Class) {
							want, derr := a.IsAllowed(ctx, actor, action, res)
							got, merr := partial.Match(p, flt, res)
							if derr != nil || merr != nil || got != want {
								bad++
								if bad <= 3 {
									t.Errorf("%s %s %d: decision %v (%v), match %v (%v)\nactor %+v\nfilter %s", action, c.Class, fixtures.ID(res), want, derr, got, merr, actor, flt)
								}
							}
						}
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d disagreements", bad)
			}
		})
	}
}
