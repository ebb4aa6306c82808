package partial

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Tests of the simplifier's fast paths against the general ones they stand
// for.

// simp2Value returns a random value: mostly small integers or short
// strings (equal ones frequent), sometimes another kind.
func simp2Value(r *rand.Rand, kind int) Value {
	if kind < 0 {
		kind = r.IntN(6)
	}
	switch kind {
	case 0, 1:
		return val(int64(r.IntN(5) - 1))
	case 2, 3:
		return val([]string{"", "a", "b", "ab", "a b", `"q"`}[r.IntN(6)])
	case 4:
		return val([]any{nil, true, false, 1.5, float64(2)}[r.IntN(5)])
	}
	return val(int64(r.IntN(3)))
}

// valuesText prints vs with each value's Go type, and for values of equal
// text their positions in orig (stability is visible).
func valuesText(vs []Value) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%T:%s ", v.V, v)
	}
	return b.String()
}

func TestSimp2SortSmallValuesIsStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sorted := 0
	for range 20000 {
		n := r.IntN(11)
		kind := -1
		if r.IntN(4) != 0 {
			kind = r.IntN(4) // one kind (integers or strings), mostly
		}
		vs := make([]Value, n)
		for i := range vs {
			vs[i] = simp2Value(r, kind)
			if r.IntN(20) == 0 {
				vs[i] = simp2Value(r, -1)
			}
		}
		// Integers of equal value are told apart by a wrapper-free trick:
		// stability is checked on strings, whose equal values print alike
		// anyway; on integers the order of equal values cannot show.
		want := slices.Clone(vs)
		sortValuesStable(want)
		got := slices.Clone(vs)
		sortValues(got)
		if valuesText(got) != valuesText(want) {
			t.Fatalf("sortValues(%s) = %s, want %s", valuesText(vs), valuesText(got), valuesText(want))
		}
		if n <= 8 {
			before := slices.Clone(vs)
			if sortSmallValues(vs) {
				sorted++
				if valuesText(vs) != valuesText(want) {
					t.Fatalf("sortSmallValues(%s) = %s, want %s", valuesText(before), valuesText(vs), valuesText(want))
				}
			} else if valuesText(vs) != valuesText(before) {
				t.Fatalf("sortSmallValues(%s) declined but changed the list: %s", valuesText(before), valuesText(vs))
			}
		}
	}
	if sorted < 5000 {
		t.Fatalf("only %d lists sorted by the fast path", sorted)
	}
}

func TestSimp2SameTextIsTextEquality(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	same := 0
	for range 20000 {
		v, w := simp2Value(r, -1), simp2Value(r, -1)
		want := v.String() == w.String()
		if got := sameText(v, w); got != want {
			t.Fatalf("sameText(%T %s, %T %s) = %v, want %v", v.V, v, w.V, w, got, want)
		}
		if want {
			same++
		}
	}
	if same < 1000 {
		t.Fatalf("only %d equal pairs", same)
	}
}

// simp2Names are path variables and fields, some of which print like
// others joined (a dot or a space inside a name).
var simp2Names = []string{"resource", "m", "Org", "ID", "Org.ID", "resource.Org", "a b", "in", "ID in [1", "x"}

func simp2Path(r *rand.Rand) Path {
	pa := Path{Var: simp2Names[r.IntN(len(simp2Names))]}
	for range r.IntN(3) {
		pa.Fields = append(pa.Fields, simp2Names[r.IntN(len(simp2Names))])
	}
	return pa
}

// simp2Cond returns a random condition over odd paths: comparisons (with
// either operand a path or a value), Ins, and a few others.
func simp2Cond(r *rand.Rand) Cond {
	operand := func() Operand {
		if r.IntN(3) == 0 {
			return simp2Value(r, -1)
		}
		return simp2Path(r)
	}
	switch r.IntN(6) {
	case 0, 1:
		return &Compare{Op: CmpOp(r.IntN(8)), L: operand(), R: operand()}
	case 2, 3:
		vs := make([]Value, r.IntN(4))
		for i := range vs {
			vs[i] = simp2Value(r, -1)
		}
		return &In{L: simp2Path(r), Values: vs}
	case 4:
		return &InSet{Path: simp2Path(r), Pred: "P"}
	}
	return &Not{C: &Compare{Op: Eq, L: simp2Path(r), R: simp2Value(r, -1)}}
}

