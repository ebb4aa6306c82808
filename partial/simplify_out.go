package partial

// Memory for simplification results.
//
// By default every result is allocated (output's one block per filter). An
// owner that copies its final result out before letting go of the results
// (an evaluator whose filter is copied out by a deep copy) can have them
// carved from chunks instead (carveOutputs), and then reuse the chunks for
// its next simplifications (reuseOutputs, before reset): no allocation per
// result once warm. Results carved are valid only until that reuse: the
// owner must call reuseOutputs only when nothing refers to them any more;
// otherwise reset drops the chunks (a result handed out keeps its memory).

// simpOut is a keyMemo's memory for results.
type simpOut struct {
	carve    bool // carve results from the chunks below
	reusable bool // reuseOutputs was called: reset reuses the chunks
	filters  outChunks[Filter]
	branches outChunks[Branch]
	conds    outChunks[Cond]
	ins      outChunks[inWithValues]
	compares outChunks[Compare]
	exists   outChunks[Exists]
	inSets   outChunks[InSet]
	preds    outChunks[Pred]
}

// poisonSimpOut makes reuse overwrite the elements handed out with garbage
// (tests: a result still referred to, or an element taken and not fully
// set, shows it).
var poisonSimpOut = false

// carveOutputs makes km's simplifications carve their results from chunks
// (see above).
func (km *keyMemo) carveOutputs() { km.out.carve = true }

// reuseOutputs declares that nothing refers to the results of km's
// simplifications any more: the next reset makes their memory reusable.
func (km *keyMemo) reuseOutputs() { km.out.reusable = true }

// resetOutputs is reset's part: reuse the chunks if declared reusable, else
// drop them.
func (o *simpOut) reset() {
	if o.reusable {
		// (The kinds not carved, most often comparisons, exists, InSets
		// and predicates, are skipped here without a call.)
		if o.filters.carved() {
			o.filters.reuse(zeroLoop[Filter])
		}
		if o.branches.carved() {
			o.branches.reuse(zeroLoop[Branch])
		}
		if o.conds.carved() {
			o.conds.reuse(clearConds)
		}
		if o.ins.carved() {
			o.ins.reuse(zeroLoop[inWithValues])
		}
		if o.compares.carved() {
			o.compares.reuse(zeroLoop[Compare])
		}
		if o.exists.carved() {
			o.exists.reuse(zeroLoop[Exists])
		}
		if o.inSets.carved() {
			o.inSets.reuse(zeroLoop[InSet])
		}
		if o.preds.carved() {
			o.preds.reuse(zeroLoop[Pred])
		}
	} else {
		o.filters.drop()
		o.branches.drop()
		o.conds.drop()
		o.ins.drop()
		o.compares.drop()
		o.exists.drop()
		o.inSets.drop()
		o.preds.drop()
	}
	o.reusable = false
}

// outChunks hands out elements of chunks in order.
type outChunks[T any] struct {
	chunks [][]T
	cur    int // chunk being carved
	n      int // elements carved from chunks[cur]
}

const outChunkSize = 16

// take returns the next k elements, as left by the previous use (the
// caller sets every field).
func (c *outChunks[T]) take(k int) []T {
	for c.cur < len(c.chunks) {
		if ch := c.chunks[c.cur]; len(ch)-c.n >= k {
			out := ch[c.n : c.n+k : c.n+k]
			c.n += k
			return out
		}
		c.cur, c.n = c.cur+1, 0
	}
	ch := make([]T, max(k, outChunkSize))
	c.chunks = append(c.chunks, ch)
	c.cur, c.n = len(c.chunks)-1, k
	return ch[:k:k]
}

// carved reports whether elements were taken since the last reuse.
func (c *outChunks[T]) carved() bool { return c.cur != 0 || c.n != 0 }

// reuse makes every element available again (cleared with zero: no
// references kept).
func (c *outChunks[T]) reuse(zero func([]T)) {
	for i, ch := range c.chunks {
		if i > c.cur {
			break
		}
		used := ch
		if i == c.cur {
			used = ch[:c.n]
		}
		if poisonSimpOut {
			for j := range used {
				poison(&used[j])
			}
		} else {
			zero(used)
		}
	}
	c.cur, c.n = 0, 0
}

// The zero functions for reuse: clear, as counted loops for the kinds whose
// elements are a few words with one or two references (cheaper than the
// call of memclrHasPointers clear makes, with bulkBarrierPreWrite, for the
// few elements used per evaluation); conditions (two words each) are
// cleared by clear.

func clearConds(s []Cond) { clear(s) }

