package sqlgen

import (
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type sOrg struct {
	ID      int64 `db:"id,pk"`
	Name    string
	Members []sMember `db:",rel=has_many,fk=org_id"`
	Repos   []*sRepo  `db:",fk=org_id"`
}

func (sOrg) TableName() string { return "orgs" }

type sMember struct {
	OrgID  int64  `db:"org_id,pk"`
	UserID int64  `db:"user_id,pk"`
	Role   string `db:"role"`
	Org    *sOrg  // belongs_to through OrgID
}

type sRepo struct {
	ID         int64
	Name       sql.NullString
	OrgID      *int64
	Org        *sOrg
	CreatorID  *int64
	Creator    *sUser   `db:",rel=belongs_to,fk=creator_id,enforced"`
	Teams      []*sTeam `db:",join=repo_teams,join_fk=repo_id,join_ref=team_id"`
	CreatedAt  time.Time
	Secret     string `db:"-"`
	Tags       []string
	unexported int
}

type sUser struct {
	ID        int64
	ManagerID *int64
	Manager   *sUser
	Reports   []sUser   `db:",fk=manager_id"`
	Profile   *sProfile // has_one: no ProfileID field
	Friends   []*sUser  `db:",join=friendships,join_fk=user_id,join_ref=friend_id"`
	Blocked   bool      `db:"blocked,null"`
}

type sProfile struct {
	ID      int64
	SUserID int64 `db:"s_user_id"`
	Bio     string
}

type sTeam struct {
	ID       int64
	ParentID *int64
	Parent   *sTeam
}

func TestFromStructs(t *testing.T) {
	s, err := FromStructs(map[string]any{"Org": sOrg{}, "Member": &sMember{}, "Repo": sRepo{}, "User": sUser{}, "Profile": sProfile{}, "Team": sTeam{}})
	if err != nil {
		t.Fatal(err)
	}
	repo := s.Tables["Repo"]
	if repo.Name != "s_repos" || !reflect.DeepEqual(repo.PK, []string{"id"}) {
		t.Errorf("repo table: %+v", repo)
	}
	wantFields := map[string]string{"ID": "id", "Name": "name", "OrgID": "org_id", "CreatorID": "creator_id", "CreatedAt": "created_at"}
	if !reflect.DeepEqual(repo.Fields, wantFields) {
		t.Errorf("repo fields %v", repo.Fields)
	}
	if !repo.Nullable["name"] || !repo.Nullable["org_id"] || repo.Nullable["created_at"] {
		t.Errorf("repo nullable %v", repo.Nullable)
	}
	rel := func(typ, name string) *Relation { return s.Tables[typ].Relations[name] }
	check := func(got *Relation, want Relation) {
		t.Helper()
		if got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("relation %s: got %+v\nwant %+v", want.Name, got, want)
		}
	}
	check(rel("Repo", "Org"), Relation{Name: "Org", Kind: BelongsTo, Target: "Org", ForeignKey: []string{"org_id"}, References: []string{"id"}})
	check(rel("Repo", "Creator"), Relation{Name: "Creator", Kind: BelongsTo, Target: "User", ForeignKey: []string{"creator_id"}, References: []string{"id"}, Enforced: true})
	check(rel("Repo", "Teams"), Relation{Name: "Teams", Kind: ManyToMany, Target: "Team", JoinTable: "repo_teams",
		References: []string{"id"}, JoinForeignKey: []string{"repo_id"}, JoinReferences: []string{"team_id"}, TargetReferences: []string{"id"}})
	check(rel("Org", "Members"), Relation{Name: "Members", Kind: HasMany, Target: "Member", ForeignKey: []string{"org_id"}, References: []string{"id"}})
	check(rel("Member", "Org"), Relation{Name: "Org", Kind: BelongsTo, Target: "Org", ForeignKey: []string{"org_id"}, References: []string{"id"}})
	check(rel("User", "Manager"), Relation{Name: "Manager", Kind: BelongsTo, Target: "User", ForeignKey: []string{"manager_id"}, References: []string{"id"}})
	check(rel("User", "Reports"), Relation{Name: "Reports", Kind: HasMany, Target: "User", ForeignKey: []string{"manager_id"}, References: []string{"id"}})
	check(rel("User", "Profile"), Relation{Name: "Profile", Kind: HasOne, Target: "Profile", ForeignKey: []string{"s_user_id"}, References: []string{"id"}})
	check(rel("Team", "Parent"), Relation{Name: "Parent", Kind: BelongsTo, Target: "Team", ForeignKey: []string{"parent_id"}, References: []string{"id"}})
	if m := s.Tables["Member"]; !reflect.DeepEqual(m.PK, []string{"org_id", "user_id"}) || m.Name != "s_members" {
		t.Errorf("member: %+v", m)
	}
	if u := s.Tables["User"]; !u.Nullable["blocked"] {
		t.Errorf("user nullable %v", u.Nullable)
	}
	// the schema compiles
	if _, _, err := Where(filter("Repo", and_(eq(R("Org", "Name"), V("acme")))), s, Postgres); err != nil {
		t.Error(err)
	}
}