// refAppendCond prints c as appendCondVia did for comparisons before its
// fast path: every operand through appendOperand, the operator by String.
func refCondString(c Cond) string {
	if x, ok := c.(*Compare); ok {
		b := appendOperand(nil, x.L)
		b = append(b, ' ')
		b = append(b, x.Op.String()...)
		b = append(b, ' ')
		return string(appendOperand(b, x.R))
	}
	return CondString(c)
}

func TestSimp2CompareTextAndArenaKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	// A tiny arena: printing grows it often; keys made before must stay.
	km := &keyMemo{arena: make([]byte, 0, 8)}
	type made struct {
		k, want string
	}
	var all []made
	for i := range 5000 {
		c := simp2Cond(r)
		want := refCondString(c)
		if got := CondString(c); got != want {
			t.Fatalf("CondString = %q, want %q", got, want)
		}
		k := km.print(c)
		if k != want {
			t.Fatalf("keyMemo.print = %q, want %q", k, want)
		}
		all = append(all, made{k, want})
		if i%500 == 0 {
			km.arena = km.arena[:0:0]
			km.arena = make([]byte, 0, 1+r.IntN(64))
		}
	}
	for _, m := range all {
		if m.k != m.want {
			t.Fatalf("key changed after later keys: %q, want %q", m.k, m.want)
		}
	}
}

func TestSimp2KeyMayBeNeverRejectsItsText(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	rejected := 0
	for range 20000 {
		c := simp2Cond(r)
		k := CondString(simp2Cond(r))
		if !keyMayBe(c, CondString(c)) {
			t.Fatalf("keyMayBe(%s, its own text) = false", CondString(c))
		}
		if !keyMayBe(c, k) {
			rejected++
			if CondString(c) == k {
				t.Fatalf("keyMayBe(%s, %q) = false, but that is its text", CondString(c), k)
			}
		}
	}
	if rejected < 1000 {
		t.Fatalf("only %d rejections", rejected)
	}
}

// TestSimp2PairwiseKeysAgreeWithSorted compares oneDiffSmall and subset
// (pairwise comparison, keys printed when needed) with oneDiff and
// sortedSubset over sorted keys, on branches of the scratch memory whose
// keys are few and often equal, some left to print ("").
func TestSimp2PairwiseKeysAgreeWithSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var pool []Cond
	for range 6 {
		pool = append(pool, simp2Cond(r))
	}
	// Conditions printing alike but distinct (an In and its copy).
	in := &In{L: Path{Var: "resource", Fields: []string{"ID"}}, Values: []Value{val(int64(1)), val(int64(2))}}
	pool = append(pool, in, &In{L: in.L, Values: in.Values}, eq(in.L, val(int64(1))))
	oks, subsets := 0, 0
	for range 20000 {
		s := &simplifier{keys: &keyMemo{}}
		sc := s.scratch()
		mk := func(n int) sbranch {
			b := sbranch{at: len(sc.conds), n: n, sat: satNone}
			for range n {
				c := pool[r.IntN(len(pool))]
				k := CondString(c)
				if _, isIn := c.(*In); isIn && r.IntN(2) == 0 {
					k = "" // left to print
					b.dirty = true
				}
				sc.conds = append(sc.conds, c)
				sc.keys = append(sc.keys, k)
			}
			return b
		}
		n := 1 + r.IntN(smallBranch)
		bi, bj := mk(n), mk(n)
		if r.IntN(3) == 0 {
			bj = mk(1 + r.IntN(smallBranch))
		}
		full := func(b sbranch) []string {
			ks := make([]string, b.n)
			for i := range ks {
				ks[i] = CondString(sc.conds[b.at+i])
			}
			return ks
		}
		ki, kj := full(bi), full(bj)
		si, sj := slices.Sorted(slices.Values(ki)), slices.Sorted(slices.Values(kj))
		if bi.n == bj.n {
			wi, wj, wok := oneDiff(ki, kj, si, sj)
			gi, gj, gok := s.oneDiffSmall(&bi, &bj)
			if gok != wok || (wok && (gi != wi || gj != wj)) {
				t.Fatalf("oneDiffSmall(%q, %q) = %d, %d, %v; want %d, %d, %v", ki, kj, gi, gj, gok, wi, wj, wok)
			}
			if wok {
				oks++
			}
		}
		// subset compares printed keys only (as after branch).
		copy(sc.keys[bi.at:], ki)
		copy(sc.keys[bj.at:], kj)
		bi.dirty, bj.dirty = false, false
		if want := sortedSubset(sj, si); sc.subset(&bj, &bi) != want {
			t.Fatalf("subset(%q, %q) = %v, want %v", kj, ki, !want, want)
		} else if want {
			subsets++
		}
	}
	if oks < 500 || subsets < 500 {
		t.Fatalf("too few cases: %d one-condition differences, %d subsets", oks, subsets)
	}
}

