package sqlgen

import (
	"time"

	"github.com/ursa-authz/ursa/partial"
)

// gitclub is the schema of the golden tests: a GitClub-style app with orgs,
// repos, issues, roles in join tables, nested teams, a folder tree, a
// manager chain and clinic appointments.
func gitclub() *Schema {
	return &Schema{Tables: map[string]*Table{
		"User": {
			Type: "User", Name: "users", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name", "OrgID": "org_id", "ManagerID": "manager_id", "Blocked": "blocked"},
			Nullable: map[string]bool{"name": false, "org_id": true, "manager_id": true, "blocked": true},
			Relations: map[string]*Relation{
				"Manager": {Name: "Manager", Kind: BelongsTo, Target: "User", ForeignKey: []string{"manager_id"}, References: []string{"id"}},
				"Reports": {Name: "Reports", Kind: HasMany, Target: "User", ForeignKey: []string{"manager_id"}, References: []string{"id"}},
				"Org":     {Name: "Org", Kind: BelongsTo, Target: "Org", ForeignKey: []string{"org_id"}, References: []string{"id"}},
			},
		},
		"Org": {
			Type: "Org", Name: "orgs", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name", "BaseRepoRole": "base_repo_role"},
			Nullable: map[string]bool{"name": false, "base_repo_role": true},
			Relations: map[string]*Relation{
				"Memberships": {Name: "Memberships", Kind: HasMany, Target: "OrgRole", ForeignKey: []string{"org_id"}, References: []string{"id"}},
				"Repos":       {Name: "Repos", Kind: HasMany, Target: "Repo", ForeignKey: []string{"org_id"}, References: []string{"id"}},
			},
		},
		"OrgRole": { // composite primary key
			Type: "OrgRole", Name: "org_roles", PK: []string{"org_id", "user_id"},
			Fields:   map[string]string{"OrgID": "org_id", "UserID": "user_id", "Role": "role"},
			Nullable: map[string]bool{"role": false},
			Relations: map[string]*Relation{
				"Org":  {Name: "Org", Kind: BelongsTo, Target: "Org", ForeignKey: []string{"org_id"}, References: []string{"id"}},
				"User": {Name: "User", Kind: BelongsTo, Target: "User", ForeignKey: []string{"user_id"}, References: []string{"id"}},
			},
		},
		"Repo": {
			Type: "Repo", Name: "repos", PK: []string{"id"},
			Fields: map[string]string{"ID": "id", "Name": "name", "OrgID": "org_id", "CreatorID": "creator_id",
				"IsPublic": "is_public", "Archived": "archived"},
			Nullable: map[string]bool{"name": false, "org_id": true, "creator_id": true, "is_public": false, "archived": true},
			Relations: map[string]*Relation{
				"Org":     {Name: "Org", Kind: BelongsTo, Target: "Org", ForeignKey: []string{"org_id"}, References: []string{"id"}},
				"Creator": {Name: "Creator", Kind: BelongsTo, Target: "User", ForeignKey: []string{"creator_id"}, References: []string{"id"}},
				"Roles":   {Name: "Roles", Kind: HasMany, Target: "RepoRole", ForeignKey: []string{"repo_id"}, References: []string{"id"}},
				"Teams": {Name: "Teams", Kind: ManyToMany, Target: "Team", JoinTable: "repo_teams",
					References: []string{"id"}, JoinForeignKey: []string{"repo_id"}, JoinReferences: []string{"team_id"}, TargetReferences: []string{"id"}},
			},
		},
		"RepoRole": {
			Type: "RepoRole", Name: "repo_roles", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "RepoID": "repo_id", "UserID": "user_id", "Role": "role"},
			Nullable: map[string]bool{"repo_id": false, "user_id": false, "role": false},
			Relations: map[string]*Relation{
				"Repo": {Name: "Repo", Kind: BelongsTo, Target: "Repo", ForeignKey: []string{"repo_id"}, References: []string{"id"}},
			},
		},
		"Issue": {
			Type: "Issue", Name: "issues", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "RepoID": "repo_id", "CreatorID": "creator_id", "Closed": "closed"},
			Nullable: map[string]bool{"repo_id": false, "creator_id": true, "closed": false},
			Relations: map[string]*Relation{
				"Repo": {Name: "Repo", Kind: BelongsTo, Target: "Repo", ForeignKey: []string{"repo_id"}, References: []string{"id"}},
			},
		},
		"Team": {
			Type: "Team", Name: "teams", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name", "ParentID": "parent_id"},
			Nullable: map[string]bool{"name": false, "parent_id": true},
			Relations: map[string]*Relation{
				"Parent":   {Name: "Parent", Kind: BelongsTo, Target: "Team", ForeignKey: []string{"parent_id"}, References: []string{"id"}},
				"Children": {Name: "Children", Kind: HasMany, Target: "Team", ForeignKey: []string{"parent_id"}, References: []string{"id"}},
				"Members": {Name: "Members", Kind: ManyToMany, Target: "User", JoinTable: "team_members",
					References: []string{"id"}, JoinForeignKey: []string{"team_id"}, JoinReferences: []string{"user_id"}, TargetReferences: []string{"id"}},
			},
		},
		"Folder": {
			Type: "Folder", Name: "folders", PK: []string{"id"},
			Fields:   map[string]string{"ID": "id", "Name": "name", "OwnerID": "owner_id", "ParentID": "parent_id"},
			Nullable: map[string]bool{"name": false, "owner_id": true, "parent_id": true},
			Relations: map[string]*Relation{
				"Parent":   {Name: "Parent", Kind: BelongsTo, Target: "Folder", ForeignKey: []string{"parent_id"}, References: []string{"id"}},
				"Children": {Name: "Children", Kind: HasMany, Target: "Folder", ForeignKey: []string{"parent_id"}, References: []string{"id"}},
			},
		},
		"Appointment": {
			Type: "Appointment", Name: "appointments", PK: []string{"id"},
			Fields: map[string]string{"ID": "id", "ClinicID": "clinic_id", "DoctorID": "doctor_id",
				"StartsAt": "starts_at", "Length": "length_ns"},
			Nullable: map[string]bool{"clinic_id": false, "doctor_id": true, "starts_at": false, "length_ns": false},
		},
	}}
}

