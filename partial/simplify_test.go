package partial

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func p(v string, fields ...string) Path { return Path{Var: v, Fields: fields} }
func val(v any) Value                   { return Value{V: v} }
func eq(l Operand, r Operand) *Compare  { return &Compare{Op: Eq, L: l, R: r} }
func br(cs ...Cond) Branch              { return Branch{Conds: cs} }
func flt(bs ...Branch) *Filter          { return &Filter{Type: "Repo", Branches: bs} }

var (
	tru = &Const{Value: true}
	fls = &Const{Value: false}
)

func TestSimplifyAndPrint(t *testing.T) {
	owner := eq(p("resource", "OwnerID"), val(int64(7)))
	public := eq(p("resource", "Public"), val(true))
	tests := []struct {
		name string
		in   *Filter
		want string
	}{
		{"deny", flt(), "false"},
		{"allow", flt(br()), "true"},
		{"and true dropped", flt(br(owner, tru)), "resource.OwnerID = 7"},
		{"false branch dropped", flt(br(owner, fls), br(public)), "resource.Public = true"},
		{"true branch is allow-all", flt(br(owner), br(tru)), "true"},
		{"all false is deny-all", flt(br(fls), br(owner, fls)), "false"},
		{"duplicate branches merged", flt(br(owner), br(public), br(owner)), "resource.OwnerID = 7 or resource.Public = true"},
		{"duplicate conds merged", flt(br(owner, owner, public)), "resource.OwnerID = 7 and resource.Public = true"},
		{"subsumed branch dropped", flt(br(owner, public), br(owner)), "resource.OwnerID = 7"},
		{"or of ands", flt(br(owner, public), br(eq(p("resource", "Org", "Name"), val("acme")))), `(resource.OwnerID = 7 and resource.Public = true) or resource.Org.Name = "acme"`},
		{"not eq is neq", flt(br(&Not{C: public})), "resource.Public != true"},
		{"not not", flt(br(&Not{C: &Not{C: &InSet{Path: p("resource"), Pred: "P"}}})), "resource in P"},
		{"not const", flt(br(&Not{C: fls}, owner)), "resource.OwnerID = 7"},
		{"in empty", flt(br(&In{L: p("resource", "OrgID")}), br(owner)), "resource.OwnerID = 7"},
		{"in one", flt(br(&In{L: p("resource", "OrgID"), Values: []Value{val(int64(1))}})), "resource.OrgID = 1"},
		{"in many", flt(br(&In{L: p("resource", "OrgID"), Values: []Value{val(int64(1)), val(int64(2))}})), "resource.OrgID in [1, 2]"},
		{"exists", flt(br(&Exists{Var: "m", Type: "Membership", Over: p("resource", "Memberships"),
			Cond: *flt(br(eq(p("m", "UserID"), val(int64(7))), eq(p("m", "Role"), val("admin")), tru))})),
			`exists m in resource.Memberships: (m.UserID = 7 and m.Role = "admin")`},
		{"exists deny", flt(br(&Exists{Var: "m", Over: p("resource", "Memberships"), Cond: *flt()}), br(owner)), "resource.OwnerID = 7"},
		{"exists any", flt(br(&Exists{Var: "m", Over: p("resource", "Memberships"), Cond: *flt(br(tru))})), "exists m in resource.Memberships"},
		{"notfilter single", flt(br(&NotFilter{F: *flt(br(owner))})), "resource.OwnerID != 7"},
		{"notfilter deny", flt(br(&NotFilter{F: *flt()})), "true"},
		{"notfilter allow", flt(br(&NotFilter{F: *flt(br())}), br(owner)), "resource.OwnerID = 7"},
		{"notfilter compound", flt(br(&NotFilter{F: *flt(br(owner, public), br(&Compare{Op: Lt, L: p("resource", "N"), R: val(3.5)}))})),
			"not ((resource.OwnerID = 7 and resource.Public = true) or resource.N < 3.5)"},
		{"path compare", flt(br(eq(p("resource", "OrgID"), p("resource", "Owner", "OrgID")))), "resource.OrgID = resource.Owner.OrgID"},
		{"values", flt(br(eq(p("resource", "A"), val(nil)), eq(p("resource", "B"), val("q\"x")), eq(p("resource", "C"), val(2.0)))), `resource.A = nil and resource.B = "q\"x" and resource.C = 2.0`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.Simplify().String()
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestSimplifyPreds(t *testing.T) {
	body := flt(br(eq(p("x", "OwnerID"), val(int64(7)))), br(&InSet{Path: p("x", "Parent"), Pred: "can_read"}))
	f := &Filter{Type: "Folder", Branches: []Branch{br(&InSet{Path: p("resource"), Pred: "can_read"})},
		Preds: map[string]*Pred{
			"can_read": {Name: "can_read", Type: "Folder", Param: "x", Body: *body},
			"unused":   {Name: "unused", Type: "Folder", Param: "x", Body: *flt(br())},
		}}
	want := "resource in can_read\nwhere can_read(x: Folder) := x.OwnerID = 7 or x.Parent in can_read"
	if got := f.Simplify().String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A predicate with no base case is empty: its InSet is false.
	f.Preds["can_read"].Body = *flt(br(&InSet{Path: p("x", "Parent"), Pred: "can_read"}, eq(p("x", "A"), val(int64(1)))), br(fls))
	if got := f.Simplify().String(); got != "false" {
		t.Errorf("pred without base case: got %s", got)
	}
	f.Preds["can_read"].Body = *flt(br(fls))
	if got := f.Simplify().String(); got != "false" {
		t.Errorf("empty pred: got %s", got)
	}
}

// gitclubRaw is the raw filter the evaluator hands to Simplify for "read" on
// bench's gitclub policy (bench's stage=eval-uncached): one condition
// repeated by pointer, three equalities on one path to merge.
func gitclubRaw() *Filter {
	orgNotNil := &Compare{Op: Neq, L: p("resource", "Org"), R: val(nil)}
	return &Filter{Type: "Repo", Branches: []Branch{
		br(eq(p("resource", "ID"), val(int64(6)))),
		br(eq(p("resource", "ID"), val(int64(11)))),
		br(orgNotNil, orgNotNil, eq(p("resource", "Org", "ID"), val(int64(2)))),
		br(eq(p("resource", "ID"), val(int64(1)))),
	}}
}

func TestSimplifyGitClubRaw(t *testing.T) {
	want := "resource.ID in [1, 6, 11] or (resource.Org != nil and resource.Org.ID = 2)"
	if got := gitclubRaw().Simplify().String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// BenchmarkSimplifyGitClub: Simplify of gitclubRaw with a key memo used the
// way an evaluator uses it (emptied, fresh arena, per run).
func BenchmarkSimplifyGitClub(b *testing.B) {
	f := gitclubRaw()
	km := newKeyMemo()
	b.ReportAllocs()
	for b.Loop() {
		km.reset()
		km.arena = make([]byte, 0, max(km.used, 64))
		km.used = 0
		if out := f.simplify(km); len(out.Branches) != 2 {
			b.Fatal(out)
		}
	}
}

// simpGen makes random filters for TestSimplifyAgreesWithReference: few
// paths and values, conditions often shared by pointer, so that branches
// repeat, subsume and merge (equalities into lists, exists into one).
type simpGen struct {
	r    *rand.Rand
	pool []Cond
}

func (g *simpGen) value() Value {
	switch g.r.IntN(8) {
	case 0:
		return val(nil)
	case 1:
		return val("x")
	case 2:
		return val(float64(g.r.IntN(3)))
	case 3:
		return val(true)
	}
	return val(int64(g.r.IntN(9)))
}

func (g *simpGen) cond(depth int, v string) Cond {
	if len(g.pool) > 0 && g.r.IntN(3) == 0 {
		if c := g.pool[g.r.IntN(len(g.pool))]; !mentionsOther(c, v) {
			return c
		}
	}
	field := []string{"A", "B", "C"}[g.r.IntN(3)]
	var c Cond
	switch k := g.r.IntN(20); {
	case k < 8:
		op := Eq
		switch g.r.IntN(6) {
		case 0:
			op = Neq
		case 1:
			op = Lt
		}
		c = &Compare{Op: op, L: p(v, field), R: g.value()}
	case k < 11:
		vs := make([]Value, g.r.IntN(6))
		for i := range vs {
			vs[i] = g.value()
		}
		c = &In{L: p(v, field), Values: vs}
	case k < 12:
		c = &Const{Value: g.r.IntN(4) != 0}
	case k < 14:
		c = &Not{C: g.cond(depth, v)}
	case k < 15 && depth > 0:
		c = &NotFilter{F: *g.filter(depth-1, v)}
	case k < 18 && depth > 0:
		x := []string{"m", "n"}[g.r.IntN(2)]
		c = &Exists{Var: x, Type: "M", Over: p(v, "Ms"), Cond: *g.filter(depth-1, x)}
	default:
		c = &InSet{Path: p(v, "Parent"), Pred: []string{"P", "Q"}[g.r.IntN(2)]}
	}
	g.pool = append(g.pool, c)
	return c
}

// mentionsOther reports whether c mentions a variable other than v.
func mentionsOther(c Cond, v string) bool {
	for _, o := range []string{"resource", "m", "n", "x"} {
		if o != v && mentions(c, o) {
			return true
		}
	}
	return false
}

func (g *simpGen) filter(depth int, v string) *Filter {
	f := &Filter{Type: "Repo"}
	for range g.r.IntN(8) {
		if g.r.IntN(3) == 0 {
			// A family of branches equal but for one condition, at some
			// position: merged many at a time.
			base := make([]Cond, g.r.IntN(3))
			for i := range base {
				base[i] = g.cond(depth, v)
			}
			at := g.r.IntN(len(base) + 1)
			for range 2 + g.r.IntN(6) {
				cs := append(append(append([]Cond(nil), base[:at]...), g.cond(depth, v)), base[at:]...)
				f.Branches = append(f.Branches, Branch{Conds: cs})
			}
			continue
		}
		cs := make([]Cond, g.r.IntN(5))
		if g.r.IntN(8) == 0 {
			cs = make([]Cond, 5+g.r.IntN(20))
		}
		for i := range cs {
			cs[i] = g.cond(depth, v)
		}
		f.Branches = append(f.Branches, Branch{Conds: cs})
	}
	return f
}

// TestSimplifyAgreesWithReference compares the simplifier with the reference
// one (simplify_ref_test.go) on random filters: the same text, whether the
// key memo and scratch memory are shared by many simplifications (as in an
// evaluator) or not; the input is not modified, and results stay unchanged by
// later simplifications (they share nothing with the scratch memory).
func TestSimplifyAgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	km := newKeyMemo()
	// kmc carves results (carveOutputs), reused every few filters with
	// poison: results made after a reuse must not show it.
	kmc := &keyMemo{}
	kmc.carveOutputs()
	defer func(was bool) { poisonSimpOut = was }(poisonSimpOut)
	poisonSimpOut = true
	type kept struct {
		f    *Filter
		text string
	}
	var earlier []kept
	n := 3000
	if testing.Short() {
		n = 500
	}
	for i := range n {
		g := &simpGen{r: r}
		f := g.filter(2, "resource")
		if r.IntN(4) == 0 {
			f.Preds = map[string]*Pred{}
			for _, name := range []string{"P", "Q"} {
				if r.IntN(3) != 0 {
					f.Preds[name] = &Pred{Name: name, Type: "Repo", Param: "x", Body: *g.filter(1, "x")}
				}
			}
		}
		in := f.String()
		if i%7 == 0 {
			km.reset()
			km.arena = make([]byte, 0, max(km.used, 64))
			km.used = 0
		}
		want := refSimplify(f).String()
		got := f.simplify(km)
		if got.String() != want {
			t.Fatalf("filter %s\n got  %s\n want %s", in, got, want)
		}
		if pub := f.Simplify().String(); pub != want {
			t.Fatalf("filter %s\n Simplify %s\n want     %s", in, pub, want)
		}
		// The evaluator's partial simplifications (no merging, no preds).
		rf := (&refSimplifier{}).filter(f)
		sf := (&simplifier{keys: km}).filter(f)
		if sf.String() != rf.String() {
			t.Fatalf("filter %s\n filter %s\n want   %s", in, sf, rf)
		}
		if i%5 == 0 {
			kmc.reuseOutputs()
			kmc.reset()
		}
		if c := f.simplify(kmc).String(); c != want {
			t.Fatalf("filter %s\n carved %s\n want   %s", in, c, want)
		}
		if c := (&simplifier{keys: kmc}).filter(f).String(); c != rf.String() {
			t.Fatalf("filter %s\n carved filter %s\n want          %s", in, c, rf)
		}
		if f.String() != in {
			t.Fatalf("input modified:\n was %s\n now %s", in, f)
		}
		earlier = append(earlier, kept{got, want}, kept{sf, rf.String()})
		if len(earlier) > 64 {
			for _, k := range earlier {
				if k.f.String() != k.text {
					t.Fatalf("an earlier result changed:\n was %s\n now %s", k.text, k.f)
				}
			}
			earlier = earlier[:0]
		}
	}
}

// TestSimplifyMergesAgain: a branch made by a merge merges again, with a
// branch before it (whose keys are compared with the merged ones) or after
// it, many times in place; compared with the reference simplifier.
func TestSimplifyMergesAgain(t *testing.T) {
	a := func(v int64) *Compare { return eq(p("resource", "A"), val(v)) }
	b := func(v int64) *Compare { return eq(p("resource", "B"), val(v)) }
	in := func(f string, vs ...int64) *In {
		x := &In{L: p("resource", f)}
		for _, v := range vs {
			x.Values = append(x.Values, val(v))
		}
		return x
	}
	tests := []struct {
		in   *Filter
		want string
	}{
		{flt(br(a(1), in("B", 1, 2)), br(a(2), b(1)), br(a(2), b(2))), "resource.A in [1, 2] and resource.B in [1, 2]"},
		{flt(br(a(2), b(1)), br(a(2), b(2)), br(a(1), in("B", 1, 2))), "resource.A in [1, 2] and resource.B in [1, 2]"},
		{flt(br(b(9)), br(b(8)), br(b(7)), br(b(6)), br(b(5)), br(b(4)), br(a(1)), br(b(3))), "resource.B in [3, 4, 5, 6, 7, 8, 9] or resource.A = 1"},
		{flt(br(a(1), b(1)), br(a(1), b(2)), br(a(2), b(1)), br(a(2), b(2))), "resource.A in [1, 2] and resource.B in [1, 2]"},
	}
	for _, tc := range tests {
		want := refSimplify(tc.in).String()
		if want != tc.want {
			t.Fatalf("reference: got %s, want %s", want, tc.want)
		}
		if got := tc.in.Simplify().String(); got != want {
			t.Errorf("%s:\n got  %s\n want %s", tc.in, got, want)
		}
	}
}

// TestSimplifyCarvedOutputs: results carved (carveOutputs) live in memory
// that reuseOutputs hands to later simplifications, and only then: without
// it, reset leaves results handed out alone.
func TestSimplifyCarvedOutputs(t *testing.T) {
	defer func(was bool) { poisonSimpOut = was }(poisonSimpOut)
	poisonSimpOut = true
	km := &keyMemo{}
	km.carveOutputs()
	want := "resource.ID in [1, 6, 11] or (resource.Org != nil and resource.Org.ID = 2)"
	kept := gitclubRaw().simplify(km)
	km.reset()
	kept2 := gitclubRaw().simplify(km)
	if kept.String() != want || kept2.String() != want {
		t.Fatalf("got %s, %s", kept, kept2)
	}
	km.reuseOutputs()
	km.reset()
	// kept2's memory is reused (poisoned): its owner must have copied it
	// out. kept's was dropped, not reused.
	if got := kept2.String(); !strings.Contains(got, "POISON") {
		t.Fatalf("a carved result was not in reused memory: %s", got)
	}
	if got := gitclubRaw().simplify(km).String(); got != want {
		t.Fatalf("after reuse: got %s", got)
	}
	if kept.String() != want {
		t.Fatalf("a result changed by reset: %s", kept)
	}
}

// recycleKeys readies km for the next simplification as release does for
// an evaluator whose filter was copied out: results, keys and arena reused.
func recycleKeys(km *keyMemo) {
	km.reuseOutputs()
	km.reset()
	km.arena = km.arena[:0]
	km.used = 0
}

// BenchmarkSimplifyGitClubCarved is BenchmarkSimplifyGitClub with results
// carved and their memory reused (carveOutputs, reuseOutputs), as an
// evaluator that copies its filter out may.
func BenchmarkSimplifyGitClubCarved(b *testing.B) {
	f := gitclubRaw()
	km := newKeyMemo()
	km.carveOutputs()
	b.ReportAllocs()
	for b.Loop() {
		recycleKeys(km)
		if out := f.simplify(km); len(out.Branches) != 2 {
			b.Fatal(out)
		}
	}
}

// BenchmarkSimplifyNegation: branches with one negation each (social's
// `p.Visibility = "public" and not blocked(p.Author, u)` shape).
func BenchmarkSimplifyNegation(b *testing.B) {
	blocked := &NotFilter{F: *flt(br(&Exists{Var: "b", Type: "Block", Over: p("resource", "Author", "Blocks"),
		Cond: *flt(br(eq(p("b", "UserID"), val(int64(7)))))}), br(eq(p("resource", "AuthorID"), val(int64(3)))))}
	f := &Filter{Type: "Post", Branches: []Branch{
		br(eq(p("resource", "Visibility"), val("public")), blocked),
		br(eq(p("resource", "Visibility"), val("friends")), blocked, eq(p("resource", "Author", "Friend"), val(true))),
		br(eq(p("resource", "AuthorID"), val(int64(7)))),
	}}
	km := newKeyMemo()
	km.carveOutputs()
	b.ReportAllocs()
	for b.Loop() {
		recycleKeys(km)
		if out := f.simplify(km); len(out.Branches) != 3 {
			b.Fatal(out)
		}
	}
}
