package partial

import (
	"math/bits"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The filter an evaluation returns is copied out of the evaluator's memory.
//
// While it runs, an evaluation carves unknowns, conditions, operands and path
// steps from slabs, and prints condition keys into an arena (see eval.go and
// simplify.go); the filter it builds points into them. compactFilter copies
// the final filter into memory of its own, sized to it (one block holding an
// array per kind of node, see blockLayout; else one allocation per kind), so
// that nothing the caller gets points into the evaluator, and the evaluator can reuse its slabs and arena for the next
// evaluation instead of handing them to the garbage collector. (Allocation
// volume, not count, is what a filter costs in a process with a large heap:
// every byte allocated is paid again in marking.)
//
// The copy is the filter node for node: same types, same order, the same
// nil slices (an empty one is copied as nil when the filter has no node of
// its kind at all), the same values (Value.V is shared: the values held
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

// compactFilter returns a deep copy of f in memory of its own (see above):
// one block holding the filter and an array per kind of node (blockLayout),
// else one allocation per kind.
func compactFilter(f *Filter) (*Filter, bool) {
	var n nodeCounts
	if !n.filter(f) {
		return f, false
	}
	if l := layoutFor(&n); l != nil {
		var c filterCopier
		out := l.carve(&c)
		c.filter(out, f)
		return out, true
	}
	return compactSeparately(f, &n), true
}

// compactSeparately is compactFilter with one allocation per kind of node
// (n counts f's nodes).
func compactSeparately(f *Filter, n *nodeCounts) *Filter {
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
	return out
}

// Blocks. A struct type made with reflect.StructOf per distinct nodeCounts,
// {Filter; [branches]Branch; [conds]Cond; ...} (arrays of the kinds
// present), is allocated with one call instead of one per kind: about the
// same bytes (rounded to a size class once instead of per array), the
// garbage collector seeing every reference through the type's pointer map.
// Counts above 8 are rounded up to 4 significant bits (at most 1/8 more
// elements, as size classes round), so that filters differing in the length
// of a long list share a layout. The layouts are cached; past maxLayouts
// distinct ones (filters of very varied shapes), compactFilter allocates per
// kind.

// blockLayout is the block type for one nodeCounts, with the offset of
// each kind's array (in kinds order; unused for a count of 0).
type blockLayout struct {
	n   nodeCounts
	ptr reflect.Type // pointer to the block type (for reflect.New)
	typ reflect.Type
	off [numKinds]uintptr
}

const maxLayouts = 512

var (
	lastLayout atomic.Pointer[layoutHit] // the last layout used
	layoutMu   sync.RWMutex
	layouts    = map[nodeCounts]*blockLayout{} // by rounded counts
)

// layoutHit is a layout and counts it was used for (before rounding).
type layoutHit struct {
	n nodeCounts
	l *blockLayout
}

// numKinds is the number of kinds of nodes (fields of nodeCounts).
const numKinds = 13

// kinds returns n's counts, in the order of kindTypes.
func (n *nodeCounts) kinds() [numKinds]int {
	return [numKinds]int{n.branches, n.conds, n.compares, n.ins, n.values, n.paths, n.strs,
		n.exists, n.nots, n.notFilters, n.inSets, n.consts, n.preds}
}

var kindTypes = [numKinds]reflect.Type{
	reflect.TypeFor[Branch](), reflect.TypeFor[Cond](), reflect.TypeFor[Compare](), reflect.TypeFor[In](),
	reflect.TypeFor[Value](), reflect.TypeFor[Path](), reflect.TypeFor[string](), reflect.TypeFor[Exists](),
	reflect.TypeFor[Not](), reflect.TypeFor[NotFilter](), reflect.TypeFor[InSet](), reflect.TypeFor[Const](),
	reflect.TypeFor[Pred](),
}

// layoutFor returns the block layout for n (made and cached if new), or nil
// if maxLayouts are cached already.
func layoutFor(counts *nodeCounts) *blockLayout {
	if h := lastLayout.Load(); h != nil && h.n == *counts {
		return h.l
	}
	n := counts.rounded()
	layoutMu.RLock()
	l := layouts[n]
	layoutMu.RUnlock()
	if l == nil {
		layoutMu.Lock()
		defer layoutMu.Unlock()
		if l = layouts[n]; l == nil {
			if len(layouts) >= maxLayouts {
				return nil
			}
			l = newLayout(&n)
			layouts[n] = l
		}
	}
	lastLayout.Store(&layoutHit{*counts, l})
	return l
}

// rounded returns n with the counts above 8 rounded up to 4 significant
// bits (15 -> 15, 17 -> 18, 33 -> 36, 100 -> 104).
func (n nodeCounts) rounded() nodeCounts {
	if n.values <= 8 && n.strs <= 8 && n.conds <= 8 && n.compares <= 8 && n.paths <= 8 && n.branches <= 8 &&
		n.ins <= 8 && n.exists <= 8 && n.nots <= 8 && n.notFilters <= 8 && n.inSets <= 8 && n.consts <= 8 && n.preds <= 8 {
		return n
	}
	for _, p := range []*int{&n.branches, &n.conds, &n.compares, &n.ins, &n.values, &n.paths, &n.strs,
		&n.exists, &n.nots, &n.notFilters, &n.inSets, &n.consts, &n.preds} {
		*p = roundCount(*p)
	}
	return n
}

// roundCount rounds c up to 4 significant bits if above 8.
func roundCount(c int) int {
	if c <= 8 {
		return c
	}
	step := 1 << (bits.Len(uint(c)) - 4)
	return (c + step - 1) &^ (step - 1)
}

// newLayout makes the block layout for (rounded) counts n.
func newLayout(n *nodeCounts) *blockLayout {
	l := &blockLayout{n: *n}
	fields := []reflect.StructField{{Name: "Filter", Type: reflect.TypeFor[Filter]()}}
	var at [numKinds]int // field index per kind
	for k, count := range n.kinds() {
		if count > 0 {
			at[k] = len(fields)
			fields = append(fields, reflect.StructField{Name: "K" + kindTypes[k].Name(), Type: reflect.ArrayOf(count, kindTypes[k])})
		}
	}
	l.typ = reflect.StructOf(fields)
	l.ptr = reflect.PointerTo(l.typ)
	for k, count := range n.kinds() {
		if count > 0 {
			l.off[k] = l.typ.Field(at[k]).Offset
		}
	}
	return l
}

// carve allocates a block, sets c to carve its arrays, and returns its
// filter. (Rounded counts leave elements at the arrays' ends unused.)
func (l *blockLayout) carve(c *filterCopier) *Filter {
	base := reflect.New(l.typ).UnsafePointer()
	n := &l.n
	*c = filterCopier{
		branches:   blockArray[Branch](base, l.off[0], n.branches),
		conds:      blockArray[Cond](base, l.off[1], n.conds),
		compares:   blockArray[Compare](base, l.off[2], n.compares),
		ins:        blockArray[In](base, l.off[3], n.ins),
		values:     blockArray[Value](base, l.off[4], n.values),
		paths:      blockArray[Path](base, l.off[5], n.paths),
		strs:       blockArray[string](base, l.off[6], n.strs),
		exists:     blockArray[Exists](base, l.off[7], n.exists),
		nots:       blockArray[Not](base, l.off[8], n.nots),
		notFilters: blockArray[NotFilter](base, l.off[9], n.notFilters),
		inSets:     blockArray[InSet](base, l.off[10], n.inSets),
		consts:     blockArray[Const](base, l.off[11], n.consts),
		preds:      blockArray[Pred](base, l.off[12], n.preds),
	}
	return (*Filter)(base)
}

// blockArray returns the array of n T at offset off of a block (nil for
// none, as alloc).
func blockArray[T any](base unsafe.Pointer, off uintptr, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Add(base, off)), n)
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
	if len(f.Preds) == 0 {
		return true
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
	for i := range fs { // (a few: cheaper than copy's typedslicecopy)
		fs[i] = p.Fields[i]
	}
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
			vs := c.values[:len(x.Values):len(x.Values)]
			c.values = c.values[len(x.Values):]
			for i := range vs {
				vs[i] = x.Values[i]
			}
			p.Values = vs
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
