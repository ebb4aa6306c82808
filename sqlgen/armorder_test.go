package sqlgen

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/partial"
)

// aliasNum matches the number of a generated alias ("repo_roles_1"): an
// arm compiled alone numbers its aliases from 1.
var aliasNum = regexp.MustCompile(`_[0-9]+(["` + "`" + `])`)

var dollar = regexp.MustCompile(`\$([0-9]+)`)

func normAliases(sql string) string { return aliasNum.ReplaceAllString(sql, "_N$1") }

// armOf compiles one branch alone, as Where writes it.
func armOf(t *testing.T, s *Schema, d Dialect, br partial.Branch, opts ...Option) (string, []any) {
	t.Helper()
	sql, args, err := Where(filter("Repo", br), s, d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return sql, args
}

// TestOrArmOrder: a plain OR writes its operands in three ranks: without a
// subquery, then key lookups (a to-one relation read by its primary key and
// tested against values by equality), then other subqueries, each rank in
// IR order; the bind arguments move with their operand, and Postgres
// placeholders are numbered in written order.
func TestOrArmOrder(t *testing.T) {
	// rank 2 on either schema: to-many relations, a recursive set, a to-one
	// relation read by another column
	roles := and_(exists("rr", "RepoRole", R("Roles"), and_(eq(P("rr", "UserID"), V(int64(7))))))
	teams := and_(exists("t", "Team", R("Teams"), and_(&partial.InSet{Path: P("t"), Pred: "member_of_team"})))
	orgName := and_(eq(R("Org", "Name"), V("acme")))
	// key lookups (rank 1) unless the key is enforced (then plain, rank 0)
	orgID := and_(in(R("Org", "ID"), int64(3), int64(4)))
	creatorID := and_(eq(R("Creator", "ID"), V(int64(9))))
	// a key tested by <>: rank 2 unless enforced (then plain)
	orgNot := and_(cmp(partial.Neq, R("Org", "ID"), V(int64(5))))
	creator := and_(eq(R("CreatorID"), V(int64(7))))
	public := and_(eq(R("IsPublic"), V(true)))
	f := filter("Repo", roles, orgID, creator, teams, orgName, creatorID, orgNot, public)
	f.Preds = map[string]*partial.Pred{"member_of_team": {Name: "member_of_team", Type: "Team", Param: "t",
		Body: partial.Filter{Type: "Team", Branches: []partial.Branch{
			and_(exists("u", "User", P("t", "Members"), and_(eq(P("u", "ID"), V(int64(7)))))),
			and_(&partial.InSet{Path: P("t", "Parent"), Pred: "member_of_team"}),
		}}}}
	for _, v := range []struct {
		name string
		s    *Schema
		want []partial.Branch // the written order
	}{
		{"untrusted", gitclub(), []partial.Branch{creator, public, orgID, creatorID, roles, teams, orgName, orgNot}},
		{"enforced", enforced(gitclub()), []partial.Branch{orgID, creator, creatorID, orgNot, public, roles, teams, orgName}},
	} {
		for _, d := range Dialects {
			t.Run(v.name+"/"+d.String(), func(t *testing.T) {
				got, args, err := Where(f, v.s, d)
				if err != nil {
					t.Fatal(err)
				}
				var arms []string
				var wantArgs []any
				for _, br := range v.want {
					one := filter("Repo", br)
					one.Preds = f.Preds
					sql, a, err := Where(one, v.s, d)
					if err != nil {
						t.Fatal(err)
					}
					arms = append(arms, sql)
					wantArgs = append(wantArgs, a...)
				}
				if want := strings.Join(arms, " OR "); normAliases(got) != normAliases(want) {
					t.Errorf("arms not in order (plain, key lookups, other subqueries, IR order within each):\n got %s\nwant %s", got, want)
				}
				if !reflect.DeepEqual(args, wantArgs) {
					t.Errorf("args %v, want %v (in the written order)", args, wantArgs)
				}
				// Select numbers the placeholders in text order: $1 is the
				// first written arm's first argument.
				sel, selArgs, err := Select(f, v.s, d)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(selArgs, wantArgs) {
					t.Errorf("Select args %v, want %v", selArgs, wantArgs)
				}
				if d == Postgres {
					var nums []string
					for _, m := range dollar.FindAllStringSubmatch(sel, -1) {
						nums = append(nums, m[1])
					}
					var want []string
					for i := range wantArgs {
						want = append(want, strconv.Itoa(i+1))
					}
					if !reflect.DeepEqual(nums, want) {
						t.Errorf("placeholders $%v, want $%v in text order:\n%s", nums, want, sel)
					}
				}
			})
		}
	}

	// An OR inside a branch (NotFilter) follows the same rule.
	t.Run("not_filter", func(t *testing.T) {
		s := gitclub()
		for _, d := range Dialects {
			got, args, err := Where(filter("Repo", and_(&partial.NotFilter{F: partial.Filter{Type: "Repo",
				Branches: []partial.Branch{roles, orgID, public}}})), s, d)
			if err != nil {
				t.Fatal(err)
			}
			p, pa := armOf(t, s, d, public)
			o, oa := armOf(t, s, d, orgID)
			r, ra := armOf(t, s, d, roles)
			// NOT COALESCE(...): the org_id test is NULL for a NULL org_id
			if want := "NOT COALESCE(" + p + " OR " + o + " OR " + r + ", FALSE)"; normAliases(got) != normAliases(want) {
				t.Errorf("%s:\n got %s\nwant %s", d, got, want)
			}
			if want := append(append(pa, oa...), ra...); !reflect.DeepEqual(args, want) {
				t.Errorf("%s: args %v, want %v", d, args, want)
			}
		}
	})
}

// TestOrArmOrderErrorsKept: with Options.NilErrors, an OR operand that may
// be an error and is followed by others stops the decision there, so its
// position carries meaning: it stays first, with its subquery, in the flat
// top-level form (looseOr: `k = ANY(...) OR (k IS NOT NULL AND b)`), in the
// exact form under a negation (joinStep: `CASE WHEN k IS NOT NULL THEN ...
// END OR (k IS NOT NULL AND b)`) and in the CASE form of an operand without
// guard columns. Without NilErrors the same filters are plain ORs and the
// plain operand goes first.
func TestOrArmOrderErrorsKept(t *testing.T) {
	public := and_(eq(R("IsPublic"), V(true)))
	for _, c := range []struct {
		name   string
		s      *Schema
		mayErr partial.Branch // reads through a to-one relation that may be missing
	}{
		{"guarded", enforced(gitclub()), and_(eq(R("Org", "Name"), V("acme")))},
		{"case", gitclub(), and_(eq(R("Creator", "Org", "Name"), V("acme")))},
	} {
		for _, d := range Dialects {
			col, err := d.QuoteIdent("is_public")
			if err != nil {
				t.Fatal(err)
			}
			col = "." + col + " = ?"
			for _, v := range []struct {
				name string
				f    *partial.Filter
			}{
				{"top", filter("Repo", c.mayErr, public)},
				{"not", filter("Repo", and_(&partial.NotFilter{F: partial.Filter{Type: "Repo", Branches: []partial.Branch{c.mayErr, public}}}))},
			} {
				got, args, err := Where(v.f, c.s, d, WithNilErrors())
				if err != nil {
					t.Fatal(err)
				}
				if sub, pub := strings.Index(got, "(SELECT "), strings.Index(got, col); sub < 0 || pub < 0 || pub < sub {
					t.Errorf("%s/%s/%s: the error-capable operand must stay before the plain one:\n%s", c.name, d, v.name, got)
				}
				if len(args) != 2 || args[0] != "acme" || args[1] != true {
					t.Errorf("%s/%s/%s: args %v, want [acme true]", c.name, d, v.name, args)
				}
				plain, args, err := Where(v.f, c.s, d)
				if err != nil {
					t.Fatal(err)
				}
				if sub, pub := strings.Index(plain, "(SELECT "), strings.Index(plain, col); sub < 0 || pub < 0 || pub > sub {
					t.Errorf("%s/%s/%s: without NilErrors the plain operand goes first:\n%s", c.name, d, v.name, plain)
				}
				if len(args) != 2 || args[0] != true || args[1] != "acme" {
					t.Errorf("%s/%s/%s: args %v, want [true acme]", c.name, d, v.name, args)
				}
			}
		}
	}
}
