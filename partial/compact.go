package partial

// The filter an evaluation returns is copied out of the evaluator's memory.
//
// While it runs, an evaluation carves unknowns, conditions, operands and path
// steps from slabs, and prints condition keys into an arena (see eval.go and
// simplify.go); the filter it builds points into them. compactFilter copies
// the final filter into memory of its own, sized exactly (one allocation per
// kind of node it holds), so that nothing the caller gets points into the
// evaluator, and the evaluator can reuse its slabs and arena for the next
// evaluation instead of handing them to the garbage collector. (Allocation
// volume, not count, is what a filter costs in a process with a large heap:
// every byte allocated is paid again in marking.)
//
// The copy is the filter node for node: same types, same order, the same
// nil and empty slices, the same values (Value.V is shared: the values held
// are immutable scalars, times, or the application's values, never evaluator
// memory). A condition or operand of a type the copier does not know makes
// it give up (ok=false); the evaluator then returns the filter as it is and
// does not reuse its memory.

// nodeCounts are the numbers of nodes of each kind in a filter.
type nodeCounts struct {
	branches, conds, compares, ins, values, paths, strs int
	exists, nots, notFilters, inSets, consts, preds     int
}

// filterCopier copies filters into exactly sized arrays, carving them in
// order.
type filterCopier struct {
	branches   []Branch
	conds      []Cond
	compares   []Compare
	ins        []In
	values     []Value
	paths      []Path
	strs       []string
	exists     []Exists
	nots       []Not
	notFilters []NotFilter
	inSets     []InSet
	consts     []Const
	preds      []Pred
}

// compactFilter returns a deep copy of f in memory of its own (see above).
func compactFilter(f *Filter) (*Filter, bool) {
	var n nodeCounts
	if !n.filter(f) {
		return f, false
	}
	c := filterCopier{
		branches:   alloc[Branch](n.branches),
		conds:      alloc[Cond](n.conds),
		compares:   alloc[Compare](n.compares),
		ins:        alloc[In](n.ins),
		values:     alloc[Value](n.values),
		paths:      alloc[Path](n.paths),
		strs:       alloc[string](n.strs),
		exists:     alloc[Exists](n.exists),
		nots:       alloc[Not](n.nots),
		notFilters: alloc[NotFilter](n.notFilters),
		inSets:     alloc[InSet](n.inSets),
		consts:     alloc[Const](n.consts),
		preds:      alloc[Pred](n.preds),
	}
	out := new(Filter)
	c.filter(out, f)
	return out, true
}

// alloc returns n zero elements (nil for none, without a call to the
// allocator).
func alloc[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, n)
}

func (n *nodeCounts) filter(f *Filter) bool {
	n.branches += len(f.Branches)
	for _, br := range f.Branches {
		n.conds += len(br.Conds)
		for _, cd := range br.Conds {
			if !n.cond(cd) {
				return false
			}
		}
	}
	for _, p := range f.Preds {
		if p == nil {
			return false
		}
		n.preds++
		if !n.filter(&p.Body) {
			return false
		}
	}
	return true
}

func (n *nodeCounts) path(p Path) { n.strs += len(p.Fields) }

func (n *nodeCounts) operand(o Operand) bool {
	switch o := o.(type) {
	case Path:
		n.paths++
		n.path(o)
	case Value:
		n.values++
	case nil:
	default:
		return false
	}
	return true
}

func (n *nodeCounts) cond(cd Cond) bool {
	switch x := cd.(type) {
	case *Compare:
		n.compares++
		return n.operand(x.L) && n.operand(x.R)
	case *In:
		n.ins++
		n.path(x.L)
		n.values += len(x.Values)
	case *Exists:
		n.exists++
		n.path(x.Over)
		return n.filter(&x.Cond)
	case *Not:
		n.nots++
		return n.cond(x.C)
	case *NotFilter:
		n.notFilters++
		return n.filter(&x.F)
	case *InSet:
		n.inSets++
		n.path(x.Path)
	case *Const:
		n.consts++
	default:
		return false
	}
	return true
}

// carve functions: the next n elements of an array (nil stays nil).

func (c *filterCopier) filter(dst, src *Filter) {
	dst.Type = src.Type
	if src.Branches != nil {
		dst.Branches, c.branches = c.branches[:len(src.Branches):len(src.Branches)], c.branches[len(src.Branches):]
		for i, br := range src.Branches {
			if br.Conds == nil {
				continue
			}
			cs := c.conds[:len(br.Conds):len(br.Conds)]
			c.conds = c.conds[len(br.Conds):]
			for j, cd := range br.Conds {
				cs[j] = c.cond(cd)
			}
			dst.Branches[i].Conds = cs
		}
	}
	if src.Preds != nil {
		dst.Preds = make(map[string]*Pred, len(src.Preds))
		for k, p := range src.Preds {
			q := &c.preds[0]
			c.preds = c.preds[1:]
			q.Name, q.Type, q.Param = p.Name, p.Type, p.Param
			c.filter(&q.Body, &p.Body)
			dst.Preds[k] = q
		}
	}
}

func (c *filterCopier) path(p Path) Path {
	if p.Fields == nil {
		return Path{Var: p.Var}
	}
	fs := c.strs[:len(p.Fields):len(p.Fields)]
	c.strs = c.strs[len(p.Fields):]
	copy(fs, p.Fields)
	return Path{Var: p.Var, Fields: fs}
}

func (c *filterCopier) operand(o Operand) Operand {
	switch o := o.(type) {
	case Path:
		p := &c.paths[0]
		c.paths = c.paths[1:]
		*p = c.path(o)
		return boxedPath(p)
	case Value:
		v := &c.values[0]
		c.values = c.values[1:]
		*v = o
		return boxedValue(v)
	}
	return nil
}

func (c *filterCopier) cond(cd Cond) Cond {
	switch x := cd.(type) {
	case *Compare:
		p := &c.compares[0]
		c.compares = c.compares[1:]
		p.Op, p.L, p.R = x.Op, c.operand(x.L), c.operand(x.R)
		return p
	case *In:
		p := &c.ins[0]
		c.ins = c.ins[1:]
		p.L = c.path(x.L)
		if x.Values != nil {
			p.Values = c.values[:len(x.Values):len(x.Values)]
			c.values = c.values[len(x.Values):]
			copy(p.Values, x.Values)
		}
		return p
	case *Exists:
		p := &c.exists[0]
		c.exists = c.exists[1:]
		p.Var, p.Type, p.Over = x.Var, x.Type, c.path(x.Over)
		c.filter(&p.Cond, &x.Cond)
		return p
	case *Not:
		p := &c.nots[0]
		c.nots = c.nots[1:]
		p.C = c.cond(x.C)
		return p
	case *NotFilter:
		p := &c.notFilters[0]
		c.notFilters = c.notFilters[1:]
		c.filter(&p.F, &x.F)
		return p
	case *InSet:
		p := &c.inSets[0]
		c.inSets = c.inSets[1:]
		p.Path, p.Pred = c.path(x.Path), x.Pred
		return p
	case *Const:
		p := &c.consts[0]
		c.consts = c.consts[1:]
		*p = *x
		return p
	}
	panic("partial: compactFilter: condition not counted") // nodeCounts.cond accepts the same types
}
