package partial

import "slices"

// simpScratch is the scratch memory of simplifications, kept in their
// keyMemo: an evaluator's simplifications reuse it (within an evaluation and,
// the evaluator being pooled, across evaluations). Nothing handed to a caller
// points into it: filter copies its result out.
//
// It is used as a stack: a call of filter appends above what its callers
// hold and truncates back (release) before returning, so a nested filter (an
// exists, a negation, a merge of exists) never writes what an outer one
// holds. Branches refer to their conditions by offset, since appends may
// move the arrays.
type simpScratch struct {
	conds  []Cond    // conditions of the branches being simplified
	keys   []string  // their keys, parallel to conds ("" not computed yet)
	sorted []string  // sorted copies of key lists that are not sorted
	brs    []sbranch // the branches being simplified
	// ins are the In conditions combined by mergeBranches (scratch objects,
	// copied out by output): ins[:len] are in use by the simplifications in
	// progress (private: their keys are not memoised, a later merge into one
	// of them extends it in place), ins[len:cap] free for reuse.
	ins []*inWithValues
}

// sbranch is a simplified branch in the scratch memory.
type sbranch struct {
	src   []Cond // the input branch's conditions
	at, n int    // the simplified conditions: conds[at:at+n], keys[at:at+n]
	// sat: the sorted keys are sorted[sat:sat+n], or keys[at:at+n] if sat
	// is -1 (already sorted); satNone: not sorted yet (sortedOf sorts).
	sat   int
	same  bool // the conditions are src's, in order (output keeps src)
	drop  bool // subsumed by another branch
	dirty bool // a key ("") is left to compute (clean, sameKey)
}

// satNone is sbranch.sat for sorted keys not computed yet.
const satNone = -2

// scratchMark is the extent of the scratch memory held by a filter's
// callers.
type scratchMark struct{ conds, sorted, brs, ins int }

// scratch returns s's scratch memory (s.keys made if nil).
func (s *simplifier) scratch() *simpScratch {
	if s.keys == nil {
		s.keys = &keyMemo{}
	}
	return &s.keys.sc
}

func (sc *simpScratch) mark() scratchMark {
	return scratchMark{len(sc.conds), len(sc.sorted), len(sc.brs), len(sc.ins)}
}

// release truncates sc back to m. (The elements are cleared by reset.)
func (sc *simpScratch) release(m scratchMark) {
	sc.conds, sc.keys = sc.conds[:m.conds], sc.keys[:m.conds]
	sc.sorted, sc.brs, sc.ins = sc.sorted[:m.sorted], sc.brs[:m.brs], sc.ins[:m.ins]
}

// reset empties sc, dropping every reference it held (capacity kept).
func (sc *simpScratch) reset() {
	clear(sc.conds[:cap(sc.conds)])
	clear(sc.keys[:cap(sc.keys)])
	if cap(sc.sorted) > 0 {
		clear(sc.sorted[:cap(sc.sorted)])
	}
	// (A loop storing the one reference of a branch is cheaper than clear
	// for a few; for the conditions and keys, clear is.)
	bs := sc.brs[:cap(sc.brs)]
	for i := 0; i < len(bs); i++ {
		bs[i].src = nil
	}
	for _, x := range sc.ins[:cap(sc.ins)] {
		if x != nil {
			*x = inWithValues{}
		}
	}
	sc.release(scratchMark{})
}

func (sc *simpScratch) keysOf(b *sbranch) []string { return sc.keys[b.at : b.at+b.n] }

// sortedOf returns b's sorted keys (sorting them if sat is satNone).
func (sc *simpScratch) sortedOf(b *sbranch) []string {
	if b.sat == satNone {
		sc.sortKeys(b)
	}
	if b.sat < 0 {
		return sc.keysOf(b)
	}
	return sc.sorted[b.sat : b.sat+b.n]
}

// subset reports whether every key of a is a key of b.
func (sc *simpScratch) subset(a, b *sbranch) bool {
	if a.n > smallBranch || b.n > smallBranch {
		return sortedSubset(sc.sortedOf(a), sc.sortedOf(b))
	}
	kb := sc.keysOf(b)
	if a.n == 1 {
		k := sc.keys[a.at]
		for _, x := range kb {
			if x == k {
				return true
			}
		}
		return false
	}
outer:
	for _, k := range sc.keysOf(a) {
		for _, x := range kb {
			if x == k {
				continue outer
			}
		}
		return false
	}
	return true
}

// sortKeys sets b's sorted keys from its keys.
func (sc *simpScratch) sortKeys(b *sbranch) {
	ks := sc.keysOf(b)
	if slices.IsSorted(ks) {
		b.sat = -1
		return
	}
	b.sat = len(sc.sorted)
	sc.sorted = append(sc.sorted, ks...)
	slices.Sort(sc.sorted[b.sat:])
}

// private reports whether in is a scratch In of the simplification of mark
// m.
func (sc *simpScratch) private(in *In, m scratchMark) bool {
	for _, x := range sc.ins[m.ins:] {
		if &x.in == in {
			return true
		}
	}
	return false
}

// newIn returns an empty scratch In, in use until released.
func (sc *simpScratch) newIn() *inWithValues {
	n := len(sc.ins)
	if n < cap(sc.ins) {
		sc.ins = sc.ins[:n+1]
		if x := sc.ins[n]; x != nil {
			*x = inWithValues{}
			return x
		}
	} else {
		sc.ins = append(sc.ins, nil)
	}
	x := &inWithValues{}
	sc.ins[n] = x
	return x
}

// predMaps are simplify's maps for predicates, kept in the key memo and
// emptied for each use.
type predMaps struct {
	empty      map[string]bool    // deny-all predicates
	bodies     map[string]*Filter // simplified bodies (this round)
	productive map[string]bool    // see simplify
	used       map[string]bool    // reachable from the filter
}

// predScratch returns km's predicate maps, empty (also after a panic left
// them full).
func (km *keyMemo) predScratch() *predMaps {
	ps := &km.preds
	if ps.empty == nil {
		*ps = predMaps{empty: map[string]bool{}, bodies: map[string]*Filter{},
			productive: map[string]bool{}, used: map[string]bool{}}
	}
	ps.done()
	return ps
}

// done empties ps (no references kept).
func (ps *predMaps) done() {
	// (Emptied only if not empty: clear calls mapclear even then.)
	if len(ps.empty) > 0 {
		clear(ps.empty)
	}
	if len(ps.bodies) > 0 {
		clear(ps.bodies)
	}
	if len(ps.productive) > 0 {
		clear(ps.productive)
	}
	if len(ps.used) > 0 {
		clear(ps.used)
	}
}

// visit adds to ps.used the predicates g refers to (InSet), and those their
// bodies refer to, transitively.
func (ps *predMaps) visit(g *Filter) {
	WalkFilter(g, func(c Cond) {
		if in, ok := c.(*InSet); ok && !ps.used[in.Pred] {
			ps.used[in.Pred] = true
			if body := ps.bodies[in.Pred]; body != nil {
				ps.visit(body)
			}
		}
	})
}
