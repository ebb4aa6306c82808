package gormfilter

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

func buildFor(t *testing.T, db *gorm.DB, model any, opts ...Option) *compiled {
	t.Helper()
	p := New(standardAuth(), opts...)
	gs, err := parse(db, model)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.compiledFor(gs)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSchemaFromGORM(t *testing.T) {
	db, _ := openDryRun(t, "postgres", nil)
	c := buildFor(t, db, &Repo{})
	if c.root != "Repo" {
		t.Errorf("root %q", c.root)
	}
	var tables []string
	for k := range c.schema.Tables {
		tables = append(tables, k)
	}
	sort.Strings(tables)
	// Reachable from Repo: Org (belongs-to, and back via has-many Repos),
	// User (creator, collaborators, membership user), Profile (User's has-one),
	// Membership (has-many).
	if want := []string{"Membership", "Org", "Profile", "Repo", "User"}; !reflect.DeepEqual(tables, want) {
		t.Errorf("tables %v, want %v", tables, want)
	}
	repo := c.schema.Tables["Repo"]
	if repo.Name != "repos" || !reflect.DeepEqual(repo.PK, []string{"id"}) || repo.Fields["CreatorID"] != "creator_id" {
		t.Errorf("repo table %+v", repo)
	}
	if repo.Nullable["creator_id"] != true || repo.Nullable["name"] != false || repo.Nullable["id"] != false {
		t.Errorf("nullable %v", repo.Nullable)
	}
	wantRel := map[string]sqlgen.Relation{
		"Org":         {Name: "Org", Kind: sqlgen.BelongsTo, Target: "Org", ForeignKey: []string{"org_id"}, References: []string{"id"}},
		"Creator":     {Name: "Creator", Kind: sqlgen.BelongsTo, Target: "User", ForeignKey: []string{"creator_id"}, References: []string{"id"}},
		"Memberships": {Name: "Memberships", Kind: sqlgen.HasMany, Target: "Membership", ForeignKey: []string{"repo_id"}, References: []string{"id"}},
		"Collaborators": {Name: "Collaborators", Kind: sqlgen.ManyToMany, Target: "User", JoinTable: "repo_collaborators",
			JoinForeignKey: []string{"repo_id"}, References: []string{"id"}, JoinReferences: []string{"user_id"}, TargetReferences: []string{"id"}},
	}
	for name, want := range wantRel {
		got := repo.Relations[name]
		if got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("relation %s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	if r := c.schema.Tables["User"].Relations["Profile"]; r == nil || r.Kind != sqlgen.HasOne || r.ForeignKey[0] != "user_id" {
		t.Errorf("has-one %+v", r)
	}

	// Self reference.
	f := buildFor(t, db, &Folder{})
	ft := f.schema.Tables["Folder"]
	if r := ft.Relations["Parent"]; r == nil || r.Kind != sqlgen.BelongsTo || r.Target != "Folder" || r.ForeignKey[0] != "parent_id" {
		t.Errorf("parent %+v", r)
	}
	if r := ft.Relations["Children"]; r == nil || r.Kind != sqlgen.HasMany || r.Target != "Folder" || r.ForeignKey[0] != "parent_id" {
		t.Errorf("children %+v", r)
	}

	// Embedded: anonymous gorm.Model promotes ID, DeletedAt; named Author
	// is prefixed and keyed "Author.Name". Org soft-deletes, so a path
	// through it also requires the org not to be deleted.
	pc := buildFor(t, db, &Post{})
	pt := pc.schema.Tables["Post"]
	if pt.Fields["ID"] != "id" || pt.Fields["DeletedAt"] != "deleted_at" || pt.Fields["Author.Name"] != "author_name" {
		t.Errorf("post fields %v", pt.Fields)
	}
	if r := pt.Relations["Org"]; r == nil || r.Kind != sqlgen.BelongsTo {
		t.Errorf("post org %+v", r)
	}
	got, err := pc.rewrite(or("Post", and(eq(res("Author", "Name"), val("x")), eq(res("Org", "Name"), val("y")))))
	if err != nil || got.String() != or("Post", and(eq(res("Author.Name"), val("x")), eq(res("Org", "Name"), val("y")), eq(res("Org", "DeletedAt"), val(nil)))).String() {
		t.Errorf("rewrite: %v %v", got, err)
	}

	// TableName() and the naming strategy.
	w := buildFor(t, db, &Widget{})
	if wt := w.schema.Tables["Widget"]; wt.Name != "app_widgets" || wt.PK[0] != "code" {
		t.Errorf("widget %+v", wt)
	}
	db2, _ := openDryRun(t, "sqlite", nil)
	db2.Config.NamingStrategy = schema.NamingStrategy{TablePrefix: "t_", SingularTable: true}
	if o := buildFor(t, db2, &Org{}).schema.Tables["Org"]; o.Name != "t_org" {
		t.Errorf("naming strategy: %q", o.Name)
	}

	// Override and WithClass.
	type Legacy struct {
		ID     uint
		TeamID uint
	}
	lc := buildFor(t, db, &Legacy{}, WithClass(Legacy{}, "Team"), Override(&Legacy{}, func(t *sqlgen.Table) {
		t.Relations["Owner"] = &sqlgen.Relation{Name: "Owner", Kind: sqlgen.BelongsTo, Target: "User", ForeignKey: []string{"team_id"}, References: []string{"id"}}
	}))
	if lt := lc.schema.Tables["Team"]; lt == nil || lt.Relations["Owner"] == nil || lt.Name != "legacies" {
		t.Errorf("override: %+v", lt)
	}
}

type Comment struct {
	ID        uint
	Body      string
	OwnerID   uint
	OwnerType string
}

type Article struct {
	ID       uint
	Comments []Comment `gorm:"polymorphic:Owner"`
}

func TestUnsupportedRelationFailsClosed(t *testing.T) {
	a := standardAuth()
	a.classes[reflect.TypeOf(Article{})] = "Article"
	a.classes[reflect.TypeOf(Comment{})] = "Comment"
	a.filters["Article/read"] = func(u *User) *partial.Filter {
		return or("Article", and(&partial.Exists{Var: "c", Type: "Comment", Over: res("Comments"),
			Cond: *or("Comment", and(eq(path("c", "Body"), val("ok"))))}))
	}
	db, rec := openDryRun(t, "postgres", a)
	var as []Article
	err := Authorized(db, alice, "read").Find(&as).Error
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "polymorphic") || len(rec.stmts) != 0 {
		t.Errorf("polymorphic: %v (%d statements)", err, len(rec.stmts))
	}
}