// enforced marks every relation of s Enforced (the key shortcuts).
func enforced(s *Schema) *Schema {
	for _, t := range s.Tables {
		for _, r := range t.Relations {
			r.Enforced = true
		}
	}
	return s
}

func P(v string, fields ...string) partial.Path { return partial.Path{Var: v, Fields: fields} }
func R(fields ...string) partial.Path           { return P(partial.RootVar, fields...) }
func V(v any) partial.Value                     { return partial.Value{V: v} }
func cmp(op partial.CmpOp, l, r partial.Operand) *partial.Compare {
	return &partial.Compare{Op: op, L: l, R: r}
}
func eq(l, r partial.Operand) *partial.Compare { return cmp(partial.Eq, l, r) }
func and_(cs ...partial.Cond) partial.Branch   { return partial.Branch{Conds: cs} }
func filter(typ string, bs ...partial.Branch) *partial.Filter {
	return &partial.Filter{Type: typ, Branches: bs}
}
func exists(v, typ string, over partial.Path, bs ...partial.Branch) *partial.Exists {
	return &partial.Exists{Var: v, Type: typ, Over: over, Cond: partial.Filter{Type: typ, Branches: bs}}
}
func in(p partial.Path, vs ...any) *partial.In {
	x := &partial.In{L: p}
	for _, v := range vs {
		x.Values = append(x.Values, V(v))
	}
	return x
}
func negate(c partial.Cond) *partial.Not { return &partial.Not{C: c} }

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// goldenCase is one policy's filter, as the partial evaluator would build it.
type goldenCase struct {
	name, doc string
	f         *partial.Filter
}

