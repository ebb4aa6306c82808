package gormfilter

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

// danglingAuth: repos whose creator is user 7 or 99, by key through the
// belongs-to relation (resource.Creator.ID in [7, 99]).
func danglingAuth() *fakeAuth {
	a := newFakeAuth()
	a.filters["Repo/read"] = func(*User) *partial.Filter {
		return or("Repo", and(&partial.In{L: res("Creator", "ID"), Values: []partial.Value{val(int64(7)), val(int64(99))}}))
	}
	return a
}

// TestDanglingForeignKeyDefault: a foreign key to a missing row (no FK
// constraint, or a deleted row) is a nil relation for the decision, so by
// default the filter checks that the row exists instead of trusting the key.
func TestDanglingForeignKeyDefault(t *testing.T) {
	db, rec := openSQLite(t, danglingAuth())
	if err := db.Exec("INSERT INTO repos (id, name, org_id, creator_id, archived) VALUES (6, 'orphan', 1, 99, false)").Error; err != nil {
		t.Fatal(err)
	}
	var rs []Repo
	if err := Authorized(db, alice, "read").Order("id").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	if got, want := repoIDs(rs), []uint{3, 5}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v (repo 6's creator 99 does not exist)\n%s", got, want, strings.Join(rec.stmts, "\n"))
	}
}

// TestEnforcedKeys: only with EnforcedKeys are belong-to and many-to-many
// keys trusted, never towards a soft-deleting model; Override can mark one
// relation.
func TestEnforcedKeys(t *testing.T) {
	db, _ := openDryRun(t, "postgres", nil)
	enforced := func(c *compiled) map[string]bool {
		out := map[string]bool{}
		for class, tb := range c.schema.Tables {
			for name, r := range tb.Relations {
				if r.Enforced {
					out[class+"."+name] = true
				}
			}
		}
		return out
	}
	if got := enforced(buildFor(t, db, &Repo{})); len(got) != 0 {
		t.Errorf("default: enforced %v, want none", got)
	}
	// Org and Membership soft-delete: Repo.Org and User.Org stay unmarked.
	got := enforced(buildFor(t, db, &Repo{}, EnforcedKeys()))
	want := map[string]bool{"Repo.Creator": true, "Repo.Collaborators": true, "Membership.User": true}
	if !maps.Equal(got, want) {
		t.Errorf("EnforcedKeys: enforced %v, want %v", got, want)
	}
	got = enforced(buildFor(t, db, &Repo{}, Override(&Repo{}, func(tb *sqlgen.Table) { tb.Relations["Org"].Enforced = true })))
	if !maps.Equal(got, map[string]bool{"Repo.Org": true}) {
		t.Errorf("Override: enforced %v", got)
	}
}

// TestEnforcedKeysSQL: the key shortcut with EnforcedKeys, the existence
// check without.
func TestEnforcedKeysSQL(t *testing.T) {
	for _, c := range []struct {
		opts []Option
		want string
	}{
		{nil, `"repos"."creator_id" = ANY(ARRAY(SELECT "users_1"."id" FROM "users" AS "users_1" WHERE "users_1"."id" IN ($1, $2)))`},
		{[]Option{EnforcedKeys()}, `"repos"."creator_id" IN ($1, $2)`},
	} {
		db, rec := openDryRun(t, "postgres", danglingAuth(), c.opts...)
		var rs []Repo
		if err := Authorized(db, alice, "read").Find(&rs).Error; err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rec.stmts, "\n"); !strings.Contains(got, c.want) {
			t.Errorf("options %d: got\n%s\nwant it to contain\n%s", len(c.opts), got, c.want)
		}
	}
}

// TestSchemaFor: the exported schema is the one gormfilter compiles against,
// for several roots, with New's options.
func TestSchemaFor(t *testing.T) {
	db, _ := openDryRun(t, "postgres", nil)
	s, err := SchemaFor(db, standardAuth(), []any{&Repo{}, &Folder{}}, EnforcedKeys())
	if err != nil {
		t.Fatal(err)
	}
	want := buildFor(t, db, &Repo{}, EnforcedKeys()).schema
	for class, tb := range want.Tables {
		if got := s.Tables[class]; !reflect.DeepEqual(got, tb) {
			t.Errorf("%s: SchemaFor %+v, gormfilter %+v", class, got, tb)
		}
	}
	if s.Tables["Folder"] == nil || !s.Tables["Folder"].Relations["Parent"].Enforced {
		t.Errorf("Folder (second model) missing or Parent not enforced: %+v", s.Tables["Folder"])
	}
	if _, err := SchemaFor(db, standardAuth(), nil); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("no models: %v", err)
	}
	if _, err := SchemaFor(db, newFakeAuth(), []any{&struct{ ID int }{}}); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("unregistered model: %v", err)
	}
}
