package partial

import (
	"math/bits"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

// simp2Filter returns a random filter with every kind of node compactFilter
// copies (predicates too, sometimes).
func simp2Filter(r *rand.Rand) *Filter {
	g := &simpGen{r: r}
	f := g.filter(2, "resource")
	if r.IntN(3) == 0 {
		f.Preds = map[string]*Pred{"P": {Name: "P", Type: "Repo", Param: "x", Body: *g.filter(1, "x")}}
	}
	if r.IntN(4) == 0 {
		f.Branches = append(f.Branches, Branch{})
	}
	return f
}

// smash overwrites every slice element and struct the filter f holds (its
// input is then garbage), so that a copy sharing anything with it shows.
func smash(f *Filter) {
	junk := &InSet{Path: Path{Var: "SMASHED"}, Pred: "SMASHED"}
	var cond func(c Cond)
	var filter func(f *Filter)
	path := func(p *Path) {
		for i := range p.Fields {
			p.Fields[i] = "SMASHED"
		}
		p.Var = "SMASHED"
	}
	cond = func(c Cond) {
		switch x := c.(type) {
		case *Compare:
			if p, ok := x.L.(Path); ok {
				path(&p)
			}
			x.Op, x.L, x.R = Lt, junk.Path, Value{V: "SMASHED"}
		case *In:
			path(&x.L)
			for i := range x.Values {
				x.Values[i] = Value{V: "SMASHED"}
			}
		case *Exists:
			filter(&x.Cond)
			x.Var = "SMASHED"
			path(&x.Over)
		case *Not:
			cond(x.C)
			x.C = junk
		case *NotFilter:
			filter(&x.F)
		case *InSet:
			path(&x.Path)
			x.Pred = "SMASHED"
		case *Const:
			x.Value = !x.Value
		}
	}
	filter = func(f *Filter) {
		for _, br := range f.Branches {
			for j, c := range br.Conds {
				cond(c)
				br.Conds[j] = junk
			}
		}
		for _, p := range f.Preds {
			filter(&p.Body)
			p.Name = "SMASHED"
		}
		f.Type = "SMASHED"
	}
	filter(f)
}

// TestSimp2CompactBlockIsADeepCopy checks the one-block copy (blockLayout)
// against the copy with one allocation per kind: deeply equal filters,
// printing as the input, sharing nothing with it (the input smashed afterwards, and
// collections run, the copies print as before).
func TestSimp2CompactBlockIsADeepCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	type kept struct {
		f    *Filter
		text string
	}
	var all []kept
	blocks, rounded := 0, 0
	for i := range 600 {
		f := simp2Filter(r)
		text := f.String()
		var n nodeCounts
		if !n.filter(f) {
			t.Fatalf("filter %s: not countable", text)
		}
		sep := compactSeparately(f, &n)
		got, ok := compactFilter(f)
		if !ok {
			t.Fatalf("filter %s: not copied", text)
		}
		if got == f {
			t.Fatalf("filter %s: returned as is", text)
		}
		// The block copy (a layout made here: the cache may be full).
		rn := n.rounded()
		l := newLayout(&rn)
		var c filterCopier
		out := l.carve(&c)
		c.filter(out, f)
		if !reflect.DeepEqual(out, sep) {
			t.Fatalf("filter %s: block copy %s differs from the separate copy %s", text, out, sep)
		}
		// Every array carved to its end, but for the rounding.
		left := nodeCounts{len(c.branches), len(c.conds), len(c.compares), len(c.ins), len(c.values), len(c.paths), len(c.strs),
			len(c.exists), len(c.nots), len(c.notFilters), len(c.inSets), len(c.consts), len(c.preds)}
		for k, x := range left.kinds() {
			if x != rn.kinds()[k]-n.kinds()[k] {
				t.Fatalf("filter %s: block array %d has %d elements left, counts %+v rounded %+v", text, k, x, n, rn)
			}
		}
		if rn != n {
			rounded++
		}
		if cl := layoutFor(&n); cl != nil {
			blocks++
			if cl.n != rn || layoutFor(&n) != cl {
				t.Fatalf("layoutFor(%+v) = %+v, not the same rounded layout again", n, cl.n)
			}
		}
		// (Not deeply equal to f itself: an empty non-nil branch is copied
		// as nil conditions when the filter has no conditions at all.)
		if got.String() != text || sep.String() != text {
			t.Fatalf("filter %s: copy %s, separate copy %s", text, got, sep)
		}
		smash(f)
		if got.String() != text || sep.String() != text {
			t.Fatalf("copy shares memory with its input:\n was  %s\n now  %s\n sep  %s", text, got, sep)
		}
		all = append(all, kept{got, text})
		if i%150 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	for _, k := range all {
		if k.f.String() != k.text {
			t.Fatalf("copy changed after collections:\n was %s\n now %s", k.text, k.f)
		}
	}
	if blocks < 150 || rounded < 25 {
		t.Fatalf("only %d cached layouts used, %d rounded counts", blocks, rounded)
	}
}

func TestSimp2RoundCount(t *testing.T) {
	for c, want := range map[int]int{0: 0, 1: 1, 8: 8, 9: 9, 15: 15, 16: 16, 17: 18, 33: 36, 100: 104, 1000: 1024} {
		if got := roundCount(c); got != want {
			t.Errorf("roundCount(%d) = %d, want %d", c, got, want)
		}
	}
	for c := range 5000 {
		got := roundCount(c)
		if got < c || got-c > c/8 || got>>max(bits.Len(uint(got))-4, 0)<<max(bits.Len(uint(got))-4, 0) != got {
			t.Fatalf("roundCount(%d) = %d", c, got)
		}
	}
}