// goldenCases are the 11 policies of the partial-evaluation golden suite, plus
// edge cases of the SQL mapping. The actor is user 7.
func goldenCases() []goldenCase {
	// nested teams: member_of(t) :- 7 in t.members; member_of(t) :- member_of(t.parent)
	teamPred := &partial.Pred{Name: "member_of_team", Type: "Team", Param: "t",
		Body: partial.Filter{Type: "Team", Branches: []partial.Branch{
			and_(exists("u", "User", P("t", "Members"), and_(eq(P("u", "ID"), V(int64(7)))))),
			and_(&partial.InSet{Path: P("t", "Parent"), Pred: "member_of_team"}),
		}}}
	folderPred := &partial.Pred{Name: "can_read_folder", Type: "Folder", Param: "f",
		Body: partial.Filter{Type: "Folder", Branches: []partial.Branch{
			and_(eq(P("f", "OwnerID"), V(int64(7)))),
			and_(&partial.InSet{Path: P("f", "Parent"), Pred: "can_read_folder"}),
		}}}
	chainPred := &partial.Pred{Name: "reports_to", Type: "User", Param: "e",
		Body: partial.Filter{Type: "User", Branches: []partial.Branch{
			and_(eq(P("e", "ManagerID"), V(int64(7)))),
			and_(&partial.InSet{Path: P("e", "Manager"), Pred: "reports_to"}),
		}}}
	// a folder is visible if an ancestor is owned by 7 or a child is visible
	// (two recursive rules: the edges form)
	updownPred := &partial.Pred{Name: "visible", Type: "Folder", Param: "f",
		Body: partial.Filter{Type: "Folder", Branches: []partial.Branch{
			and_(eq(P("f", "OwnerID"), V(int64(7)))),
			and_(&partial.InSet{Path: P("f", "Parent"), Pred: "visible"}),
			and_(exists("c", "Folder", P("f", "Children"), and_(&partial.InSet{Path: P("c"), Pred: "visible"}, eq(P("c", "Name"), V("shared"))))),
		}}}

	withPreds := func(f *partial.Filter, ps ...*partial.Pred) *partial.Filter {
		f.Preds = map[string]*partial.Pred{}
		for _, p := range ps {
			f.Preds[p.Name] = p
		}
		return f
	}
	return []goldenCase{
		{"01_ownership_public", "allow(u, \"read\", r: Repo) if r.creator_id = u.id or r.is_public;",
			filter("Repo", and_(eq(R("CreatorID"), V(int64(7)))), and_(eq(R("IsPublic"), V(true))))},
		{"02_org_roles_join_table", "has_role(u, \"member\", o: Org) if m in o.memberships and m.user_id = u.id and m.role in [\"member\", \"owner\"];",
			filter("Org", and_(exists("m", "OrgRole", R("Memberships"), and_(eq(P("m", "UserID"), V(int64(7))), in(P("m", "Role"), "member", "owner")))))},
		{"03_repo_roles_from_org", "reader of a repo: a repo role, or owner of the repo's org",
			filter("Repo",
				and_(exists("rr", "RepoRole", R("Roles"), and_(eq(P("rr", "UserID"), V(int64(7))), eq(P("rr", "Role"), V("reader"))))),
				and_(exists("m", "OrgRole", R("Org", "Memberships"), and_(eq(P("m", "UserID"), V(int64(7))), eq(P("m", "Role"), V("owner"))))))},
		{"04_nested_teams", "a repo is readable by members of its teams and of their ancestor teams (recursive)",
			withPreds(filter("Repo", and_(exists("t", "Team", R("Teams"), and_(&partial.InSet{Path: P("t"), Pred: "member_of_team"})))), teamPred)},
		{"05_folder_tree", "a folder is readable by its owner and by the owner of any ancestor (recursive, self relation)",
			withPreds(filter("Folder", and_(&partial.InSet{Path: R(), Pred: "can_read_folder"})), folderPred)},
		{"06_manager_chain", "a user is visible to everyone up their manager chain (recursive, self relation)",
			withPreds(filter("User", and_(eq(R("ID"), V(int64(7)))), and_(&partial.InSet{Path: R(), Pred: "reports_to"})), chainPred)},
		{"07_clinic_window", "a doctor sees their appointments of the last 7 days, at most 2h long (time and duration args)",
			filter("Appointment", and_(eq(R("DoctorID"), V(int64(7))), cmp(partial.Geq, R("StartsAt"), V(now.Add(-7*24*time.Hour))),
				cmp(partial.Lt, R("StartsAt"), V(now)), cmp(partial.Leq, R("Length"), V(2*time.Hour))))},
		{"08_not_archived_not_blocked", "not r.archived and not r.creator.blocked (negation: NULL archived is allowed; a missing creator denies)",
			filter("Repo", and_(eq(R("OrgID"), V(int64(1))), negate(eq(R("Archived"), V(true))), negate(eq(R("Creator", "Blocked"), V(true)))))},
		{"09_actor_org_ids", "r.org_id in u.org_ids (a known list on the actor side)",
			filter("Repo", and_(in(R("OrgID"), int64(1), int64(2), int64(3))))},
		{"10_forall_known", "forall(o in u.blocked_orgs, r.org_id != o): expands to ANDs of null-safe !=",
			filter("Repo", and_(cmp(partial.Neq, R("OrgID"), V(int64(4))), cmp(partial.Neq, R("OrgID"), V(int64(5)))))},
		{"11_two_branches_same_table", "two branches read repo_roles through the issue's repo: independent subqueries, distinct aliases",
			filter("Issue",
				and_(exists("a", "RepoRole", R("Repo", "Roles"), and_(eq(P("a", "UserID"), V(int64(7))), eq(P("a", "Role"), V("maintainer"))))),
				and_(eq(R("Closed"), V(false)), exists("b", "RepoRole", R("Repo", "Roles"), and_(eq(P("b", "UserID"), V(int64(7))), eq(P("b", "Role"), V("reader"))))))},
		// edge cases of the mapping
		{"20_allow_all", "allow-all: no condition", partial.AllowAll("Repo")},
		{"21_deny_all", "deny-all: always false, never no condition", partial.DenyAll("Repo")},
		{"22_not_lt_null", "not (r.org_id < 5) holds for a NULL org_id",
			filter("Repo", and_(negate(cmp(partial.Lt, R("OrgID"), V(int64(5))))))},
		{"23_through_relation", "r.org.name = \"acme\" or r.creator.org.name = \"acme\" (to-one hops; a missing relation is false)",
			filter("Repo", and_(eq(R("Org", "Name"), V("acme"))), and_(eq(R("Creator", "Org", "Name"), V("acme"))))},
		{"24_not_through_relation", "not r.creator.org.name = \"acme\" (under not, a missing relation stays an error: scalar subquery)",
			filter("Repo", and_(negate(eq(R("Creator", "Org", "Name"), V("acme")))))},
		{"25_correlated", "exists m in r.org.memberships: m.user_id = r.creator_id (correlated: EXISTS)",
			filter("Repo", and_(exists("m", "OrgRole", R("Org", "Memberships"), and_(eq(P("m", "UserID"), R("CreatorID"))))))},
		{"26_objects_and_nil", "r.org = nil or (r.creator != nil and r.is_public) or r.creator = 7 (an object never equals a primitive)",
			filter("Repo", and_(eq(R("Org"), V(nil))), and_(eq(R("Creator"), V(int64(7)))), and_(cmp(partial.Neq, R("Creator"), V(nil)), eq(R("IsPublic"), V(true))))},
		{"27_in_with_nil", "r.creator_id in [7, nil]",
			filter("Repo", and_(in(R("CreatorID"), int64(7), nil)))},
		{"28_two_recursive_rules", "two recursive rules (down the tree and up from a shared child): one recursive term over edges",
			withPreds(filter("Folder", and_(&partial.InSet{Path: R(), Pred: "visible"})), updownPred)},
		{"29_not_filter", "not (r.is_public and r.org_id = 1 or r.archived)",
			filter("Repo", and_(&partial.NotFilter{F: partial.Filter{Type: "Repo", Branches: []partial.Branch{
				and_(eq(R("IsPublic"), V(true)), eq(R("OrgID"), V(int64(1)))), and_(eq(R("Archived"), V(true)))}}}))},
		{"30_composite_key_objects", "exists m in r.org.memberships: m = m (composite keys) and m.org.name != nil",
			filter("Repo", and_(exists("m", "OrgRole", R("Org", "Memberships"), and_(eq(P("m"), P("m")), cmp(partial.Neq, P("m", "Org", "Name"), V(nil))))))},
		{"31_key_through_relation", "r.org.id in [1, 99] (a key read through a belongs-to: the org row must exist unless the reference is enforced)",
			filter("Repo", and_(in(R("Org", "ID"), int64(1), int64(99))))},
		{"32_nil_two_hops", "i.repo.org = nil or i.repo.org.id = 2 (nil test on a belongs-to of a belongs-to)",
			filter("Issue", and_(eq(R("Repo", "Org"), V(nil))), and_(eq(R("Repo", "Org", "ID"), V(int64(2)))))},
		{"33_nil_guards", "r.org != nil and r.org.id = 1 (the read implies the guard: dropped) or r.creator != nil and not r.creator.blocked = true (kept)",
			filter("Repo", and_(cmp(partial.Neq, R("Org"), V(nil)), eq(R("Org", "ID"), V(int64(1)))),
				and_(cmp(partial.Neq, R("Creator"), V(nil)), negate(eq(R("Creator", "Blocked"), V(true)))))},
	}
}