func TestFromStructsErrors(t *testing.T) {
	type noKey struct{ Name string }
	type badRel struct {
		ID  int64
		Org *sOrg `db:",rel=owns"`
	}
	type selfM2M struct {
		ID      int64
		Friends []*selfM2M `db:",join=friends"`
	}
	type wrongShape struct {
		ID  int64
		Org *sOrg `db:",rel=has_many,fk=x"`
	}
	type unregistered struct {
		ID    int64
		Thing *struct{ A int } `db:",rel=belongs_to"`
	}
	cases := []struct {
		types map[string]any
		want  string
	}{
		{map[string]any{"X": 5}, "type X: int is not a struct"},
		{map[string]any{"A": sTeam{}, "B": &sTeam{}}, "is also registered as"},
		{map[string]any{"N": noKey{}}, "type N: no primary key"},
		{map[string]any{"B": badRel{}, "Org": sOrg{}, "Member": sMember{}, "Repo": sRepo{}, "User": sUser{}, "Profile": sProfile{}, "Team": sTeam{}}, `unknown rel="owns"`},
		{map[string]any{"S": selfM2M{}}, "a many-to-many from a type to itself needs join_fk and join_ref"},
		{map[string]any{"W": wrongShape{}, "Org": sOrg{}, "Member": sMember{}, "Repo": sRepo{}, "User": sUser{}, "Profile": sProfile{}, "Team": sTeam{}}, "rel=has_many does not fit a field of type *sqlgen.sOrg"},
		{map[string]any{"U": unregistered{}}, "is not a registered struct type"},
	}
	for _, c := range cases {
		_, err := FromStructs(c.types)
		if !errors.Is(err, ErrInvalidSchema) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want ...%s", reflect.ValueOf(c.types).MapKeys(), err, c.want)
		}
	}
	// untagged fields of unregistered struct types are neither relations nor
	// columns; a tagged relation to an unregistered type is an error
	type loose struct {
		ID    int64
		Owner *sUser
	}
	s, err := FromStructs(map[string]any{"L": loose{}})
	if err != nil || len(s.Tables["L"].Relations) != 0 || len(s.Tables["L"].Fields) != 1 {
		t.Errorf("loose: %+v %v", s, err)
	}
	if _, err := FromStructs(map[string]any{"Repo": sRepo{}}); err == nil || !strings.Contains(err.Error(), "field Creator: *sqlgen.sUser is not a registered struct type") {
		t.Errorf("lone repo: %v", err)
	}
	if got := plural("company") + plural("box") + plural("key") + plural("user"); got != "companiesboxeskeysusers" {
		t.Errorf("plural: %s", got)
	}
	if got := SnakeCase("HTTPServerID") + " " + SnakeCase("CreatorID") + " " + SnakeCase("ID"); got != "http_server_id creator_id id" {
		t.Errorf("snake: %s", got)
	}
}

// TestFromStructsEnforced: only a relation tagged enforced trusts its keys.
func TestFromStructsEnforced(t *testing.T) {
	s, err := FromStructs(map[string]any{"Org": sOrg{}, "Member": sMember{}, "Repo": sRepo{}, "User": sUser{}, "Team": sTeam{}})
	if err != nil {
		t.Fatal(err)
	}
	repo := s.Tables["Repo"]
	if !repo.Relations["Creator"].Enforced || repo.Relations["Org"].Enforced || repo.Relations["Teams"].Enforced {
		t.Errorf("Enforced: Creator %v (tagged), Org %v, Teams %v (untagged)",
			repo.Relations["Creator"].Enforced, repo.Relations["Org"].Enforced, repo.Relations["Teams"].Enforced)
	}
}