// TestSimp2LargeBranchesAgreeWithReference runs the reference comparison on
// filters whose branches have more than smallBranch conditions (sorted
// keys), in families equal but for one condition (merged), mixed with small
// branches.
func TestSimp2LargeBranchesAgreeWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	km := newKeyMemo()
	merged := 0
	for i := range 1500 {
		g := &simpGen{r: r}
		f := &Filter{Type: "Repo"}
		for range 1 + r.IntN(3) {
			// Distinct conditions (a few random ones), then one that
			// varies: an equality on one path (merged), or random.
			base := make([]Cond, smallBranch-2+r.IntN(6))
			for i := range base {
				base[i] = eq(p("resource", fmt.Sprintf("F%d", i)), val(int64(r.IntN(3))))
				if r.IntN(8) == 0 {
					base[i] = g.cond(0, "resource")
				}
			}
			at := r.IntN(len(base) + 1)
			for range 2 + r.IntN(4) {
				var c Cond = eq(p("resource", "A"), g.value())
				if r.IntN(4) == 0 {
					c = g.cond(0, "resource")
				}
				cs := append(append(append([]Cond(nil), base[:at]...), c), base[at:]...)
				f.Branches = append(f.Branches, Branch{Conds: cs})
			}
		}
		for range r.IntN(3) {
			f.Branches = append(f.Branches, Branch{Conds: []Cond{g.cond(1, "resource")}})
		}
		if i%9 == 0 {
			km.reset()
		}
		want := refSimplify(f).String()
		if got := f.simplify(km).String(); got != want {
			t.Fatalf("filter %s\n got  %s\n want %s", f, got, want)
		}
		if got := f.Simplify().String(); got != want {
			t.Fatalf("filter %s\n Simplify %s\n want     %s", f, got, want)
		}
		if strings.Count(want, " in [") > strings.Count(f.String(), " in [") {
			merged++
		}
	}
	if merged < 200 {
		t.Fatalf("only %d filters with merged branches", merged)
	}
}

// simp2Clone returns a copy of c (a distinct condition with the same text).
func simp2Clone(c Cond) Cond {
	switch x := c.(type) {
	case *Compare:
		y := *x
		return &y
	case *In:
		return &In{L: x.L, Values: append([]Value(nil), x.Values...)}
	case *InSet:
		y := *x
		return &y
	case *Not:
		return &Not{C: simp2Clone(x.C)}
	}
	return c
}

// simp2Pool returns conditions over odd paths (names with dots and spaces,
// so that different paths may print alike), copies of some, and
// equalities that differ only in their value.
func simp2Pool(r *rand.Rand) []Cond {
	var pool []Cond
	for range 8 {
		c := simp2Cond(r)
		pool = append(pool, c, simp2Clone(c))
	}
	// Paths printing alike with different steps.
	for _, pa := range []Path{{Var: "resource.Org", Fields: []string{"ID"}}, {Var: "resource", Fields: []string{"Org", "ID"}}, {Var: "resource", Fields: []string{"Org.ID"}}} {
		for range 2 {
			pool = append(pool, eq(pa, simp2Value(r, r.IntN(2))), &Compare{Op: Neq, L: pa, R: simp2Value(r, r.IntN(2))})
		}
	}
	return pool
}

