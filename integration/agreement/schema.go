// Package agreement checks filter ⇔ decision agreement on the fixture apps
// against real databases: for every fixture, dialect, actor, action and
// resource type, the rows gormfilter returns, the rows plain sqlgen SQL
// returns, and the rows IsAllowed accepts must be the same set.
//
// The test is agreement_test.go; run it with
//
//	go test ./integration/agreement -run Agreement -v [-seed=N] [-long]
//
// It needs DATABASE_URL and MYSQL_URL (see package dbtest); it logs the
// number of decisions compared per fixture and database and a summary line.
// A failure prints the actor, the rows in disagreement and the data reachable
// from them, the filter, both SQL statements and the policy, and then shrinks
// the data to a minimal set on which the same disagreement still happens
// (shrink_test.go). Actors are checked on several goroutines sharing one
// authorizer, so -race also checks concurrent use. Nothing is excused: every
// fixture (gitclub-dangling's foreign keys to missing rows included) must
// agree on every database.
//
// The sqlgen.Schema of a fixture is gormfilter's (gormfilter.SchemaFor), so
// one schema builder serves both paths. The plain-sqlgen path trusts no
// foreign key (the default); gormfilter runs with gormfilter.EnforcedKeys on
// the fixtures whose tables have foreign key constraints, so both SQL shapes
// (existence checks and key shortcuts) are compared with the decisions.
package agreement

import (
	"reflect"

	"github.com/ursa-authz/ursa/gormfilter"
	"github.com/ursa-authz/ursa/integration/fixtures"
	"github.com/ursa-authz/ursa/sqlgen"
	"gorm.io/gorm"
)

// Schema returns the sqlgen schema of every model of f that has an ID (pure
// join tables are reached through many-to-many relations), as gormfilter
// builds it with a's class names and opts.
func Schema(db *gorm.DB, a gormfilter.Authorizer, f *fixtures.Fixture, opts ...gormfilter.Option) (*sqlgen.Schema, error) {
	var models []any
	for _, m := range f.Models {
		t := reflect.TypeOf(m)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if _, ok := t.FieldByName("ID"); ok {
			models = append(models, m)
		}
	}
	return gormfilter.SchemaFor(db, a, models, opts...)
}

// gormOptions are the gormfilter options f's database allows: EnforcedKeys
// where its tables have foreign key constraints (fixtures.Migrate).
func gormOptions(f *fixtures.Fixture) []gormfilter.Option {
	if f.Dangling {
		return nil
	}
	return []gormfilter.Option{gormfilter.EnforcedKeys()}
}
