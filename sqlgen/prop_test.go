package sqlgen_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/integration/dbtest"
	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

// gen builds random filters over Repo from a small grammar: comparisons and
// lists over fields, to-one paths (possibly through missing relations),
// objects, negations, negated filters and exists over to-many relations,
// with values of the right kind and nil.
type gen struct {
	r *rand.Rand
	n int
}

type fieldKind int

const (
	kInt fieldKind = iota
	kBool
	kStr
	kObj
)

type genPath struct {
	p partial.Path
	k fieldKind
}

func (g *gen) value(k fieldKind) any {
	if g.r.IntN(5) == 0 {
		return nil
	}
	switch k {
	case kInt:
		return []int64{1, 2, 3, 5, 7, 8, 9, 11}[g.r.IntN(8)]
	case kBool:
		return g.r.IntN(2) == 0
	case kStr:
		return []string{"acme", "globex", "reader", "alice", "bob", "r10", "member", "owner"}[g.r.IntN(8)]
	}
	return nil
}

func repoPaths(v string) []genPath {
	p := func(k fieldKind, f ...string) genPath { return genPath{partial.Path{Var: v, Fields: f}, k} }
	return []genPath{
		p(kInt, "OrgID"), p(kInt, "CreatorID"), p(kBool, "IsPublic"), p(kBool, "Archived"), p(kStr, "Name"),
		p(kStr, "Org", "Name"), p(kStr, "Org", "BaseRepoRole"), p(kInt, "Org", "ID"), p(kBool, "Creator", "Blocked"),
		p(kStr, "Creator", "Org", "Name"), p(kStr, "Creator", "Manager", "Name"), p(kInt, "Creator", "ManagerID"),
		p(kObj, "Org"), p(kObj, "Creator"), p(kObj, "Creator", "Manager"),
	}
}

func elemPaths(v, typ string) []genPath {
	p := func(k fieldKind, f ...string) genPath { return genPath{partial.Path{Var: v, Fields: f}, k} }
	switch typ {
	case "RepoRole":
		return []genPath{p(kInt, "UserID"), p(kStr, "Role"), p(kInt, "RepoID")}
	case "OrgRole":
		return []genPath{p(kInt, "UserID"), p(kStr, "Role"), p(kStr, "User", "Name"), p(kBool, "User", "Blocked")}
	case "Team":
		return []genPath{p(kInt, "ID"), p(kStr, "Name"), p(kInt, "ParentID"), p(kStr, "Parent", "Name")}
	}
	return nil
}

func (g *gen) cond(paths []genPath, outer []genPath, depth int) partial.Cond {
	switch x := g.r.IntN(10); {
	case x < 4 || depth <= 0:
		gp := paths[g.r.IntN(len(paths))]
		ops := []partial.CmpOp{partial.Eq, partial.Neq}
		if gp.k == kInt || gp.k == kStr {
			ops = append(ops, partial.Lt, partial.Leq, partial.Gt, partial.Geq)
		}
		op := ops[g.r.IntN(len(ops))]
		if gp.k == kObj {
			return &partial.Compare{Op: op, L: gp.p, R: partial.Value{V: nil}}
		}
		if len(outer) > 0 && g.r.IntN(3) == 0 { // correlate with an outer path of the same kind
			for _, o := range outer {
				if o.k == gp.k {
					return &partial.Compare{Op: op, L: gp.p, R: o.p}
				}
			}
		}
		return &partial.Compare{Op: op, L: gp.p, R: partial.Value{V: g.value(gp.k)}}
	case x < 5:
		gp := paths[g.r.IntN(len(paths))]
		if gp.k == kObj {
			gp = paths[0]
		}
		in := &partial.In{L: gp.p}
		for i := g.r.IntN(3) + 1; i > 0; i-- {
			in.Values = append(in.Values, partial.Value{V: g.value(gp.k)})
		}
		return in
	case x < 7:
		return &partial.Not{C: g.cond(paths, outer, depth-1)}
	case x < 8:
		return &partial.NotFilter{F: *g.filter("Repo", paths, outer, depth-1)}
	default:
		if outer != nil { // one level of exists
			return g.cond(paths, outer, 0)
		}
		g.n++
		v := fmt.Sprintf("e%d", g.n)
		var over partial.Path
		var typ string
		switch g.r.IntN(3) {
		case 0:
			over, typ = partial.Path{Var: "resource", Fields: []string{"Roles"}}, "RepoRole"
		case 1:
			over, typ = partial.Path{Var: "resource", Fields: []string{"Org", "Memberships"}}, "OrgRole"
		default:
			over, typ = partial.Path{Var: "resource", Fields: []string{"Teams"}}, "Team"
		}
		return &partial.Exists{Var: v, Type: typ, Over: over, Cond: *g.filter(typ, elemPaths(v, typ), paths, depth-1)}
	}
}

func (g *gen) filter(typ string, paths, outer []genPath, depth int) *partial.Filter {
	f := &partial.Filter{Type: typ}
	for i := g.r.IntN(3) + 1; i > 0; i-- {
		var b partial.Branch
		for j := g.r.IntN(3) + 1; j > 0; j-- {
			b.Conds = append(b.Conds, g.cond(paths, outer, depth))
		}
		f.Branches = append(f.Branches, b)
	}
	return f
}

// TestRandomAgreement compiles random filters and compares the rows of each
// database with partial.Match on the same data (an error is a deny): NULL
// values, missing relations under negation, error order (`a or b` with a an
// error is an error), correlated and uncorrelated subqueries.
// URSA_SQLGEN_PROP=N sets the number of filters (default 400 on SQLite, a
// quarter of that on the servers).
func TestRandomAgreement(t *testing.T) { randomAgreement(t, newWorld(), sqlgen.GitClubSchema()) }

// TestRandomEnforcedAgreement: the same with every relation Enforced.
func TestRandomEnforcedAgreement(t *testing.T) {
	randomAgreement(t, newWorld(), sqlgen.Enforced(sqlgen.GitClubSchema()))
}

// TestRandomDanglingAgreement: the same over foreign keys to missing rows,
// with the default schema.
func TestRandomDanglingAgreement(t *testing.T) {
	randomAgreement(t, newDanglingWorld(), sqlgen.GitClubSchema())
}

func randomAgreement(t *testing.T, w *world, s *sqlgen.Schema) {
	n := 400
	if v := os.Getenv("URSA_SQLGEN_PROP"); v != "" {
		fmt.Sscan(v, &n)
	}
	p := matchPolicy(t)
	dbtest.All(t, func(t *testing.T, db *dbtest.DB) {
		d := dialectOf[db.Dialect]
		w.load(t, db.SQL, d)
		count := n
		if d != sqlgen.SQLite {
			count = n/4 + 1
		}
		g := &gen{r: rand.New(rand.NewPCG(1, uint64(d)))}
		fails := 0
		for i := 0; i < count && fails < 5; i++ {
			f := g.filter("Repo", repoPaths("resource"), nil, 3)
			want, _ := expected(t, p, w, f)
			q, args, err := sqlgen.Select(f, s, d)
			if err != nil {
				if strings.Contains(err.Error(), "unsupported") {
					continue
				}
				t.Fatalf("%v\n%s", err, f)
			}
			got := queryIDs(t, db.SQL, q, args)
			if !slices.Equal(got, want) {
				fails++
				t.Errorf("filter %d:\n%s\nrows %v, Match accepts %v\n%s\n%v", i, f, got, want, q, args)
			}
		}
	})
}