// TestSimp2OddPathsAgreeWithReference compares the simplifier with the
// reference on filters over odd paths (see simp2Pool): conditions with
// equal texts and different structures, or equal structures as different
// objects, deduplicated, contradicted, subsumed and merged.
func TestSimp2OddPathsAgreeWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	km := newKeyMemo()
	changed := 0
	for i := range 3000 {
		pool := simp2Pool(r)
		pick := func() Cond { return pool[r.IntN(len(pool))] }
		f := &Filter{Type: "Repo"}
		for range 1 + r.IntN(6) {
			cs := make([]Cond, r.IntN(4))
			if r.IntN(10) == 0 {
				cs = make([]Cond, smallBranch+r.IntN(4))
			}
			for j := range cs {
				cs[j] = pick()
			}
			f.Branches = append(f.Branches, Branch{Conds: cs})
			if r.IntN(2) == 0 && len(cs) > 0 {
				// A sibling differing in one condition.
				sib := append([]Cond(nil), cs...)
				sib[r.IntN(len(sib))] = pick()
				f.Branches = append(f.Branches, Branch{Conds: sib})
			}
		}
		if i%11 == 0 {
			km.reset()
		}
		want := refSimplify(f).String()
		if got := f.simplify(km).String(); got != want {
			t.Fatalf("filter %s\n got  %s\n want %s", f, got, want)
		}
		if got := (&simplifier{keys: km}).filter(f).String(); got != (&refSimplifier{}).filter(f).String() {
			t.Fatalf("filter %s\n filter %s", f, got)
		}
		if want != f.String() {
			changed++
		}
	}
	if changed < 1500 {
		t.Fatalf("only %d filters changed by simplification", changed)
	}
}

// TestSimp2SameCondIsEquality checks sameCond (interface words) against ==
// on conditions of every kind, the same and distinct but equal ones.
func TestSimp2SameCondIsEquality(t *testing.T) {
	pa := p("resource", "ID")
	conds := []Cond{
		eq(pa, val(int64(1))), eq(pa, val(int64(1))),
		&In{L: pa, Values: []Value{val(int64(1))}},
		&Exists{Var: "m", Over: pa, Cond: *flt(br())},
		&Not{C: tru}, &Not{C: tru},
		&NotFilter{F: *flt()},
		&InSet{Path: pa, Pred: "P"}, &InSet{Path: pa, Pred: "P"},
		tru, fls, &Const{Value: true},
	}
	for _, a := range conds {
		for _, b := range conds {
			if got, want := sameCond(a, b), a == b; got != want {
				t.Fatalf("sameCond(%s %p, %s %p) = %v, want %v", CondString(a), a, CondString(b), b, got, want)
			}
		}
	}
}

// TestSimp2MergeIntsIsAppendAndSort checks mergeInts against what combine
// does without it: append the values not seen, then sortValues.
func TestSimp2MergeIntsIsAppendAndSort(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	merged := 0
	for range 20000 {
		// vals: as combine leaves them (its own merge of a list).
		var vals []Value
		for range r.IntN(6) {
			v := simp2Value(r, r.IntN(2))
			if r.IntN(10) == 0 {
				v = simp2Value(r, -1)
			}
			if !seenValue(vals, v) {
				vals = append(vals, v)
			}
		}
		sortValues(vals)
		vs := make([]Value, r.IntN(4))
		for i := range vs {
			vs[i] = simp2Value(r, r.IntN(2))
			if r.IntN(10) == 0 {
				vs[i] = simp2Value(r, -1)
			}
		}
		want := slices.Clone(vals)
		for _, v := range vs {
			if !seenValue(want, v) {
				want = append(want, v)
			}
		}
		sortValues(want)
		before := valuesText(vals)
		got, ok := mergeInts(slices.Clone(vals), vs)
		if !ok {
			if valuesText(got) != before {
				t.Fatalf("mergeInts(%s, %s) declined but changed the list: %s", before, valuesText(vs), valuesText(got))
			}
			continue
		}
		merged++
		if valuesText(got) != valuesText(want) {
			t.Fatalf("mergeInts(%s, %s) = %s, want %s", before, valuesText(vs), valuesText(got), valuesText(want))
		}
	}
	if merged < 3000 {
		t.Fatalf("only %d lists merged", merged)
	}
}
