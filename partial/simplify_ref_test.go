package partial

// The simplifier as it was before it used scratch memory (at 2ad5198, keys
// printed with CondString, no memo): the reference that TestSimplifyAgreesWithReference
// compares the simplifier with.

import (
	"slices"
	"sort"
	"strings"
)

type refSimplifier struct {
	empty map[string]bool
	merge bool
}

func (s *refSimplifier) key(c Cond) string { return CondString(c) }

// simplify is Simplify sharing a memo of condition keys (the evaluator's).
func refSimplify(f *Filter) *Filter {
	if f == nil {
		return nil
	}
	var preds map[string]*Pred
	var empty map[string]bool
	if len(f.Preds) > 0 {
		empty = map[string]bool{}
	}
	// Simplify predicate bodies until the set of deny-all predicates is stable.
	for len(f.Preds) > 0 {
		preds = make(map[string]*Pred, len(f.Preds))
		changed := false
		for n, p := range f.Preds {
			s := &refSimplifier{empty: empty, merge: true}
			body := s.filter(&p.Body)
			preds[n] = &Pred{Name: p.Name, Type: p.Type, Param: p.Param, Body: *body}
			if body.IsDenyAll() && !empty[n] {
				empty[n] = true
				changed = true
			}
		}
		// A predicate none of whose branches can be derived without a
		// positive reference to a predicate not yet derivable (no base case)
		// has an empty least fixpoint.
		productive := map[string]bool{}
		for grew := true; grew; {
			grew = false
			for n, p := range preds {
				if productive[n] || empty[n] {
					continue
				}
				for _, br := range p.Body.Branches {
					if branchProductive(br, productive, empty) {
						productive[n] = true
						grew = true
						break
					}
				}
			}
		}
		for n := range preds {
			if !productive[n] && !empty[n] {
				empty[n] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	s := &refSimplifier{empty: empty, merge: true}
	out := s.filter(f)
	// Keep only the predicates reachable from the main filter.
	if len(preds) > 0 {
		used := map[string]bool{}
		var visit func(*Filter)
		visit = func(g *Filter) {
			WalkFilter(g, func(c Cond) {
				if in, ok := c.(*InSet); ok && !used[in.Pred] {
					used[in.Pred] = true
					if p := preds[in.Pred]; p != nil {
						visit(&p.Body)
					}
				}
			})
		}
		visit(out)
		for n := range used {
			if p := preds[n]; p != nil {
				if out.Preds == nil {
					out.Preds = map[string]*Pred{}
				}
				out.Preds[n] = p
			}
		}
	}
	return out
}

// filter simplifies an OR of ANDs (not its Preds).
func (s *refSimplifier) filter(f *Filter) *Filter {
	out := &Filter{Type: f.Type}
	if len(f.Branches) == 1 {
		// One branch (the inside of most Exists): no subsumption, no
		// merging; an unchanged branch keeps the input's slice.
		nb, ok := s.branch(f.Branches[0])
		switch {
		case !ok:
			return out
		case len(nb.Conds) == 0:
			return AllowAll(f.Type)
		case sameConds(nb.Conds, f.Branches[0].Conds):
			out.Branches = f.Branches
		default:
			out.Branches = []Branch{nb}
		}
		return out
	}
	type kb struct {
		keys   []string // condition keys, in order (a set: branch dedupes)
		sorted []string // the same, sorted
		br     Branch
	}
	var keptBuf [8]kb
	kept := keptBuf[:0]
	for _, br := range f.Branches {
		nb, ok := s.branch(br)
		if !ok {
			continue
		}
		if len(nb.Conds) == 0 {
			return AllowAll(f.Type)
		}
		kept = append(kept, kb{br: nb})
	}
	switch len(kept) {
	case 0:
		return out // deny-all (nil Branches)
	case 1:
		out.Branches = append(out.Branches, kept[0].br)
		return out
	}
	total := 0
	for i := range kept {
		total += len(kept[i].br.Conds)
	}
	all := make([]string, total) // every branch's keys, carved
	for i := range kept {
		nb := kept[i].br
		n := len(nb.Conds)
		keys := all[:n:n]
		all = all[n:]
		for j, c := range nb.Conds {
			keys[j] = s.key(c)
		}
		kept[i].keys, kept[i].sorted = keys, refSortedCopy(keys)
	}
	// Drop a branch whose condition set includes another's (equal sets: keep
	// the first).
	var dropBuf [8]bool
	drop := dropBuf[:0]
	if len(kept) <= len(dropBuf) {
		drop = dropBuf[:len(kept)]
	} else {
		drop = make([]bool, len(kept))
	}
	for i := range kept {
		for j := range kept {
			if i == j || drop[j] || drop[i] {
				continue
			}
			if sortedSubset(kept[j].sorted, kept[i].sorted) && (len(kept[j].keys) < len(kept[i].keys) || j < i) {
				drop[i] = true
			}
		}
	}
	out.Branches = make([]Branch, 0, len(kept))
	var keysBuf, sortedBuf [8][]string
	keys, sorted := keysBuf[:0], sortedBuf[:0]
	for i, k := range kept {
		if !drop[i] {
			out.Branches = append(out.Branches, k.br)
			keys = append(keys, k.keys)
			sorted = append(sorted, k.sorted)
		}
	}
	if s.merge && len(out.Branches) > 1 {
		out.Branches = s.mergeBranches(out.Branches, keys, sorted)
	}
	return out
}

// mergeBranches merges two branches that are equal except for one
// condition each, when those two conditions combine into one:
//   - p = a and p = b (or p in [...]) become p in [a, b, ...];
//   - exists x in P: A and exists y in P: B become exists x in P: (A or B[y:=x])
//     (some element satisfies A, or some satisfies B).
//
// The merged branch takes the place of the first; repeated until no pair
// merges.
//
// keys[i] are branch i's condition keys in order, sorted[i] the same sorted;
// mergeBranches owns (and modifies) both.
func (s *refSimplifier) mergeBranches(bs []Branch, keys, sorted [][]string) []Branch {
	// owned[i]: bs[i].Conds and keys[i] were copied by an earlier merge into
	// branch i, so a later merge into it rewrites them in place.
	var ownedBuf [8]bool
	owned := ownedBuf[:0]
	if len(bs) <= len(ownedBuf) {
		owned = ownedBuf[:len(bs)]
	} else {
		owned = make([]bool, len(bs))
	}
	for merged := true; merged; {
		merged = false
	outer:
		for i := 0; i < len(bs); i++ {
			for j := i + 1; j < len(bs); j++ {
				if len(bs[i].Conds) != len(bs[j].Conds) {
					continue
				}
				di, dj, ok := oneDiff(keys[i], keys[j], sorted[i], sorted[j])
				if !ok {
					continue
				}
				c, ok := s.combine(bs[i].Conds[di], bs[j].Conds[dj])
				if !ok {
					continue
				}
				if !owned[i] {
					bs[i] = Branch{Conds: append([]Cond(nil), bs[i].Conds...)}
					keys[i] = append([]string(nil), keys[i]...)
					owned[i] = true
				}
				bs[i].Conds[di] = c
				keys[i][di] = s.key(c)
				sorted[i] = refSortedCopy(keys[i])
				// In place: bs, keys, sorted and owned are this call's own.
				bs = append(bs[:j], bs[j+1:]...)
				keys = append(keys[:j], keys[j+1:]...)
				sorted = append(sorted[:j], sorted[j+1:]...)
				owned = append(owned[:j], owned[j+1:]...)
				merged = true
				break outer
			}
		}
	}
	return bs
}

// refSortedCopy returns a sorted: a itself when already sorted (key lists are
// never modified in place), else a sorted copy.
func refSortedCopy(a []string) []string {
	if slices.IsSorted(a) {
		return a
	}
	s := append(make([]string, 0, len(a)), a...)
	sort.Strings(s)
	return s
}

// combine returns one condition equivalent to `a or b`, if there is one.
func (s *refSimplifier) combine(a, b Cond) (Cond, bool) {
	switch x := a.(type) {
	case *Compare, *In:
		pa, va, ok1 := eqValues(a)
		pb, vb, ok2 := eqValues(b)
		if !ok1 || !ok2 || !samePath(pa, pb) {
			return nil, false
		}
		_ = x
		n := len(va) + len(vb)
		var in *In
		var vals []Value
		if n <= inlineInValues {
			// The In and its values in one allocation (the same capacity
			// as a separate slice: nothing appends past it).
			in, vals = &In{}, make([]Value, 0, n)
		} else {
			in, vals = &In{}, make([]Value, 0, n)
		}
		for _, v := range va {
			if !seenValue(vals, v) {
				vals = append(vals, v)
			}
		}
		for _, v := range vb {
			if !seenValue(vals, v) {
				vals = append(vals, v)
			}
		}
		sortValues(vals)
		in.L, in.Values = pa, vals
		return in, true
	case *Exists:
		y, ok := b.(*Exists)
		if !ok || !samePath(x.Over, y.Over) || x.Type != y.Type {
			return nil, false
		}
		f := Filter{Type: x.Cond.Type}
		f.Branches = append(f.Branches, x.Cond.Branches...)
		for _, br := range y.Cond.Branches {
			cs := make([]Cond, len(br.Conds))
			for i, c := range br.Conds {
				cs[i] = renameCond(c, y.Var, x.Var)
			}
			f.Branches = append(f.Branches, Branch{Conds: cs})
		}
		return &Exists{Var: x.Var, Type: x.Type, Over: x.Over, Cond: *s.filter(&f)}, true
	}
	return nil, false
}

// branch simplifies a conjunction; ok is false if it is always false.
func (s *refSimplifier) branch(br Branch) (Branch, bool) {
	// out.Conds is br.Conds (shared, never written) until a condition
	// changes; then a copy.
	out := Branch{Conds: br.Conds}
	copied := false
	for i, c := range br.Conds {
		nc, val, isConst := s.cond(c)
		if isConst {
			if !val {
				return Branch{}, false
			}
		}
		if !copied && (isConst || nc != c) {
			out.Conds = append(make([]Cond, 0, len(br.Conds)), br.Conds[:i]...)
			copied = true
		}
		if copied && !isConst {
			out.Conds = append(out.Conds, nc)
		}
	}
	if len(out.Conds) > 1 {
		var seen refKeySet
		j := 0
		for i, c := range out.Conds {
			k := s.key(c)
			if seen.has(k) {
				if !copied {
					out.Conds = append(make([]Cond, 0, len(out.Conds)), out.Conds[:i]...)
					copied = true
				}
				continue
			}
			seen.add(k)
			if copied {
				out.Conds = append(out.Conds[:j], c)
			}
			j++
		}
		out.Conds = out.Conds[:j]
		// A condition and its negation: always false (a = b and a != b;
		// p = nil and p != nil).
		for _, c := range out.Conds {
			if x, ok := c.(*Compare); ok && (x.Op == Eq || x.Op == Neq) {
				if seen.has(string(s.negatedKey(x))) {
					return Branch{}, false
				}
			}
		}
		out.Conds = s.dropWeakerNegations(out.Conds)
	}
	return out, true
}

// refKeySet is a set of condition keys: a slice scanned linearly while small
// (no allocation for a typical branch), a map beyond.
type refKeySet struct {
	buf [16]string
	n   int
	m   map[string]bool
}

func (ks *refKeySet) has(k string) bool {
	if ks.m != nil {
		return ks.m[k]
	}
	for _, x := range ks.buf[:ks.n] {
		if x == k {
			return true
		}
	}
	return false
}

func (ks *refKeySet) add(k string) {
	switch {
	case ks.m != nil:
		ks.m[k] = true
	case ks.n < len(ks.buf):
		ks.buf[ks.n] = k
		ks.n++
	default:
		ks.m = make(map[string]bool, 2*len(ks.buf))
		for _, x := range ks.buf {
			ks.m[x] = true
		}
		ks.m[k] = true
	}
}

// cond simplifies one condition. If it is constant, isConst is true and val
// is its value.
func (s *refSimplifier) cond(c Cond) (nc Cond, val, isConst bool) {
	switch x := c.(type) {
	case *Const:
		return nil, x.Value, true
	case *In:
		switch len(x.Values) {
		case 0:
			return nil, false, true
		case 1:
			return &Compare{Op: Eq, L: x.L, R: x.Values[0]}, false, false
		}
		return x, false, false
	case *Exists:
		cf := s.filter(&x.Cond)
		if cf.IsDenyAll() {
			return nil, false, true
		}
		if sameFilter(cf, &x.Cond) {
			return x, false, false // unchanged: keep the condition (and its key)
		}
		return &Exists{Var: x.Var, Type: x.Type, Over: x.Over, Cond: *cf}, false, false
	case *InSet:
		if s.empty[x.Pred] {
			return nil, false, true
		}
		return x, false, false
	case *Not:
		inner, v, k := s.cond(x.C)
		if k {
			return nil, !v, true
		}
		return negate(inner), false, false
	case *NotFilter:
		g := s.filter(&x.F)
		switch {
		case g.IsDenyAll():
			return nil, true, true
		case g.IsAllowAll():
			return nil, false, true
		case len(g.Branches) == 1 && len(g.Branches[0].Conds) == 1:
			return negate(g.Branches[0].Conds[0]), false, false
		}
		if sameFilter(g, &x.F) {
			return x, false, false
		}
		return &NotFilter{F: *g}, false, false
	}
	return c, false, false
}

// dropWeakerNegations drops `not A` when the same conjunction also has
// `not (A or B)`: the second implies the first.
func (s *refSimplifier) dropWeakerNegations(cs []Cond) []Cond {
	sets := make([]map[string]bool, len(cs))
	n := 0
	for i, c := range cs {
		switch x := c.(type) {
		case *Not:
			sets[i] = map[string]bool{s.key(x.C): true}
			n++
		case *NotFilter:
			m := make(map[string]bool, len(x.F.Branches))
			for _, br := range x.F.Branches {
				ks := make([]string, len(br.Conds))
				for j, bc := range br.Conds {
					ks[j] = s.key(bc)
				}
				sort.Strings(ks)
				m[strings.Join(ks, " and ")] = true
			}
			sets[i] = m
			n++
		}
	}
	if n < 2 {
		return cs
	}
	out := cs[:0:0]
	for i, c := range cs {
		weaker := false
		if sets[i] != nil {
			for j := range cs {
				if j == i || sets[j] == nil || len(sets[j]) < len(sets[i]) {
					continue
				}
				if len(sets[j]) == len(sets[i]) && j > i {
					continue // equal sets: keep the first
				}
				all := true
				for k := range sets[i] {
					if !sets[j][k] {
						all = false
						break
					}
				}
				if all {
					weaker = true
					break
				}
			}
		}
		if !weaker {
			out = append(out, c)
		}
	}
	return out
}

// negatedKey prints negate(x) for an = or != comparison into the scratch
// buffer (valid until the next key), without building the condition.
func (s *refSimplifier) negatedKey(x *Compare) []byte {
	op := Neq
	if x.Op == Neq {
		op = Eq
	}
	return appendCompare(nil, op, x.L, x.R)
}