// zeroLoop zeroes s element by element.
func zeroLoop[T any](s []T) {
	var z T
	for i := 0; i < len(s); i++ {
		s[i] = z
	}
}

// drop forgets the chunks (their elements may still be referred to).
func (c *outChunks[T]) drop() { *c = outChunks[T]{} }

// poison overwrites *p with garbage of its type.
func poison(p any) {
	garbage := &InSet{Path: Path{Var: "POISON"}, Pred: "POISON"}
	switch x := p.(type) {
	case *Filter:
		*x = Filter{Type: "POISON", Branches: []Branch{{Conds: []Cond{garbage}}}}
	case *Branch:
		*x = Branch{Conds: []Cond{garbage}}
	case *Cond:
		*x = garbage
	case *inWithValues:
		*x = inWithValues{in: In{L: garbage.Path, Values: []Value{{V: "POISON"}}}}
	case *Compare:
		*x = Compare{Op: Eq, L: garbage.Path, R: Value{V: "POISON"}}
	case *Exists:
		*x = Exists{Var: "POISON", Over: garbage.Path, Cond: Filter{Branches: []Branch{{Conds: []Cond{garbage}}}}}
	case *InSet:
		*x = *garbage
	case *Pred:
		*x = Pred{Name: "POISON", Body: Filter{Branches: []Branch{{Conds: []Cond{garbage}}}}}
	}
}

// newFilterHdr returns a filter with the given type and branches.
func (s *simplifier) newFilterHdr(typ string, bs []Branch) *Filter {
	if s.keys == nil || !s.keys.out.carve {
		return &Filter{Type: typ, Branches: bs}
	}
	f := &s.keys.out.filters.take(1)[0]
	*f = Filter{Type: typ, Branches: bs}
	return f
}

// allowAll is AllowAll(typ).
func (s *simplifier) allowAll(typ string) *Filter {
	if s.keys == nil || !s.keys.out.carve {
		return AllowAll(typ)
	}
	b := s.keys.out.branches.take(1)
	b[0] = Branch{}
	return s.newFilterHdr(typ, b)
}

// newResult returns a filter of type typ with n branches and room for nc
// conditions, and (withIn) an In with up to inlineInValues values (else
// nil): carved, or allocated together (newFilterConds).
func (s *simplifier) newResult(typ string, n, nc int, withIn bool) (*Filter, []Cond, *inWithValues) {
	if !s.keys.out.carve {
		return newFilterConds(typ, n, nc, withIn)
	}
	o := &s.keys.out
	bs := o.branches.take(n)
	for i := 0; i < len(bs); i++ {
		bs[i].Conds = nil
	}
	var cs []Cond
	if nc > 0 {
		cs = o.conds.take(nc)
	}
	var in *inWithValues
	if withIn {
		in = &o.ins.take(1)[0]
		*in = inWithValues{}
	}
	return s.newFilterHdr(typ, bs), cs, in
}

// newBranches returns n branches and nc conditions (to be set), carved or
// allocated.
func (s *simplifier) newBranches(n, nc int) ([]Branch, []Cond) {
	if s.keys == nil || !s.keys.out.carve {
		return make([]Branch, n), make([]Cond, nc)
	}
	return s.keys.out.branches.take(n), s.keys.out.conds.take(nc)
}

// newExists returns a new Exists, carved or allocated.
func (s *simplifier) newExists(v, typ string, over Path, cond Filter) *Exists {
	if s.keys == nil || !s.keys.out.carve {
		return &Exists{Var: v, Type: typ, Over: over, Cond: cond}
	}
	x := &s.keys.out.exists.take(1)[0]
	*x = Exists{Var: v, Type: typ, Over: over, Cond: cond}
	return x
}

// renameCond is renameCond(c, from, to), a comparison or InSet carved.
func (s *simplifier) renameCond(c Cond, from, to string) Cond {
	if s.keys == nil || !s.keys.out.carve {
		return renameCond(c, from, to)
	}
	switch x := c.(type) {
	case *Compare:
		n := &s.keys.out.compares.take(1)[0]
		*n = Compare{Op: x.Op, L: renameOperand(x.L, from, to), R: renameOperand(x.R, from, to)}
		return n
	case *InSet:
		n := &s.keys.out.inSets.take(1)[0]
		*n = InSet{Path: renamePath(x.Path, from, to), Pred: x.Pred}
		return n
	}
	return renameCond(c, from, to)
}

// newPred returns a new Pred holding p, carved or allocated.
func (s *simplifier) newPred(p Pred) *Pred {
	if !s.keys.out.carve {
		return &p
	}
	x := &s.keys.out.preds.take(1)[0]
	*x = p
	return x
}
