package partial

import (
	"cmp"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"unsafe"
)

// Simplify returns an equivalent filter with constants folded away:
//   - `true` conditions are dropped from branches, a branch holding `false` is
//     dropped, and a condition repeated within a branch is kept once;
//   - a branch with no conditions makes the filter allow-all (one empty
//     branch); no branches left makes it deny-all;
//   - duplicate branches are merged, and a branch whose conditions include all
//     of another branch's conditions is dropped (A or (A and B) = A);
//   - nested filters (exists, negations, predicate bodies) are simplified the
//     same way; `exists` over a deny-all condition is false, `not` of a
//     constant is folded, `not not c` is c, `not a = b` is `a != b` (and back),
//     `x in []` is false and `x in [v]` is `x = v`;
//   - predicates that end up deny-all make their InSet conditions false, and
//     predicates no longer referenced are dropped.
//
// f is not modified.
func (f *Filter) Simplify() *Filter { return f.simplify(nil) }

// simplify is Simplify sharing a memo of condition keys (the evaluator's).
func (f *Filter) simplify(keys *keyMemo) *Filter {
	if f == nil {
		return nil
	}
	if keys == nil {
		keys = &keyMemo{}
	}
	if len(f.Preds) == 0 {
		s := &simplifier{merge: true, keys: keys}
		return s.filter(f)
	}
	// The maps are the memo's, emptied (simplify is not reentered); the
	// result's Preds are made at the end, for the predicates it uses.
	ps := keys.predScratch()
	empty, bodies := ps.empty, ps.bodies
	// Simplify predicate bodies until the set of deny-all predicates is stable.
	for {
		clear(bodies)
		changed := false
		for n, p := range f.Preds {
			s := &simplifier{empty: empty, merge: true, keys: keys}
			body := s.filter(&p.Body)
			bodies[n] = body
			if body.IsDenyAll() && !empty[n] {
				empty[n] = true
				changed = true
			}
		}
		// A predicate none of whose branches can be derived without a
		// positive reference to a predicate not yet derivable (no base case)
		// has an empty least fixpoint.
		productive := ps.productive
		clear(productive)
		for grew := true; grew; {
			grew = false
			for n, body := range bodies {
				if productive[n] || empty[n] {
					continue
				}
				for _, br := range body.Branches {
					if branchProductive(br, productive, empty) {
						productive[n] = true
						grew = true
						break
					}
				}
			}
		}
		for n := range bodies {
			if !productive[n] && !empty[n] {
				empty[n] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	s := &simplifier{empty: empty, merge: true, keys: keys}
	out := s.filter(f)
	// Keep only the predicates reachable from the main filter.
	used := ps.used
	ps.visit(out)
	n := 0
	for name := range used {
		if bodies[name] != nil {
			n++
		}
	}
	if n > 0 {
		out.Preds = make(map[string]*Pred, n)
		for name := range used {
			if body := bodies[name]; body != nil {
				p := f.Preds[name]
				out.Preds[name] = s.newPred(Pred{Name: p.Name, Type: p.Type, Param: p.Param, Body: *body})
			}
		}
	}
	ps.done()
	return out
}

type simplifier struct {
	empty map[string]bool // deny-all predicates
	merge bool            // merge branches that differ in one condition (final Simplify only)
	keys  *keyMemo        // CondString memo: conditions are shared between branches
}

// newKeyMemo returns a memo sized for an evaluation: an evaluator's, or a
// benchmark's that simplifies as one does.
func newKeyMemo() *keyMemo {
	return &keyMemo{m: make(map[Cond]string, 8), buf: make([]byte, 0, 256), arena: make([]byte, 0, 64)}
}

// keyMemo memoises CondString by condition pointer, with a scratch buffer to
// print into.
type keyMemo struct {
	// The first keys are in recent (scanned: comparing two conditions is
	// comparing pointers), the others in m.
	recent [8]keyEntry
	nrec   int
	m      map[Cond]string
	buf    []byte
	app    condAppender // appendKey, bound once
	// arena, if not nil, holds the bytes of the keys (one allocation for
	// many keys). Its strings are never written after they are made; an
	// evaluator drops its arena when released (never reuses it).
	arena []byte
	used  int // bytes of keys made (to size the next arena)
	sc    simpScratch
	out   simpOut  // memory for results (simplify_out.go)
	preds predMaps // simplify's maps
}

type keyEntry struct {
	c Cond
	k string
}

// get returns the memoised key of c.
func (km *keyMemo) get(c Cond) (string, bool) {
	for i := range km.recent[:km.nrec] {
		if e := &km.recent[i]; sameCond(e.c, c) {
			return e.k, true
		}
	}
	if len(km.m) == 0 {
		return "", false
	}
	k, ok := km.m[c]
	return k, ok
}

func (km *keyMemo) put(c Cond, k string) {
	if km.nrec < len(km.recent) {
		km.recent[km.nrec] = keyEntry{c, k}
		km.nrec++
		return
	}
	if km.m == nil {
		km.m = make(map[Cond]string, 16)
	}
	km.m[c] = k
}

// reset forgets every key, empties the scratch memory, and drops the memory
// of results (reuses it after reuseOutputs).
func (km *keyMemo) reset() {
	for i := 0; i < km.nrec; i++ {
		km.recent[i] = keyEntry{}
	}
	km.nrec = 0
	if len(km.m) > 0 {
		clear(km.m)
	}
	km.sc.reset()
	km.out.reset()
	km.preds.done()
}

// key returns CondString(c), memoised.
func (s *simplifier) key(c Cond) string {
	if s.keys == nil {
		s.keys = &keyMemo{}
	}
	if k, ok := s.keys.get(c); ok {
		return k
	}
	k := s.keys.print(c)
	s.keys.put(c, k)
	return k
}

// print returns CondString(c), not memoised (nested conditions' memoised
// keys are reused). With an arena, the key is printed into it in place.
func (km *keyMemo) print(c Cond) string {
	if km.app == nil {
		km.app = km.appendKey
	}
	if km.arena != nil {
		n := len(km.arena)
		b := appendCondVia(km.arena, c, km.app)
		if len(b) == n {
			return ""
		}
		// (If the arena grew, append copied it into a new array, the arena
		// from now on; the keys made are in the old one, never written.)
		km.arena = b
		km.used += len(b) - n
		return unsafe.String(&b[n], len(b)-n)
	}
	km.buf = appendCondVia(km.buf[:0], c, km.app)
	return km.str(km.buf)
}

// str returns b as a string: copied into the arena if there is one.
func (km *keyMemo) str(b []byte) string {
	if km.arena == nil || len(b) == 0 {
		return string(b)
	}
	if cap(km.arena)-len(km.arena) < len(b) {
		km.arena = make([]byte, 0, max(2*cap(km.arena), 4*len(b), 256))
	}
	n := len(km.arena)
	km.arena = append(km.arena, b...)
	km.used += len(b)
	return unsafe.String(&km.arena[n], len(b))
}

// appendKey appends the text of a nested condition: its memoised key if
// there is one, else printed in place (into the caller's buffer; nested
// misses are not memoised, so the scratch buffer is never reentered).
func (km *keyMemo) appendKey(b []byte, c Cond) []byte {
	if k, ok := km.get(c); ok {
		return append(b, k...)
	}
	return appendCondVia(b, c, km.app)
}

// negatedKey prints negate(x) for an = or != comparison into the scratch
// buffer (valid until the next key), without building the condition.
func (s *simplifier) negatedKey(x *Compare) []byte {
	if s.keys == nil {
		s.keys = &keyMemo{}
	}
	op := Neq
	if x.Op == Neq {
		op = Eq
	}
	s.keys.buf = appendCompare(s.keys.buf[:0], op, x.L, x.R)
	return s.keys.buf
}

// filter simplifies an OR of ANDs (not its Preds).
//
// The branches are simplified into the scratch memory of s.keys (see
// simpScratch); the result is copied out of it at the end, into memory of its
// own (a branch left unchanged keeps the input's slice).
func (s *simplifier) filter(f *Filter) *Filter {
	sc := s.scratch()
	m := sc.mark()
	defer sc.release(m)
	if len(f.Branches) == 1 {
		// One branch (the inside of most Exists): no subsumption, no
		// merging; an unchanged branch keeps the input's slice.
		var b sbranch
		ok := s.branch(f.Branches[0], &b)
		switch {
		case !ok:
			return s.newFilterHdr(f.Type, nil)
		case b.n == 0:
			return s.allowAll(f.Type)
		case b.same:
			return s.newFilterHdr(f.Type, f.Branches)
		}
		sc.brs = append(sc.brs, b)
		return s.output(f.Type, m)
	}
	var b sbranch
	for _, br := range f.Branches {
		if !s.branch(br, &b) {
			continue
		}
		if b.n == 0 {
			return s.allowAll(f.Type)
		}
		sc.brs = append(sc.brs, b)
	}
	bs := sc.brs[m.brs:]
	switch len(bs) {
	case 0:
		return s.newFilterHdr(f.Type, nil) // deny-all (nil Branches)
	case 1:
		return s.output(f.Type, m)
	}
	for i := range bs {
		b := &bs[i]
		ks := sc.keys[b.at : b.at+b.n]
		for j, k := range ks {
			if k == "" {
				ks[j] = s.key(sc.conds[b.at+j])
			}
		}
		b.sat = satNone // sorted when needed (large branches)
	}
	// Drop a branch whose condition set includes another's (equal sets: keep
	// the first). A branch's keys are distinct here (branch), so a branch
	// with more conditions than another is never included in it.
	for i := range bs {
		bi := &bs[i]
		for j := range bs {
			bj := &bs[j]
			if i == j || bj.drop || bj.n > bi.n {
				continue
			}
			if (bj.n < bi.n || j < i) && sc.subset(bj, bi) {
				bi.drop = true
				break
			}
		}
	}
	n := 0
	for n < len(bs) && !bs[n].drop {
		n++ // (none moved before the first dropped)
	}
	for i := n; i < len(bs); i++ {
		if !bs[i].drop {
			bs[n] = bs[i]
			n++
		}
	}
	sc.brs = sc.brs[:m.brs+n]
	if s.merge && n > 1 {
		s.mergeBranches(m)
	}
	if len(sc.brs)-m.brs == len(f.Branches) && allSame(sc.brs[m.brs:]) {
		// Nothing dropped, merged or changed: the input's branches (capacity
		// trimmed: an append to the result never writes the input's array).
		return s.newFilterHdr(f.Type, f.Branches[:len(f.Branches):len(f.Branches)])
	}
	return s.output(f.Type, m)
}

// allSame reports whether every branch of bs is its input branch unchanged.
func allSame(bs []sbranch) bool {
	for _, b := range bs {
		if !b.same {
			return false
		}
	}
	return true
}

// newFilterConds is newFilter with room for nc conditions (slab), allocated
// with the filter when few, and (withIn) an In with a few values (nil if
// not).
func newFilterConds(typ string, n, nc int, withIn bool) (*Filter, []Cond, *inWithValues) {
	switch {
	case nc == 0:
		return newFilter(typ, n), nil, nil
	case withIn && n <= 2 && nc <= 4:
		x := &struct {
			f  Filter
			b  [2]Branch
			c  [4]Cond
			in inWithValues
		}{}
		x.f = Filter{Type: typ, Branches: x.b[:n:n]}
		return &x.f, x.c[:nc:nc], &x.in
	case n <= 2 && nc <= 4:
		x := &struct {
			f Filter
			b [2]Branch
			c [4]Cond
		}{}
		x.f = Filter{Type: typ, Branches: x.b[:n:n]}
		return &x.f, x.c[:nc:nc], nil
	case n <= 4 && nc <= 8:
		x := &struct {
			f Filter
			b [4]Branch
			c [8]Cond
		}{}
		x.f = Filter{Type: typ, Branches: x.b[:n:n]}
		return &x.f, x.c[:nc:nc], nil
	}
	return newFilter(typ, n), make([]Cond, nc), nil
}

// newFilter returns a filter of type typ with n empty branches, allocated
// with the filter when few.
func newFilter(typ string, n int) *Filter {
	switch n {
	case 1:
		x := &struct {
			f Filter
			b [1]Branch
		}{}
		x.f = Filter{Type: typ, Branches: x.b[:]}
		return &x.f
	case 2:
		x := &struct {
			f Filter
			b [2]Branch
		}{}
		x.f = Filter{Type: typ, Branches: x.b[:]}
		return &x.f
	case 3:
		x := &struct {
			f Filter
			b [3]Branch
		}{}
		x.f = Filter{Type: typ, Branches: x.b[:]}
		return &x.f
	case 4:
		x := &struct {
			f Filter
			b [4]Branch
		}{}
		x.f = Filter{Type: typ, Branches: x.b[:]}
		return &x.f
	}
	return &Filter{Type: typ, Branches: make([]Branch, n)}
}

// output returns a filter of type typ with the branches sc.brs[m.brs:], in
// memory of its own, allocated or carved (unchanged branches keep their
// input slices). In conditions combined by mergeBranches (scratch objects)
// are copied.
func (s *simplifier) output(typ string, m scratchMark) *Filter {
	sc := &s.keys.sc
	bs := sc.brs[m.brs:]
	// Merged In conditions (scratch objects) are copied out; one with few
	// values into the filter's allocation.
	total, nin, inlineIn := 0, 0, false
	for _, b := range bs {
		if b.same {
			continue
		}
		total += b.n
		if len(sc.ins) > m.ins {
			for _, c := range sc.conds[b.at : b.at+b.n] {
				if in, ok := c.(*In); ok && sc.private(in, m) {
					nin++
					inlineIn = len(in.Values) <= inlineInValues
				}
			}
		}
	}
	out, slab, inl := s.newResult(typ, len(bs), total, nin == 1 && inlineIn)
	for i, b := range bs {
		if b.same {
			out.Branches[i].Conds = b.src
			continue
		}
		cs := slab[:b.n:b.n]
		slab = slab[b.n:]
		for j := range cs { // (a few: cheaper than copy's typedslicecopy)
			cs[j] = sc.conds[b.at+j]
		}
		if nin > 0 {
			for j, c := range cs {
				if in, ok := c.(*In); ok && sc.private(in, m) {
					cs[j] = s.copyIn(in, &inl)
				}
			}
		}
		out.Branches[i].Conds = cs
	}
	return out
}

// copyIn returns a copy of in: in *inl if not nil (then set to nil), else
// carved or allocated.
func (s *simplifier) copyIn(in *In, inl **inWithValues) *In {
	n := len(in.Values)
	var b *inWithValues
	switch {
	case *inl != nil && n <= inlineInValues:
		b, *inl = *inl, nil
	case s.keys.out.carve:
		b = &s.keys.out.ins.take(1)[0]
		*b = inWithValues{}
	case n <= inlineInValues:
		b = &inWithValues{}
	}
	var x *In
	var vals []Value
	switch {
	case b == nil:
		x, vals = &In{}, make([]Value, n)
	case n <= inlineInValues:
		x, vals = &b.in, b.vals[:n:n]
	default:
		x, vals = &b.in, make([]Value, n)
	}
	for i := range vals { // (a few: cheaper than copy's typedslicecopy)
		vals[i] = in.Values[i]
	}
	x.L, x.Values = in.L, vals
	return x
}

// sortedSubset reports whether every element of sorted a is in sorted b.
// (Subsumption uses subset, which calls it for large branches.)
func sortedSubset(a, b []string) bool {
	j := 0
	for _, k := range a {
		for j < len(b) && b[j] < k {
			j++
		}
		if j == len(b) || b[j] != k {
			return false
		}
	}
	return true
}

// mergeBranches merges two branches that are equal except for one
// condition each, when those two conditions combine into one:
//   - p = a and p = b (or p in [...]) become p in [a, b, ...];
//   - exists x in P: A and exists y in P: B become exists x in P: (A or B[y:=x])
//     (some element satisfies A, or some satisfies B).
//
// The merged branch takes the place of the first; repeated until no pair
// merges. The branches are sc.brs[m.brs:] (with their keys, sorted keys
// computed), merged in place.
func (s *simplifier) mergeBranches(m scratchMark) {
	sc := &s.keys.sc
	for merged := true; merged; {
		merged = false
	outer:
		for i := m.brs; i < len(sc.brs); i++ {
			for j := i + 1; j < len(sc.brs); j++ {
				bi, bj := &sc.brs[i], &sc.brs[j]
				if bi.n != bj.n {
					continue
				}
				var di, dj int
				var ok bool
				if bi.n <= smallBranch {
					di, dj, ok = s.oneDiffSmall(bi, bj)
				} else {
					s.clean(bi)
					s.clean(bj)
					di, dj, ok = oneDiff(sc.keysOf(bi), sc.keysOf(bj), sc.sortedOf(bi), sc.sortedOf(bj))
				}
				if !ok {
					continue
				}
				// combine may simplify (an exists): sc's arrays may move.
				c, ok := s.combine(sc.conds[bi.at+di], sc.conds[bj.at+dj], m)
				if !ok {
					continue
				}
				bi = &sc.brs[i]
				sc.conds[bi.at+di] = c
				bi.same = false
				if in, isIn := c.(*In); isIn && sc.private(in, m) {
					// Its key is printed when needed (a later merge may
					// change it again; the copy handed out has none).
					sc.keys[bi.at+di] = ""
					bi.dirty = true
				} else {
					sc.keys[bi.at+di] = s.key(c)
				}
				bi.sat = satNone
				for k := j + 1; k < len(sc.brs); k++ { // (copy's typedslicecopy costs more for a few)
					sc.brs[k-1] = sc.brs[k]
				}
				sc.brs = sc.brs[:len(sc.brs)-1]
				merged = true
				break outer
			}
		}
	}
}

// clean computes the keys of b left to print by a merge (its sorted keys
// are then computed when needed).
func (s *simplifier) clean(b *sbranch) {
	if !b.dirty {
		return
	}
	sc := &s.keys.sc
	for j := b.at; j < b.at+b.n; j++ {
		if sc.keys[j] == "" {
			sc.keys[j] = s.keys.print(sc.conds[j])
		}
	}
	b.sat = satNone
	b.dirty = false
}

// smallBranch is the most conditions of a branch that subset and
// oneDiffSmall compare pairwise, without sorting keys.
const smallBranch = 8

// oneDiffSmall is oneDiff for two branches of at most smallBranch
// conditions, by pairwise comparison of keys (a multiset matching). Keys a
// merge left to print are printed only when a comparison needs them
// (sameKey).
func (s *simplifier) oneDiffSmall(bi, bj *sbranch) (int, int, bool) {
	if bi.n == 1 && bj.n == 1 {
		return 0, 0, !s.sameKey(bi, 0, bj, 0)
	}
	var used uint64 // bj's conditions matched
	ua := -1        // bi's condition not matched
	for x := 0; x < bi.n; x++ {
		found := false
		for y := 0; y < bj.n; y++ {
			if used&(1<<y) == 0 && s.sameKey(bi, x, bj, y) {
				used |= 1 << y
				found = true
				break
			}
		}
		if !found {
			if ua >= 0 {
				return 0, 0, false
			}
			ua = x
		}
	}
	if ua < 0 || bits.OnesCount64(used) != bj.n-1 {
		return 0, 0, false
	}
	ub := bits.TrailingZeros64(^used)
	// The first conditions with those keys, as oneDiff.
	for x := 0; x < ua; x++ {
		if s.sameKey(bi, x, bi, ua) {
			ua = x
			break
		}
	}
	for y := 0; y < ub; y++ {
		if s.sameKey(bj, y, bj, ub) {
			ub = y
			break
		}
	}
	return ua, ub, true
}

// sameKey reports whether the x-th condition of b1 and the y-th of b2 have
// the same key, printing a key left to print by a merge only if the other
// key does not tell them apart (keyMayBe).
func (s *simplifier) sameKey(b1 *sbranch, x int, b2 *sbranch, y int) bool {
	sc := &s.keys.sc
	i, j := b1.at+x, b2.at+y
	k1, k2 := sc.keys[i], sc.keys[j]
	if k1 != "" && k2 != "" {
		return k1 == k2
	}
	if i == j || sameCond(sc.conds[i], sc.conds[j]) {
		return true
	}
	if (k1 == "" && k2 != "" && !keyMayBe(sc.conds[i], k2)) || (k2 == "" && k1 != "" && !keyMayBe(sc.conds[j], k1)) {
		return false
	}
	if k1 == "" {
		k1 = s.keys.print(sc.conds[i])
		sc.keys[i] = k1
	}
	if k2 == "" {
		k2 = s.keys.print(sc.conds[j])
		sc.keys[j] = k2
	}
	return k1 == k2
}

// keyMayBe reports whether CondString(c) may be k: false if c is an In
// whose text (its path, " in [", its values, "]") k does not begin and end
// like, else true.
func keyMayBe(c Cond, k string) bool {
	in, ok := c.(*In)
	if !ok {
		return true
	}
	p := in.L
	if len(k) < len(p.Var)+len(" in []") || k[len(k)-1] != ']' || k[:len(p.Var)] != p.Var {
		return false
	}
	k = k[len(p.Var):]
	for _, f := range p.Fields {
		if len(k) < 1+len(f) || k[0] != '.' || k[1:1+len(f)] != f {
			return false
		}
		k = k[1+len(f):]
	}
	return strings.HasPrefix(k, " in [")
}

// oneDiff returns the positions of the only condition of a not in b and the
// only condition of b not in a (as multisets of keys); sa and sb are a and b
// sorted.
func oneDiff(a, b, sa, sb []string) (int, int, bool) {
	var ka, kb string
	na, nb := 0, 0
	i, j := 0, 0
	for i < len(sa) || j < len(sb) {
		switch {
		case i < len(sa) && j < len(sb) && sa[i] == sb[j]:
			i++
			j++
		case j >= len(sb) || (i < len(sa) && sa[i] < sb[j]):
			ka = sa[i]
			na++
			i++
		default:
			kb = sb[j]
			nb++
			j++
		}
		if na > 1 || nb > 1 {
			return 0, 0, false
		}
	}
	if na != 1 || nb != 1 {
		return 0, 0, false
	}
	da, db := -1, -1
	for i, k := range a {
		if k == ka {
			da = i
			break
		}
	}
	for j, k := range b {
		if k == kb {
			db = j
			break
		}
	}
	return da, db, da >= 0 && db >= 0
}

// combine returns one condition equivalent to `a or b`, if there is one. An
// In it makes is a scratch object private to the simplification of mark m
// (see simpScratch): when a is such an In, it is extended in place.
func (s *simplifier) combine(a, b Cond, m scratchMark) (Cond, bool) {
	switch x := a.(type) {
	case *Compare, *In:
		pa, va, ok1 := eqValues(a)
		pb, vb, ok2 := eqValues(b)
		if !ok1 || !ok2 || !samePath(pa, pb) {
			return nil, false
		}
		_ = x
		n := len(va) + len(vb)
		sc := &s.keys.sc
		if in, ok := a.(*In); ok && sc.private(in, m) {
			// a's values are distinct already (combined here): copying them
			// into a fresh list would keep them all, in order. (Appending
			// grows the list as needed: merging many branches one by one
			// is not quadratic.)
			if vals, ok := mergeInts(in.Values, vb); ok {
				in.Values = vals
				return in, true
			}
			vals := in.Values
			for _, v := range vb {
				if !seenValue(vals, v) {
					vals = append(vals, v)
				}
			}
			sortValues(vals)
			in.Values = vals
			return in, true
		}
		// A scratch In (output copies it), with room for a few values.
		b := sc.newIn()
		in, vals := &b.in, b.vals[:0]
		if n > inlineInValues {
			vals = make([]Value, 0, n)
		}
		if vs, ok := mergeInts(vals, va); ok {
			if vs, ok = mergeInts(vs, vb); ok {
				in.L, in.Values = pa, vs
				return in, true
			}
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
		// x's branches, then y's renamed (their conditions in one slab).
		nc := 0
		for _, br := range y.Cond.Branches {
			nc += len(br.Conds)
		}
		bs, cs := s.newBranches(len(x.Cond.Branches)+len(y.Cond.Branches), nc)
		n := copy(bs, x.Cond.Branches)
		for _, br := range y.Cond.Branches {
			rc := cs[:len(br.Conds):len(br.Conds)]
			cs = cs[len(br.Conds):]
			for i, c := range br.Conds {
				rc[i] = s.renameCond(c, y.Var, x.Var)
			}
			bs[n] = Branch{Conds: rc}
			n++
		}
		f := Filter{Type: x.Cond.Type, Branches: bs}
		return s.newExists(x.Var, x.Type, x.Over, *s.filter(&f)), true
	}
	return nil, false
}

// mergeInts adds to vals (distinct integers, sorted) the integers of vs
// not in it, in order: what appending those not seen (seenValue) and
// sorting (sortValues) makes of them. It reports false, vals unchanged, if
// a value of either is not an integer.
func mergeInts(vals, vs []Value) ([]Value, bool) {
	for _, v := range vs {
		if _, ok := v.V.(int64); !ok {
			return vals, false
		}
	}
	for _, w := range vals {
		if _, ok := w.V.(int64); !ok {
			return vals, false
		}
	}
next:
	for _, v := range vs {
		x := v.V.(int64)
		at := len(vals)
		for i, w := range vals {
			switch y := w.V.(int64); {
			case y == x:
				continue next
			case y > x:
				at = i
			default:
				continue
			}
			break
		}
		vals = append(vals, v)
		for i := len(vals) - 1; i > at; i-- {
			vals[i] = vals[i-1]
		}
		vals[at] = v
	}
	return vals, true
}

// inWithValues is an In combined from a few values, with room for them.
type inWithValues struct {
	in   In
	vals [inlineInValues]Value
}

const inlineInValues = 4

// seenValue reports whether v (not a float: floats are always kept) prints
// like one of vals.
func seenValue(vals []Value, v Value) bool {
	if _, isF := v.V.(float64); isF {
		return false
	}
	for _, w := range vals {
		if sameText(v, w) {
			return true
		}
	}
	return false
}

// sameText reports whether v.String() == w.String(), without printing the
// common scalars (whose texts are equal exactly when type and value are).
func sameText(v, w Value) bool {
	if x, ok := v.V.(int64); ok {
		if y, ok := w.V.(int64); ok {
			return x == y
		}
	}
	if fastText(v.V) && fastText(w.V) {
		return v.V == w.V
	}
	return v.String() == w.String()
}

// fastText reports whether x is nil, a bool, an int64 or a string: values
// whose texts differ across types and are equal within one type exactly when
// the values are.
func fastText(x any) bool {
	switch x.(type) {
	case nil, bool, int64, string:
		return true
	}
	return false
}

// eqValues reads `p = v` or `p in [...]` with known values.
func eqValues(c Cond) (Path, []Value, bool) {
	switch x := c.(type) {
	case *Compare:
		if x.Op != Eq {
			return Path{}, nil, false
		}
		p, ok := x.L.(Path)
		v, vok := x.R.(Value)
		if !ok || !vok {
			return Path{}, nil, false
		}
		return p, []Value{v}, true
	case *In:
		return x.L, x.Values, true
	}
	return Path{}, nil, false
}

// branch simplifies a conjunction into the scratch memory (sc.conds and
// sc.keys, appended), and sets *b to it; it returns false if it is always
// false (nothing appended).
func (s *simplifier) branch(br Branch, b *sbranch) bool {
	sc := &s.keys.sc
	at := len(sc.conds)
	if len(br.Conds) == 1 {
		// One condition (most branches): nothing to deduplicate.
		c := br.Conds[0]
		nc, val, isConst := s.cond(c)
		switch {
		case isConst && !val:
			return false
		case isConst:
			*b = sbranch{src: br.Conds, at: at}
			return true
		}
		sc.conds = append(sc.conds, nc)
		sc.keys = append(sc.keys, "")
		*b = sbranch{src: br.Conds, at: at, n: 1, same: sameCond(nc, c)}
		return true
	}
	for _, c := range br.Conds {
		// cond may simplify nested filters: above at, undone on return.
		nc, val, isConst := s.cond(c)
		if isConst {
			if !val {
				sc.conds, sc.keys = sc.conds[:at], sc.keys[:at]
				return false
			}
			continue
		}
		sc.conds = append(sc.conds, nc)
		sc.keys = append(sc.keys, "")
	}
	if n := len(sc.conds) - at; n > 1 {
		cs, ks := sc.conds[at:], sc.keys[at:]
		// Keep the first of conditions with equal keys: ks[:j] is the set
		// kept (scanned linearly while small, else also in big).
		var big map[string]bool
		if n > 16 {
			big = make(map[string]bool, n)
		}
		j := 0
		for _, c := range cs {
			k := s.key(c)
			if hasKey(ks[:j], big, k) {
				continue
			}
			cs[j], ks[j] = c, k
			if big != nil {
				big[k] = true
			}
			j++
		}
		cs, ks = cs[:j], ks[:j]
		// A condition and its negation: always false (a = b and a != b;
		// p = nil and p != nil).
		for i, c := range cs {
			if x, ok := c.(*Compare); ok && (x.Op == Eq || x.Op == Neq) {
				// negate(x) prints as x with = and != swapped: a key one
				// byte longer (shorter) must be there for it to be.
				want := len(ks[i]) + 1
				if x.Op == Neq {
					want -= 2
				}
				if !hasKeyLen(ks, want) {
					continue
				}
				if hasKeyBytes(ks, big, s.negatedKey(x)) {
					sc.conds, sc.keys = sc.conds[:at], sc.keys[:at]
					return false
				}
			}
		}
		if w := s.dropWeakerNegations(cs); len(w) != len(cs) {
			copy(cs, w)
			cs, ks = cs[:len(w)], ks[:len(w)]
			for i, c := range cs {
				ks[i] = s.key(c)
			}
		}
		sc.conds, sc.keys = sc.conds[:at+len(cs)], sc.keys[:at+len(cs)]
	}
	*b = sbranch{src: br.Conds, at: at, n: len(sc.conds) - at}
	b.same = sameConds(sc.conds[at:], br.Conds)
	return true
}

// hasKey reports whether k is in ks (or in big, if not nil: the same set).
func hasKey(ks []string, big map[string]bool, k string) bool {
	if big != nil {
		return big[k]
	}
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// hasKeyLen reports whether a key of ks is n bytes long.
func hasKeyLen(ks []string, n int) bool {
	for _, x := range ks {
		if len(x) == n {
			return true
		}
	}
	return false
}

// hasKeyBytes is hasKey for a key being printed.
func hasKeyBytes(ks []string, big map[string]bool, k []byte) bool {
	if big != nil {
		return big[string(k)]
	}
	for _, x := range ks {
		if x == string(k) {
			return true
		}
	}
	return false
}

// cond simplifies one condition. If it is constant, isConst is true and val
// is its value.
func (s *simplifier) cond(c Cond) (nc Cond, val, isConst bool) {
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
		return s.newExists(x.Var, x.Type, x.Over, *cf), false, false
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

// sameFilter reports whether a and b have the same type, predicates and
// branches holding the very same conditions.
func sameFilter(a, b *Filter) bool {
	if a.Type != b.Type || len(a.Branches) != len(b.Branches) || len(a.Preds) != len(b.Preds) {
		return false
	}
	for n, p := range a.Preds {
		if b.Preds[n] != p {
			return false
		}
	}
	for i := range a.Branches {
		if !sameConds(a.Branches[i].Conds, b.Branches[i].Conds) {
			return false
		}
	}
	return true
}

// sameConds reports whether a and b hold the very same conditions.
func sameConds(a, b []Cond) bool {
	if len(a) != len(b) {
		return false
	}
	for j := range a {
		if !sameCond(a[j], b[j]) {
			return false
		}
	}
	return true
}

// sameCond reports whether a and b are the same condition (a == b), by
// comparing their interface words: no call of ifaceeq. The conditions are
// pointers (*Compare, *In, ...), for which this is ==; for another dynamic
// type it would only miss equal values.
func sameCond(a, b Cond) bool {
	return *(*iface)(unsafe.Pointer(&a)) == *(*iface)(unsafe.Pointer(&b))
}

// negate returns the simplified negation of a non-constant condition.
func negate(c Cond) Cond {
	switch x := c.(type) {
	case *Not:
		return x.C
	case *Compare:
		switch x.Op {
		case Eq:
			return &Compare{Op: Neq, L: x.L, R: x.R}
		case Neq:
			return &Compare{Op: Eq, L: x.L, R: x.R}
		}
	case *NotFilter:
		if len(x.F.Branches) == 1 && len(x.F.Branches[0].Conds) == 1 {
			return x.F.Branches[0].Conds[0]
		}
	}
	return &Not{C: c}
}

// WalkFilter calls fn for every condition of f, depth first, including the
// conditions nested in Exists, Not and NotFilter (not the bodies of Preds).
func WalkFilter(f *Filter, fn func(Cond)) {
	for _, br := range f.Branches {
		for _, c := range br.Conds {
			WalkCond(c, fn)
		}
	}
}

// WalkCond calls fn for c and every condition nested in it.
func WalkCond(c Cond, fn func(Cond)) {
	fn(c)
	switch x := c.(type) {
	case *Exists:
		WalkFilter(&x.Cond, fn)
	case *Not:
		WalkCond(x.C, fn)
	case *NotFilter:
		WalkFilter(&x.F, fn)
	}
}

// mentions reports whether c refers to variable v anywhere (paths, exists
// ranges, nested conditions).
func mentions(c Cond, v string) bool {
	found := false
	WalkCond(c, func(c Cond) {
		if found {
			return
		}
		switch x := c.(type) {
		case *Compare:
			found = operandVar(x.L) == v || operandVar(x.R) == v
		case *In:
			found = x.L.Var == v
		case *Exists:
			found = x.Over.Var == v
		case *InSet:
			found = x.Path.Var == v
		}
	})
	return found
}

func operandVar(o Operand) string {
	if p, ok := o.(Path); ok {
		return p.Var
	}
	return ""
}

// Key returns a canonical text for f that is equal for equal filters and
// independent of branch order (for tests and caches).
func (f *Filter) Key() string {
	if f == nil {
		return "false"
	}
	parts := make([]string, len(f.Branches))
	for i, br := range f.Branches {
		var b strings.Builder
		writeBranch(&b, br)
		parts[i] = b.String()
	}
	sort.Strings(parts)
	return strings.Join(parts, " | ")
}

// branchProductive reports whether every positive InSet of br (outside
// negations) refers to a productive predicate.
func branchProductive(br Branch, productive, empty map[string]bool) bool {
	ok := true
	var visit func(c Cond)
	visit = func(c Cond) {
		switch x := c.(type) {
		case *InSet:
			if !productive[x.Pred] {
				ok = false
			}
		case *Exists:
			// An exists is derivable if one of its branches is.
			any := false
			for _, b := range x.Cond.Branches {
				if branchProductive(b, productive, empty) {
					any = true
					break
				}
			}
			if !any {
				ok = false
			}
		}
	}
	for _, c := range br.Conds {
		visit(c)
	}
	return ok
}

// renameFilter is renameCond over every condition of f (a new Filter).
func renameFilter(f Filter, from, to string) Filter {
	out := Filter{Type: f.Type, Branches: make([]Branch, len(f.Branches))}
	for i, br := range f.Branches {
		cs := make([]Cond, len(br.Conds))
		for j, c := range br.Conds {
			cs[j] = renameCond(c, from, to)
		}
		out.Branches[i] = Branch{Conds: cs}
	}
	return out
}

// renameCond returns c with variable from renamed to to (a copy; c is not
// modified).
func renameCond(c Cond, from, to string) Cond {
	rp := func(p Path) Path { return renamePath(p, from, to) }
	ro := func(o Operand) Operand { return renameOperand(o, from, to) }
	switch x := c.(type) {
	case *Compare:
		return &Compare{Op: x.Op, L: ro(x.L), R: ro(x.R)}
	case *In:
		return &In{L: rp(x.L), Values: x.Values}
	case *Exists:
		if x.Var == from {
			return &Exists{Var: x.Var, Type: x.Type, Over: rp(x.Over), Cond: x.Cond}
		}
		return &Exists{Var: x.Var, Type: x.Type, Over: rp(x.Over), Cond: renameFilter(x.Cond, from, to)}
	case *Not:
		return &Not{C: renameCond(x.C, from, to)}
	case *NotFilter:
		return &NotFilter{F: renameFilter(x.F, from, to)}
	case *InSet:
		return &InSet{Path: rp(x.Path), Pred: x.Pred}
	}
	return c
}

// renamePath returns p with variable from renamed to to.
func renamePath(p Path, from, to string) Path {
	if p.Var == from {
		return Path{Var: to, Fields: p.Fields}
	}
	return p
}

// renameOperand is renamePath for a path operand (others are returned as
// they are).
func renameOperand(o Operand, from, to string) Operand {
	if p, ok := o.(Path); ok {
		return renamePath(p, from, to)
	}
	return o
}

// sortValues orders values of one kind (all integers or all strings), for
// readable and canonical merged lists; mixed lists keep their order.
func sortValues(vs []Value) {
	if len(vs) <= 8 && sortSmallValues(vs) {
		return
	}
	sortValuesStable(vs)
}

// sortValuesStable is sortValues by stable sorts with a comparison
// function (any length).
func sortValuesStable(vs []Value) {
	allInt, allStr := true, true
	for _, v := range vs {
		_, i := v.V.(int64)
		_, s := v.V.(string)
		allInt, allStr = allInt && i, allStr && s
	}
	switch {
	case allInt:
		slices.SortStableFunc(vs, func(a, b Value) int { return cmp.Compare(a.V.(int64), b.V.(int64)) })
	case allStr:
		slices.SortStableFunc(vs, func(a, b Value) int { return strings.Compare(a.V.(string), b.V.(string)) })
	}
}

// sortSmallValues is sortValues for a few values of one kind, by insertion
// (stable, as SortStableFunc: the same order), without a comparison
// function; it reports false, leaving vs as it was, if they are not all
// integers or all strings.
func sortSmallValues(vs []Value) bool {
	if len(vs) == 0 {
		return true
	}
	switch vs[0].V.(type) {
	case int64:
		return insertionSortValues[int64](vs)
	case string:
		return insertionSortValues[string](vs)
	}
	return false
}

// insertionSortValues sorts up to 8 values that all hold a T by insertion;
// false (vs unchanged) if one does not.
func insertionSortValues[T cmp.Ordered](vs []Value) bool {
	var keys [8]T
	for i, v := range vs {
		x, ok := v.V.(T)
		if !ok {
			return false
		}
		keys[i] = x
	}
	for i := 1; i < len(vs); i++ {
		k, v := keys[i], vs[i]
		j := i
		for ; j > 0 && keys[j-1] > k; j-- {
			keys[j], vs[j] = keys[j-1], vs[j-1]
		}
		keys[j], vs[j] = k, v
	}
	return true
}

// dropWeakerNegations drops `not A` when the same conjunction also has
// `not (A or B)`: the second implies the first.
func (s *simplifier) dropWeakerNegations(cs []Cond) []Cond {
	// Nothing to drop without two negations (most branches): no sets.
	negs := 0
	for _, c := range cs {
		switch c.(type) {
		case *Not, *NotFilter:
			negs++
		}
	}
	if negs < 2 {
		return cs
	}
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
