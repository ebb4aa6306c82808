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
// This file derives the sqlgen.Schema of a fixture from its GORM models,
// independently of gormfilter's own schema builder, so the plain-sqlgen path
// is a cross-check of it.
package agreement

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/ursa-authz/ursa/integration/fixtures"
	"github.com/ursa-authz/ursa/sqlgen"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

var schemaCache sync.Map

// Schema returns the sqlgen schema of every model of f that has an ID (Polar
// class = Go type name), with all belongs-to, has-one, has-many and
// many-to-many relations.
func Schema(db *gorm.DB, f *fixtures.Fixture) (*sqlgen.Schema, error) {
	s := &sqlgen.Schema{Tables: map[string]*sqlgen.Table{}}
	for _, m := range f.Models {
		gs, err := schema.Parse(m, &schemaCache, db.NamingStrategy)
		if err != nil {
			return nil, err
		}
		if gs.LookUpField("ID") == nil {
			continue // a pure join table, reached through a many-to-many relation
		}
		t := &sqlgen.Table{
			Type:      gs.Name,
			Name:      gs.Table,
			Fields:    map[string]string{},
			Nullable:  map[string]bool{},
			Relations: map[string]*sqlgen.Relation{},
		}
		for _, pk := range gs.PrimaryFields {
			t.PK = append(t.PK, pk.DBName)
		}
		for _, fl := range gs.Fields {
			if fl.DBName == "" {
				continue
			}
			t.Fields[fl.Name] = fl.DBName
			t.Nullable[fl.DBName] = fl.FieldType.Kind() == reflect.Pointer
		}
		for key, rel := range gs.Relationships.Relations {
			if strings.HasPrefix(key, "_") {
				continue // GORM's synthetic back-reference
			}
			r, err := relation(rel)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", gs.Name, rel.Name, err)
			}
			t.Relations[rel.Name] = r
		}
		s.Tables[t.Type] = t
	}
	return s, nil
}

func relation(rel *schema.Relationship) (*sqlgen.Relation, error) {
	r := &sqlgen.Relation{Name: rel.Name, Target: rel.FieldSchema.Name}
	switch rel.Type {
	case schema.BelongsTo:
		r.Kind = sqlgen.BelongsTo
	case schema.HasOne:
		r.Kind = sqlgen.HasOne
	case schema.HasMany:
		r.Kind = sqlgen.HasMany
	case schema.Many2Many:
		r.Kind = sqlgen.ManyToMany
		r.JoinTable = rel.JoinTable.Table
		for _, ref := range rel.References {
			if ref.OwnPrimaryKey {
				r.JoinForeignKey = append(r.JoinForeignKey, ref.ForeignKey.DBName)
				r.References = append(r.References, ref.PrimaryKey.DBName)
			} else {
				r.JoinReferences = append(r.JoinReferences, ref.ForeignKey.DBName)
				r.TargetReferences = append(r.TargetReferences, ref.PrimaryKey.DBName)
			}
		}
		return r, nil
	default:
		return nil, fmt.Errorf("unsupported relation type %v", rel.Type)
	}
	for _, ref := range rel.References {
		if ref.PrimaryValue != "" {
			return nil, fmt.Errorf("polymorphic relations are not supported")
		}
		r.ForeignKey = append(r.ForeignKey, ref.ForeignKey.DBName)
		r.References = append(r.References, ref.PrimaryKey.DBName)
	}
	return r, nil
}
