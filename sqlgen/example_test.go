package sqlgen_test

import (
	"fmt"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

// A schema from struct tags, and the condition for "public repos, or repos
// of an org where user 7 is a member". The repos.org_id foreign key is a
// constraint (enforced), so org_id is trusted without reading orgs.
func ExampleWhere() {
	type Membership struct {
		ID     int64 `db:"id,pk"`
		OrgID  int64 `db:"org_id"`
		UserID int64 `db:"user_id"`
	}
	type Org struct {
		ID          int64
		Memberships []Membership `db:",fk=org_id"`
	}
	type Repo struct {
		ID       int64
		OrgID    *int64
		Org      *Org `db:",enforced"`
		IsPublic bool
	}
	schema, err := sqlgen.FromStructs(map[string]any{"Repo": Repo{}, "Org": Org{}, "Membership": Membership{}})
	if err != nil {
		panic(err)
	}
	path := func(v string, fields ...string) partial.Path { return partial.Path{Var: v, Fields: fields} }
	f := &partial.Filter{Type: "Repo", Branches: []partial.Branch{
		{Conds: []partial.Cond{&partial.Compare{Op: partial.Eq, L: path("resource", "IsPublic"), R: partial.Value{V: true}}}},
		{Conds: []partial.Cond{&partial.Exists{Var: "m", Type: "Membership", Over: path("resource", "Org", "Memberships"),
			Cond: partial.Filter{Type: "Membership", Branches: []partial.Branch{{Conds: []partial.Cond{
				&partial.Compare{Op: partial.Eq, L: path("m", "UserID"), R: partial.Value{V: int64(7)}}}}}}}}},
	}}
	for _, d := range sqlgen.Dialects {
		sql, args, err := sqlgen.Where(f, schema, d)
		fmt.Println(d, sql, args, err)
	}
	sql, args, _ := sqlgen.Select(f, schema, sqlgen.Postgres, sqlgen.WithAlias("r"))
	fmt.Println(sql, args)
	// Output:
	// postgres "repos"."is_public" = ? OR "repos"."org_id" = ANY(ARRAY(SELECT "memberships_1"."org_id" FROM "memberships" AS "memberships_1" WHERE "memberships_1"."user_id" = ?)) [true 7] <nil>
	// mysql `repos`.`is_public` = ? OR `repos`.`org_id` IN (SELECT `memberships_1`.`org_id` FROM `memberships` AS `memberships_1` WHERE `memberships_1`.`user_id` = ?) [true 7] <nil>
	// sqlite "repos"."is_public" = ? OR "repos"."org_id" IN (SELECT "memberships_1"."org_id" FROM "memberships" AS "memberships_1" WHERE "memberships_1"."user_id" = ?) [true 7] <nil>
	// SELECT "r".* FROM "repos" AS "r" WHERE "r"."is_public" = $1 OR "r"."org_id" = ANY(ARRAY(SELECT "memberships_1"."org_id" FROM "memberships" AS "memberships_1" WHERE "memberships_1"."user_id" = $2)) [true 7]
}
