package agreement

import (
	"slices"
	"testing"

	"github.com/ursa-authz/ursa/integration/dbtest"
	"github.com/ursa-authz/ursa/integration/fixtures/all"
	"github.com/ursa-authz/ursa/integration/fixtures/gitclub"
	"github.com/ursa-authz/ursa/integration/fixtures/social"
	"github.com/ursa-authz/ursa/sqlgen"
)

func TestSchemaOfEveryFixture(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite)
	for _, f := range all.Fixtures() {
		s, err := Schema(db.Gorm, newAuthorizer(t, f), f)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for _, c := range f.Checks {
			if s.Tables[c.Class] == nil {
				t.Errorf("%s: no table for checked class %s", f.Name, c.Class)
			}
		}
		for name, tb := range s.Tables {
			for rn, r := range tb.Relations {
				if s.Tables[r.Target] == nil {
					t.Errorf("%s: %s.%s targets %s, which has no table", f.Name, name, rn, r.Target)
				}
			}
		}
	}
}

func TestSchemaRelations(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite)
	s, err := Schema(db.Gorm, newAuthorizer(t, gitclub.Fixture()), gitclub.Fixture())
	if err != nil {
		t.Fatal(err)
	}
	repo := s.Tables["Repository"]
	if repo.Name != "repositories" || len(repo.PK) != 1 || repo.PK[0] != "id" {
		t.Errorf("Repository table %q pk %v", repo.Name, repo.PK)
	}
	if !repo.Nullable["org_id"] || repo.Nullable["id"] { // gormfilter: nullable unless a primary key or NOT NULL
		t.Errorf("nullable: %v", repo.Nullable)
	}
	check := func(r *sqlgen.Relation, kind sqlgen.RelKind, target string, fk, ref []string) {
		t.Helper()
		if r == nil || r.Kind != kind || r.Target != target || !slices.Equal(r.ForeignKey, fk) || !slices.Equal(r.References, ref) {
			t.Errorf("relation %+v, want kind %v -> %s fk %v ref %v", r, kind, target, fk, ref)
		}
	}
	check(repo.Relations["Org"], sqlgen.BelongsTo, "Organization", []string{"org_id"}, []string{"id"})
	check(repo.Relations["Roles"], sqlgen.HasMany, "RepoRole", []string{"repo_id"}, []string{"id"})
	check(s.Tables["Team"].Relations["Parent"], sqlgen.BelongsTo, "Team", []string{"parent_id"}, []string{"id"})

	ss, err := Schema(db.Gorm, newAuthorizer(t, social.Fixture()), social.Fixture())
	if err != nil {
		t.Fatal(err)
	}
	tags := ss.Tables["Post"].Relations["Tags"]
	if tags == nil || tags.Kind != sqlgen.ManyToMany || tags.JoinTable != "post_tags" ||
		!slices.Equal(tags.JoinForeignKey, []string{"post_id"}) || !slices.Equal(tags.JoinReferences, []string{"tag_id"}) ||
		!slices.Equal(tags.References, []string{"id"}) || !slices.Equal(tags.TargetReferences, []string{"id"}) {
		t.Errorf("Post.Tags = %+v", tags)
	}
	if _, ok := ss.Tables["PostTag"]; ok {
		t.Error("join table PostTag should not be a class table")
	}
}
