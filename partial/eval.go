package partial

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/loader"
)

// Limits of one evaluation; past them the filter is an error, never a guess.
const (
	maxSteps     = 1 << 20
	maxCallDepth = 200
)

// Unknown marks the argument of Query that stands for the unknown resource.
type Unknown struct {
	Type string // Polar class name
}

// evaluator explores every derivation of a query in which one argument is
// unknown. It is a depth-first interpreter in continuation-passing style:
// solve(goal, k) calls k once per derivation of goal; bindings are undone
// through a trail, constraints of the current branch are a stack truncated on
// backtracking.
type evaluator struct {
	h    host
	prog *loader.Program
	ix   *progIndex // the program compiled once (index.go)
	snap *snapCache // the policy snapshot's shared cache (snap.go), or nil
	sh   snapHost   // h when snap is set (h points here)
	// types being built by utypeOf, published to snap when complete
	building   []reflect.Type
	buildDepth int
	ctx        context.Context

	trail []trailEntry
	conds []Cond    // constraints of the current branch
	exs   []exFrame // existentials of the current branch
	top   *frame    // innermost active call
	neg   int       // number of enclosing negations
	steps int

	// nameLog holds the variable names used in the filter, in the order
	// given out (a set scanned linearly: few names; rolled back by
	// truncation); emitLog the existential names already closed into a
	// branch, in the order first emitted.
	nameLog []string
	emitLog []string
	out     *[]Branch // the branches collected by the innermost residual
	// collectFn is e.collect as a func value (bound once: a method value
	// allocates).
	collectFn func() error
	defRoot   bool // the next call is the root of a predicate definition
	types     map[reflect.Type]*utype
	tabled    []*tabled // recursive call patterns, named
	keys      *keyMemo  // condition keys memo shared by all simplifications
	// regions are the error regions recorded in the current residual: the
	// branches (as far as evaluated) on which the decision reaches a lookup
	// through a nil relation, an error. Not undone on backtracking.
	regions []region
	// orderUnsure is set when a call had applicable rules whose order in the
	// decision (most specific first) may differ from source order.
	orderUnsure bool
	eager       bool // calls matching a tabled pattern become InSet at once
	// constVars is false when no variable of the program names a
	// registered constant: a variable met for the first time is then not
	// looked up as one (see varsNameConstants).
	constVars bool
	// impure is set when the evaluation read something that may depend on
	// state outside the actor and the policy (a host method, `new`, a
	// non-scalar constant); such a filter is not cached.
	impure  bool
	pending []*tabled // tabled patterns whose definition is not computed yet
	scopes  []*scope  // recycled rule scopes
	frames  []*frame  // the frame stack: frames[:nframes] are active calls
	// lookMemo memoises field reads on known objects while the evaluation
	// is pure (see lookup).
	lookMemo []lookupMemo
	isaMemo  []isaMemo // IsA on known pointers (the actor), per evaluation
	// The answers that hold for a policy snapshot, kept across evaluations
	// of the same snapshot (memoSnap; per evaluation without one).
	*snapMemo
	memoSnap *snapCache
	nframes  int

	// Interned terms and conditions of this evaluation: the same field of
	// the same unknown is one *unk, the same comparison of an unknown with a
	// value one *Compare, so conditions shared by branches are printed
	// (keyed) once and allocated once. (Few: scanned linearly.)
	fieldMemo []fieldMemo
	cmpMemo   []cmpMemo
	cmpSlab   slab[Compare]
	condSlab  slab[Cond]
	valSlab   slab[Value]
	unkSlab   slab[unk]
	strSlab   slab[string]
	// raw residuals (rawResidual)
	filterSlab slab[Filter]
	branchSlab slab[Branch]
	// reuse: the filter returned was copied out of the slabs and the key
	// arena, which the next evaluation may then reuse (see release).
	reuse bool
}

// snapMemo holds what an evaluator memoises for a policy snapshot: lists
// (fieldOK, subMemo, typeIsa, keeps: FieldOf, SubclassOf, IsA by type,
// normKeeps) and direct-mapped tables (a key replaces the one in its slot,
// so they never grow). newEvaluator resets it when the snapshot changes.
type snapMemo struct {
	fieldOK   []fieldOKMemo                // see fieldOf
	subMemo   []subMemo                    // see subclassOf
	typeIsa   []typeIsaMemo                // see isaOfType
	keeps     []keepsMemo                  // see normKeeps
	fieldIx   [memoSlots]int32             // slots of fieldOK entries by type and name (see fieldOf)
	dotMemo   [memoSlots]dotMemo           // the field a plain dot reads on a receiver type (see dotField)
	isaTab    [memoSlots]isaTabEntry       // typeIsa answers by type word and class (see isa)
	calleeTab [memoSlots]calleeEntry       // the predicates of call sites (see callee)
	dispatch  [dispatchSlots]dispatchEntry // the rules a call tries (dispatch.go)
}

// reset empties m, keeping the lists' capacity.
func (m *snapMemo) reset() {
	clear(m.fieldOK)
	clear(m.subMemo)
	clear(m.typeIsa)
	clear(m.keeps)
	*m = snapMemo{fieldOK: m.fieldOK[:0], subMemo: m.subMemo[:0], typeIsa: m.typeIsa[:0], keeps: m.keeps[:0]}
}

// cmpValue returns the condition `u.path op v` for a scalar v, interned.
func (e *evaluator) cmpValue(op CmpOp, u *unk, v any) *Compare {
	if f, ok := v.(float64); ok && f != f {
		return &Compare{Op: op, L: u.path, R: Value{V: v}} // NaN is no map key
	}
	for i := range e.cmpMemo {
		if m := &e.cmpMemo[i]; m.u == u && m.op == op && m.v == v {
			return m.c
		}
	}
	c := e.newCompare()
	*c = Compare{Op: op, L: e.pathOperand(u), R: e.valueOperand(v)}
	e.cmpMemo = append(e.cmpMemo, cmpMemo{u, op, v, c})
	return c
}

// Slabs: conditions, unknowns and path steps made by one evaluation are
// carved from chunks (one allocation per chunk) instead of allocated one by
// one. The filter returned is copied out of them (compactFilter), and the
// chunks are reused by the pooled evaluator's next evaluation (slab.go).
const slabSize = 32

// valueOperand returns Value{V: v} as an Operand, the Value carved from a
// slab (see boxedValue).
func (e *evaluator) valueOperand(v any) Operand {
	p := e.valSlab.one()
	p.V = v
	return boxedValue(p)
}

// pathOperand returns u's path as an Operand, boxed once per unknown
// (pointing at u.path, which is never written after the unknown is made).
func (e *evaluator) pathOperand(u *unk) Operand {
	if u.op == nil {
		u.op = boxedPath(&u.path)
	}
	return u.op
}

func (e *evaluator) newCompare() *Compare { return e.cmpSlab.one() }

// condsCopy returns a copy of cs carved from a slab (capacity capped:
// appending to it copies).
func (e *evaluator) condsCopy(cs []Cond) []Cond {
	n := len(cs)
	if n == 0 {
		return nil
	}
	if n > slabSize {
		return append([]Cond(nil), cs...)
	}
	out := e.condSlab.take(n)
	copy(out, cs)
	return out
}

func (e *evaluator) newUnk(p Path, t *utype) *unk {
	u := e.unkSlab.one()
	*u = unk{path: p, t: t}
	return u
}

// extend is the package's extend with the new path's steps carved from a
// slab (capacity capped: appending to them copies).
func (e *evaluator) extend(p Path, f string) Path {
	n := len(p.Fields) + 1
	if n > slabSize/2 {
		return extend(p, f)
	}
	fs := e.strSlab.take(n)
	copy(fs, p.Fields)
	fs[n-1] = f
	return Path{Var: p.Var, Fields: fs}
}

// nilGuard returns `path != nil` for an unknown object that may be a nil
// relation, or nil.
func (e *evaluator) nilGuard(u *unk) Cond {
	if needsNilGuard(u) {
		return e.cmpValue(Neq, u, nil)
	}
	return nil
}

// needsNilGuard reports whether unknown u may be nil: a relation (the
// resource itself never is).
func needsNilGuard(u *unk) bool {
	return u.t.kind == ukObject && u.t.nillable && len(u.path.Fields) > 0
}

// pushNilGuard adds u's nil guard, if any, to the branch.
func (e *evaluator) pushNilGuard(u *unk) {
	if g := e.nilGuard(u); g != nil {
		e.conds = append(e.conds, g)
	}
}

type trailKind int

const (
	trBind trailKind = iota
	trIsa
)

type trailEntry struct {
	kind trailKind
	c    *cell
	old  string // trIsa: previous class
}

// exFrame is an existential introduced by `x in unknown.collection`.
type exFrame struct {
	name  string
	class string
	over  Path
	outAt int // branches produced when it was entered
}

// frame is an active call, for recursion detection.
type frame struct {
	pred    *loader.Pred
	args    []term // dereferenced at call time
	unbound []bool // args[i] was an unbound variable at call time
	neg     int
	parent  *frame
	depth   int
	tabled  *tabled // set when a later call repeated this one
	tpos    int     // position of the unknown of tabled
	argBuf  [4]term // storage for args and unbound of small calls
	unbBuf  [4]bool
}

// tabled is a recursive call pattern: predicate, known arguments and the
// position and type of the unknown. It becomes a Pred of the filter.
type tabled struct {
	pred *loader.Pred
	args []term // known values; args[pos] unused
	pos  int
	t    *utype
	name string
	body *Filter
}

type mark struct{ trail, conds, exs int }

func (e *evaluator) mark() mark { return mark{len(e.trail), len(e.conds), len(e.exs)} }

func (e *evaluator) undo(m mark) {
	for i := len(e.trail) - 1; i >= m.trail; i-- {
		t := e.trail[i]
		switch t.kind {
		case trBind:
			t.c.bound, t.c.val = false, nil
		case trIsa:
			t.c.isa = t.old
		}
	}
	e.trail = e.trail[:m.trail]
	e.conds = e.conds[:m.conds]
	e.exs = e.exs[:m.exs]
}

func (e *evaluator) push(c Cond) { e.conds = append(e.conds, c) }

// ---- errors

func (e *evaluator) errAt(pos ast.Pos, cause error, format string, args ...any) error {
	var fset *ast.FileSet
	if e.prog != nil {
		fset = e.prog.Fset
	}
	if fset == nil {
		fset = ast.NewFileSet()
	}
	msg := fmt.Sprintf(format, args...)
	if errors.Is(cause, ErrUnsupported) {
		msg = "cannot filter: " + msg
	}
	er := ast.NewError(fset, pos, ast.KindRuntime, "%s", msg)
	er.Err = cause
	return er
}

func (e *evaluator) unsupported(pos ast.Pos, format string, args ...any) error {
	return e.errAt(pos, ErrUnsupported, format, args...)
}

func (e *evaluator) runtime(pos ast.Pos, err error) error {
	var ae *ast.Error
	if errors.As(err, &ae) {
		return err
	}
	return e.errAt(pos, err, "%v", err)
}

var errStepLimit = errors.New("step limit exceeded")

func (e *evaluator) tick(pos ast.Pos) error {
	e.steps++
	if e.steps&(tickEvery-1) != 0 {
		return nil
	}
	return e.tickSlow(pos)
}

// tickGoal is tick for goal g, whose position is read only when needed.
func (e *evaluator) tickGoal(g ast.Expr) error {
	e.steps++
	if e.steps&(tickEvery-1) != 0 {
		return nil
	}
	return e.tickSlowGoal(g)
}

func (e *evaluator) tickSlowGoal(g ast.Expr) error { return e.tickSlow(g.Pos()) }

// tickEvery steps, the step limit and the context are checked (maxSteps is
// a multiple: the limit is checked when it is reached).
const tickEvery = 256

func (e *evaluator) tickSlow(pos ast.Pos) error {
	if e.steps > maxSteps {
		return e.errAt(pos, errStepLimit, "filter evaluation exceeded %d steps", maxSteps)
	}
	if e.ctx != nil {
		if err := e.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// fresh returns a variable name not used yet in this filter, based on hint.
func (e *evaluator) fresh(hint string) string {
	if hint == "" || hint == "_" || strings.HasPrefix(hint, "_") {
		hint = "x"
	}
	if hint == RootVar {
		hint = "r"
	}
	if !e.nameUsed(hint) {
		e.nameLog = append(e.nameLog, hint)
		return hint
	}
	for i := 2; ; i++ {
		n := hint + strconv.Itoa(i)
		if !e.nameUsed(n) {
			e.nameLog = append(e.nameLog, n)
			return n
		}
	}
}

func (e *evaluator) nameUsed(n string) bool { return slices.Contains(e.nameLog, n) }

func (e *evaluator) emitted(n string) bool { return slices.Contains(e.emitLog, n) }

// rollbackNames forgets the variable names given out and emitted since the
// logs had n and em entries (their branches were discarded), except
// predicate names.
func (e *evaluator) rollbackNames(n, em int) {
	e.nameLog = e.nameLog[:n]
	e.emitLog = e.emitLog[:em]
	for _, tb := range e.tabled {
		if !e.nameUsed(tb.name) {
			e.nameLog = append(e.nameLog, tb.name)
		}
	}
}

// ---- static types of unknowns

func (e *evaluator) utypeOf(t reflect.Type) *utype {
	// Complete types come from the snapshot's cache; e.types holds the
	// types built by this evaluation (all of them without a snapshot).
	if e.snap != nil {
		if u, ok := e.snap.loadType(t); ok {
			return u
		}
	}
	if u, ok := e.types[t]; ok {
		return u
	}
	if e.types == nil {
		e.types = map[reflect.Type]*utype{}
	}
	u := &utype{}
	e.types[t] = u
	if e.snap != nil {
		// Published to the shared cache once complete: when the outermost
		// build (element types included) returns.
		e.building = append(e.building, t)
		e.buildDepth++
		defer func() {
			e.buildDepth--
			if e.buildDepth == 0 {
				e.snap.storeTypes(e.building, e.types)
				e.building = e.building[:0]
			}
		}()
	}
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
		u.nillable = true
	}
	u.typ = base
	u.class = base.Name()
	switch {
	case base == timeType:
		u.kind, u.cat = ukScalar, catTime
	case base == durationType:
		u.kind, u.cat = ukScalar, catDuration
	default:
		switch base.Kind() {
		case reflect.Struct:
			u.kind = ukObject
			if c, ok := e.classOfType(base); ok {
				u.class = c
			}
		case reflect.Slice, reflect.Array:
			u.kind = ukColl
			u.nillable = u.nillable || base.Kind() == reflect.Slice
			u.elem = e.utypeOf(base.Elem())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
			reflect.Float32, reflect.Float64:
			u.kind, u.cat = ukScalar, catNum
		case reflect.String:
			u.kind, u.cat = ukScalar, catString
		case reflect.Bool:
			u.kind, u.cat = ukScalar, catBool
		default:
			u.kind = ukOpaque
			u.nillable = true
		}
	}
	return u
}

func (e *evaluator) classOfType(t reflect.Type) (string, bool) {
	if c, ok := e.h.ClassOf(reflect.New(t).Interface()); ok {
		return c, true
	}
	return e.h.ClassOf(reflect.New(t).Elem().Interface())
}

// classMatch decides a class specializer on an unknown statically.
func (e *evaluator) classMatch(u *utype, class string) bool {
	switch class {
	case loader.ActorUnion:
		return u.kind == ukObject && e.prog.IsActor(u.class)
	case loader.ResourceUnion:
		return u.kind == ukObject && e.prog.IsResource(u.class)
	case "Integer":
		if u.kind != ukScalar || u.cat != catNum {
			return false
		}
		k := u.typ.Kind()
		return k != reflect.Float32 && k != reflect.Float64
	case "Float":
		return u.kind == ukScalar && (u.typ.Kind() == reflect.Float32 || u.typ.Kind() == reflect.Float64)
	case "String":
		return u.kind == ukScalar && u.cat == catString
	case "Boolean":
		return u.kind == ukScalar && u.cat == catBool
	case "List":
		return u.kind == ukColl
	case "Dictionary":
		return false
	}
	if u.kind != ukObject {
		return false
	}
	return u.class == class || e.subclassOf(u.class, class)
}

// subclassOf is the host's SubclassOf, memoised in the evaluator (a few
// class pairs, asked for every rule tried; see subMemo).
func (e *evaluator) subclassOf(sub, super string) bool {
	for i := range e.subMemo {
		if m := &e.subMemo[i]; m.sub == sub && m.super == super {
			return m.ok
		}
	}
	ok := e.h.SubclassOf(sub, super)
	if len(e.subMemo) < maxFieldOK {
		e.subMemo = append(e.subMemo, subMemo{sub, super, ok})
	}
	return ok
}

type subMemo struct {
	sub, super string
	ok         bool
}

// classCompatible reports whether values of the two classes can be equal.
func (e *evaluator) classCompatible(a, b string) bool {
	return a == b || e.subclassOf(a, b) || e.subclassOf(b, a)
}

// ---- running

// run evaluates name(args...) and returns the simplified filter. Exactly one
// argument is an Unknown.
func (e *evaluator) run(name string, args []any) (f *Filter, err error) {
	defer func() {
		// Fail closed: a bug or a host panic is an error, never a filter.
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("partial: internal error evaluating %s: %v", name, r)
		}
	}()
	if e.ctx != nil {
		if err := e.ctx.Err(); err != nil {
			return nil, err
		}
	}
	var buf [4]term
	terms := buf[:0]
	if len(args) <= len(buf) {
		terms = buf[:len(args)]
	} else {
		terms = make([]term, len(args))
	}
	resType := ""
	for i, a := range args {
		u, ok := a.(Unknown)
		if !ok {
			if p, ok := a.(*Unknown); ok && p != nil {
				u, ok = *p, true
			}
		}
		if !ok {
			terms[i] = a
			continue
		}
		if resType != "" {
			return nil, fmt.Errorf("partial: only one unknown argument is supported")
		}
		t, found := e.h.ClassType(u.Type)
		if !found {
			return nil, fmt.Errorf("partial: unknown class %q", u.Type)
		}
		ut := e.utypeOf(t)
		if ut.kind != ukObject {
			return nil, fmt.Errorf("partial: class %q is not a struct type", u.Type)
		}
		resType = ut.class
		terms[i] = e.newUnk(Path{Var: RootVar}, ut)
	}
	if resType == "" {
		return nil, fmt.Errorf("partial: no unknown argument")
	}
	e.nameLog = append(e.nameLog, RootVar)
	e.eager = true
	main := func(k func() error) error { return e.call(name, terms, ast.NoPos, k) }
	out, regions, err := e.rawResidual(main)
	if err != nil {
		return nil, err
	}
	out = excludeRegions(out, regions, !e.orderUnsure)
	out.Type = resType
	// Define the recursive predicates found (which may find more).
	for len(e.pending) > 0 {
		tb := e.pending[0]
		e.pending = e.pending[1:]
		hint := "x"
		if tb.t.class != "" {
			hint = strings.ToLower(tb.t.class[:1])
		}
		param := e.fresh(hint)
		args := append([]term(nil), tb.args...)
		args[tb.pos] = &unk{path: Path{Var: param}, t: tb.t}
		body, regions, err := e.rawResidual(func(k func() error) error {
			e.defRoot = true
			return e.call(tb.pred.Name, args, ast.NoPos, k)
		})
		if err != nil {
			return nil, err
		}
		body = excludeRegions(body, regions, false)
		body.Type = tb.t.class
		if out.Preds == nil {
			out.Preds = map[string]*Pred{}
		}
		out.Preds[tb.name] = &Pred{Name: tb.name, Type: tb.t.class, Param: param, Body: *body}
	}
	out = e.uniqueExists(out.simplify(e.keys))
	out, e.reuse = compactFilter(out)
	return out, nil
}

// residual collects every derivation of run as an OR of ANDs, in a fresh
// branch (the current constraints are set aside and restored); bindings made
// by run are undone.
func (e *evaluator) residual(run func(k func() error) error) (*Filter, []region, error) {
	out, regions, err := e.rawResidual(run)
	if err != nil {
		return nil, nil, err
	}
	s := simplifier{keys: e.keys}
	return s.filter(out), regions, nil
}

// rawResidual is residual without simplification (for results that are
// simplified later as a whole).
func (e *evaluator) rawResidual(run func(k func() error) error) (*Filter, []region, error) {
	savedConds, savedExs, savedRegions := e.conds, e.exs, e.regions
	// The residual's branch starts empty, on the free tail of the same
	// stacks (the saved parts are not written: marks and undo are relative
	// to the new slices, and branches copy their conditions).
	e.conds, e.exs, e.regions = e.conds[len(e.conds):], e.exs[len(e.exs):], nil
	m := e.mark()
	// The raw residual is scratch of this evaluation (what is returned is
	// simplified, then copied out): carved from slabs.
	out := e.filterSlab.one()
	*out = Filter{Branches: e.branchSlab.take(4)[:0]}
	savedOut := e.out
	e.out = &out.Branches
	if e.collectFn == nil {
		e.collectFn = e.collect // bound once per pooled evaluator
	}
	err := run(e.collectFn)
	e.out = savedOut
	e.undo(m)
	regions := e.regions
	e.conds, e.exs, e.regions = savedConds, savedExs, savedRegions
	if err != nil {
		return nil, nil, err
	}
	return out, regions, nil
}

// collect is the continuation of a residual's goal: one more branch.
func (e *evaluator) collect() error {
	*e.out = append(*e.out, e.buildBranch())
	return nil
}

// recordRegion records the current branch, with extra conditions, as an
// error region.
//
// Its position is the number of branches produced before it, or, inside an
// existential (`m in resource.ms ...`), before the first existential of the
// branch was entered: the decision iterates the elements in an order the
// filter does not know, so every branch produced since is treated as coming
// after the error.
func (e *evaluator) recordRegion(extra ...Cond) {
	at := len(*e.out)
	if len(e.exs) > 0 && e.exs[0].outAt < at {
		at = e.exs[0].outAt
	}
	n := len(e.conds)
	e.conds = append(e.conds, extra...)
	br := e.buildBranch()
	e.conds = e.conds[:n]
	e.regions = append(e.regions, region{br: br, at: at})
}

// mentionsLocalExists reports whether c mentions an existential of the
// current branch.
func (e *evaluator) mentionsLocalExists(c Cond) bool {
	for _, x := range e.exs {
		if mentions(c, x.name) {
			return true
		}
	}
	return false
}

// region is an error region, recorded after the first at branches of its
// residual were produced (in evaluation order).
type region struct {
	br Branch
	at int
}

// buildBranch closes the current branch: the constraints that mention an
// existential go inside its Exists (innermost first).
func (e *evaluator) buildBranch() Branch {
	cs := e.condsCopy(e.conds)
	for i := len(e.exs) - 1; i >= 0; i-- {
		x := e.exs[i]
		in := make([]Cond, 0, len(cs))
		out := make([]Cond, 0, len(cs)+1)
		at := -1
		for _, c := range cs {
			if mentions(c, x.name) {
				if at < 0 {
					at = len(out)
				}
				in = append(in, c)
			} else {
				out = append(out, c)
			}
		}
		name := x.name
		if e.emitted(name) {
			// The same existential closes several branches (an `or` after
			// `m in ...`): each copy gets its own name.
			name = e.fresh(x.name)
			for j, c := range in {
				in[j] = renameCond(c, x.name, name)
			}
		}
		if !e.emitted(name) {
			e.emitLog = append(e.emitLog, name)
		}
		ex := &Exists{Var: name, Type: x.class, Over: x.over,
			Cond: Filter{Type: x.class, Branches: []Branch{{Conds: in}}}}
		if at < 0 {
			at = len(out)
		}
		out = append(out, nil)
		copy(out[at+1:], out[at:])
		out[at] = ex
		cs = out
	}
	return Branch{Conds: cs}
}

// ---- goals

// errFail is a lookup that fails quietly, as in the decision: a dictionary
// without the key. The goal that made it fails.
var errFail = errors.New("partial: no such key")

func (e *evaluator) solve(g ast.Expr, sc *scope, k func() error) error {
	// Errors come back from the continuation too, but the innermost solve on
	// the stack is the goal that raised errFail: only it fails.
	if err := e.solveGoal(g, sc, k); err != errFail {
		return err
	}
	return nil
}

func (e *evaluator) solveGoal(g ast.Expr, sc *scope, k func() error) error {
	if err := e.tickGoal(g); err != nil {
		return err
	}
	switch x := g.(type) {
	case *ast.Paren:
		return e.solve(x.X, sc, k)
	case *ast.And:
		return e.solveAnd(x.Goals, sc, k)
	case *ast.Or:
		for _, sub := range x.Goals {
			m := e.mark()
			err := e.solve(sub, sc, k)
			e.undo(m)
			if err != nil {
				return err
			}
		}
		return nil
	case *ast.Not:
		return e.solveNot(func(k func() error) error { return e.solve(x.Goal, sc, k) }, k)
	case *ast.Forall:
		// forall(c, a) holds iff not (c and not a).
		return e.solveNot(func(k1 func() error) error {
			return e.solve(x.Cond, sc, func() error {
				return e.solveNot(func(k2 func() error) error { return e.solve(x.Action, sc, k2) }, k1)
			})
		}, k)
	case *ast.Call:
		if len(x.Kwargs) > 0 {
			return e.unsupported(x.At, "keyword arguments in a rule call")
		}
		// call copies its arguments into its frame: small argument lists
		// live on the stack.
		var buf [4]term
		args := buf[:0]
		if len(x.Args) <= len(buf) {
			args = buf[:len(x.Args)]
		} else {
			args = make([]term, len(x.Args))
		}
		for i, a := range x.Args {
			// (A variable of the scope or a string, the common
			// arguments, without the call of term.)
			switch v := a.(type) {
			case *ast.Var:
				if c, ok := sc.lookup(v.Name); ok {
					args[i] = c
					continue
				}
			case *ast.StringLit:
				args[i] = boxedString(&v.Value)
				continue
			}
			t, err := e.term(a, sc)
			if err != nil {
				return err
			}
			args[i] = t
		}
		return e.callPred(e.callee(x, len(args)), args, x.At, k)
	case *ast.Binary:
		return e.solveBinary(x, sc, k)
	case *ast.BoolLit:
		if x.Value {
			return k()
		}
		return nil
	case *ast.Cut:
		return e.unsupported(x.At, "cut while the resource is unknown")
	case *ast.Print, *ast.Debug:
		return k()
	case *ast.Dot, *ast.Var:
		t, err := e.term(x, sc)
		if err != nil {
			return err
		}
		return e.truth(t, x.Pos(), k)
	}
	return e.unsupported(g.Pos(), "%s as a goal", describeExpr(g))
}

// truth succeeds when t is true; an unknown boolean becomes `path = true`.
func (e *evaluator) truth(t term, pos ast.Pos, k func() error) error {
	t = deref(t)
	switch x := t.(type) {
	case bool:
		if x {
			return k()
		}
		return nil
	case *unk:
		if x.t.kind == ukScalar && x.t.cat == catBool {
			e.push(e.cmpValue(Eq, x, true))
			return k()
		}
		return e.unsupported(pos, "%s used as a condition", x.path)
	case *cell:
		return e.unsupported(pos, "unbound variable used as a condition")
	}
	return e.errAt(pos, ast.ErrRuntime, "%s is not a boolean condition", describeValue(t))
}

func (e *evaluator) solveAnd(goals []ast.Expr, sc *scope, k func() error) error {
	if len(goals) == 0 {
		return k()
	}
	return e.solve(goals[0], sc, func() error { return e.solveAnd(goals[1:], sc, k) })
}

// solveNot: not G. The residual R of G decides: no derivation -> succeed
// unconstrained; an unconstrained derivation -> fail; else the negation of R
// is added (a disjunction of single conditions becomes a conjunction of their
// negations; anything else a NotFilter). Bindings made by G are discarded.
//
// Error regions: inside G, a lookup through a relation that may be nil is an
// error in a decision when the relation is nil, which denies the row; a
// negation must not turn it into an accepted row. The regions recorded in G
// (the branch as far as evaluated, and `relation = nil`) are added to R
// before negating, so those rows are excluded, and recorded in the enclosing
// residual too (an enclosing negation, or the whole filter, excludes them).
func (e *evaluator) solveNot(g func(k func() error) error, k func() error) error {
	e.neg++
	raw, regions, err := e.rawResidual(g)
	e.neg--
	if err != nil {
		return err
	}
	s0 := simplifier{keys: e.keys}
	r := s0.filter(raw)
	if len(regions) > 0 {
		var all []Branch
		for _, rg := range regions {
			all = append(all, rg.br)
			// The decision reaches this error only if no derivation of G
			// succeeded before it (when the order is known).
			conds := rg.br.Conds
			if at := min(rg.at, len(raw.Branches)); !e.orderUnsure && at > 0 {
				guard, ok := negatedGuard(raw.Type, raw.Branches[:at])
				if !ok {
					continue
				}
				conds = append(append([]Cond(nil), guard...), conds...)
			}
			e.recordRegion(conds...)
		}
		// Regions first: evaluated in order (Match), they decide a nil
		// relation before any lookup through it. (`not G` fails on a success
		// of G and on an error before it: the complement of both, whatever
		// their order.)
		all = append(all, r.Branches...)
		s := simplifier{keys: e.keys}
		r = s.filter(&Filter{Type: r.Type, Branches: all})
	}
	return e.negated(r, k)
}

// excludeRegions excludes the error regions from a complete residual: a row
// on which the decision reaches an error before a success is denied. With
// ordered set, the branches and regions are in the decision's order, so a
// branch excludes only the regions recorded before it (the decision stops at
// its first success); otherwise every branch excludes every region (narrower
// than the decision where an earlier rule succeeds first, never wider). The
// guards come first in each branch, so that Match decides the nil case
// before any lookup through the relation.
func excludeRegions(r *Filter, regions []region, ordered bool) *Filter {
	if len(regions) == 0 {
		return r
	}
	out := &Filter{Type: r.Type, Preds: r.Preds}
	for i, br := range r.Branches {
		var before []Branch
		for _, rg := range regions {
			if !ordered || rg.at <= i {
				before = append(before, rg.br)
			}
		}
		guard, ok := negatedGuard(r.Type, before)
		if !ok {
			continue // an error before this branch on every row
		}
		out.Branches = append(out.Branches, Branch{Conds: append(guard, br.Conds...)})
	}
	return out
}

// negatedGuard returns conditions that hold iff no branch of bs holds;
// ok=false if that is never the case.
func negatedGuard(typ string, bs []Branch) ([]Cond, bool) {
	if len(bs) == 0 {
		return nil, true
	}
	s := simplifier{}
	errs := s.filter(&Filter{Type: typ, Branches: bs})
	switch {
	case errs.IsDenyAll():
		return nil, true
	case errs.IsAllowAll():
		return nil, false
	}
	for _, br := range errs.Branches {
		if len(br.Conds) != 1 {
			return []Cond{&NotFilter{F: *errs}}, true
		}
	}
	guard := make([]Cond, len(errs.Branches))
	for i, br := range errs.Branches {
		guard[i] = negate(br.Conds[0])
	}
	return guard, true
}

// negated continues with the negation of residual r added to the branch.
func (e *evaluator) negated(r *Filter, k func() error) error {
	switch {
	case r.IsDenyAll():
		return k()
	case r.IsAllowAll():
		return nil
	}
	for _, br := range r.Branches {
		if len(br.Conds) != 1 {
			m := e.mark()
			e.push(&NotFilter{F: *r})
			err := k()
			e.undo(m)
			return err
		}
	}
	m := e.mark()
	var err error
	var positives []*Filter
	for _, br := range r.Branches {
		if nf, ok := br.Conds[0].(*NotFilter); ok {
			positives = append(positives, &nf.F)
			continue
		}
		e.push(negate(br.Conds[0]))
	}
	err = e.conjoin(positives, k)
	e.undo(m)
	return err
}

// conjoin adds the conjunction of fs (each an OR of ANDs) to the branch,
// distributing: one derivation per combination of branches.
func (e *evaluator) conjoin(fs []*Filter, k func() error) error {
	if len(fs) == 0 {
		return k()
	}
	for _, br := range fs[0].Branches {
		m := e.mark()
		e.conds = append(e.conds, br.Conds...)
		err := e.conjoin(fs[1:], k)
		e.undo(m)
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *evaluator) solveBinary(x *ast.Binary, sc *scope, k func() error) error {
	switch x.Op {
	case ast.OpMatches:
		l, err := e.term(x.L, sc)
		if err != nil {
			return err
		}
		m := e.mark()
		ok, err := e.checkSpec(x.R, l, sc, x.At)
		if err == nil && ok {
			err = k()
		}
		e.undo(m)
		return err
	case ast.OpAssign:
		v, ok := x.L.(*ast.Var)
		if !ok {
			return e.errAt(x.At, ast.ErrRuntime, "can only assign to a variable")
		}
		c := sc.get(e, v.Name)
		if c.bound {
			return e.errAt(x.At, ast.ErrRuntime, "cannot assign to %s: already bound", v.Name)
		}
		r, err := e.term(x.R, sc)
		if err != nil {
			return err
		}
		return e.unifyThen(c, r, x.At, k)
	}
	if d, ok := plainDot(x.L); ok && x.Op == ast.OpUnify {
		return e.unifyField(x, d, sc, k)
	}
	if d, ok := plainDot(x.R); ok && x.Op == ast.OpIn {
		return e.memberField(x, d, sc, k)
	}
	l, err := e.term(x.L, sc)
	if err != nil {
		return err
	}
	r, err := e.term(x.R, sc)
	if err != nil {
		return err
	}
	switch x.Op {
	case ast.OpUnify:
		return e.unifyThen(l, r, x.At, k)
	case ast.OpIn:
		return e.member(l, r, x.At, k)
	}
	if op, ok := cmpOpOf(x.Op); ok {
		m := e.mark()
		ok, err := e.compare(op, l, r, x.At)
		if err == nil && ok {
			err = k()
		}
		e.undo(m)
		return err
	}
	return e.errAt(x.At, ast.ErrRuntime, "%s is not a goal", x.Op)
}

// unifyField is `recv.f = R` (d is recv.f), evaluated as term and
// unifyThen would: the receiver, then the field, then R. When the receiver is
// a known object and f a scalar field at a fixed offset, reading the field
// cannot fail and has no effect, so R may be evaluated first; if R is then a
// known scalar, the field is compared with it in place (engine.FieldEquals:
// what unify, through engine.Equal, answers on the value the read returns),
// without boxing the field's value. (A role name against each role of the
// actor's list is the common case.)
func (e *evaluator) unifyField(x *ast.Binary, d *ast.Dot, sc *scope, k func() error) error {
	recv, fi, err := e.knownField(d, sc)
	if err != nil {
		return err
	}
	if fi != nil && !engine.DirectField(recv, fi) {
		fi = nil
	}
	if fi == nil {
		l, err := e.lookup(recv, d.Name, d.At)
		if err != nil {
			return err
		}
		r, err := e.term(x.R, sc)
		if err != nil {
			return err
		}
		return e.unifyThen(l, r, x.At, k)
	}
	r, err := e.term(x.R, sc)
	if err != nil {
		return err
	}
	switch o := deref(r).(type) {
	case string, int64, float64, bool:
		if engine.FieldEquals(recv, fi, o) {
			return k()
		}
		return nil
	}
	var l term
	if !e.impure {
		// What lookup reads for a struct field through a pointer while
		// the evaluation is pure (fi is its field), without the memo.
		l, err = e.h.ReadField(recv, fi, d.Name)
		if err != nil {
			if e.h.NoSuchKey(err) {
				return nil
			}
			return e.runtime(d.At, err)
		}
	} else if l, err = e.lookup(recv, d.Name, d.At); err != nil {
		return err
	}
	return e.unifyThen(l, r, x.At, k)
}

// memberField is `L in recv.f` (d is recv.f), evaluated as term and member
// would: L, the receiver, the field, then member. When the field is a Go
// slice or array that the read returns as it is (engine.FieldList), its
// elements are visited in place instead of through the slice boxed into an
// interface.
func (e *evaluator) memberField(x *ast.Binary, d *ast.Dot, sc *scope, k func() error) error {
	l, err := e.term(x.L, sc)
	if err != nil {
		return err
	}
	recv, fi, err := e.knownField(d, sc)
	if err != nil {
		return err
	}
	if fi != nil {
		if rv, ok := engine.FieldList(recv, fi); ok {
			if elems, ok := viewListValue(rv); ok {
				return e.memberList(deref(l), elems, x.At, k)
			}
		}
	}
	r, err := e.lookup(recv, d.Name, d.At)
	if err != nil {
		return err
	}
	return e.member(l, r, x.At, k)
}

// plainDot returns x as a plain field read recv.f: not a method call, not a
// dynamic key, and a receiver that is not a class.
func plainDot(x ast.Expr) (*ast.Dot, bool) {
	d, ok := x.(*ast.Dot)
	if !ok || d.IsCall || d.Key != nil {
		return nil, false
	}
	if _, isClass := d.X.(*ast.ClassRef); isClass {
		return nil, false
	}
	return d, true
}

// knownField evaluates the receiver of the plain field read d (dereferenced)
// and, when it is a known object read while the evaluation is pure, resolves
// the field (nil otherwise, or if the type has no such field).
func (e *evaluator) knownField(d *ast.Dot, sc *scope) (term, *engine.FieldInfo, error) {
	var recv term
	if v, ok := d.X.(*ast.Var); ok {
		if c, ok := sc.lookup(v.Name); ok {
			recv = c // what term gives for a variable of the scope
		}
	}
	if recv == nil {
		var err error
		if recv, err = e.term(d.X, sc); err != nil {
			return nil, nil, err
		}
	}
	recv = deref(recv)
	if e.impure || !isKnownPointer(recv) {
		return recv, nil, nil
	}
	return recv, e.dotField(d, recv), nil
}

// dotField is fieldOf for the field d names on recv (a known pointer),
// memoised per Dot node and receiver type within the evaluation (the same
// `role.Role` is read for every element of a list: the node and the type
// are compared as pointers, not the name); nil if there is no such field.
func (e *evaluator) dotField(d *ast.Dot, recv term) *engine.FieldInfo {
	typ := efaceType(recv)
	m := &e.dotMemo[slotOf(uintptr(unsafe.Pointer(d)), uintptr(typ))]
	if m.d == d && m.typ == typ {
		return m.fi
	}
	fi, ok := e.fieldOf(reflect.TypeOf(recv).Elem(), d.Name)
	if !ok {
		fi = nil
	}
	*m = dotMemo{d, typ, fi}
	return fi
}

// callee is the predicate call site x calls (nil: none), from the
// program's index through a direct-mapped table kept like fieldOK.
func (e *evaluator) callee(x *ast.Call, arity int) *predInfo {
	m := &e.calleeTab[slotOf(uintptr(unsafe.Pointer(x)), 0)]
	if m.call == x {
		return m.pi
	}
	pi, ok := e.ix.calls[x]
	if !ok {
		pi = e.pred(x.Name, arity)
	}
	*m = calleeEntry{x, pi}
	return pi
}

type calleeEntry struct {
	call *ast.Call
	pi   *predInfo
}

// memoSlots is the size of snapMemo's direct-mapped tables (fieldIx,
// dotMemo, isaTab, calleeTab): an entry replaces the one in its slot, so
// they never grow.
const memoSlots = 64

// slotOf mixes two words into a slot of a memo table.
func slotOf(a, b uintptr) uint {
	return uint((a^(b*0x9E3779B97F4A7C15))*0x9E3779B97F4A7C15) >> 58 // 6 bits: memoSlots
}

type dotMemo struct {
	d   *ast.Dot
	typ unsafe.Pointer // the receiver's dynamic type
	fi  *engine.FieldInfo
}

// isKnownPointer reports whether t is a non-nil pointer of the host's (not a
// term of the evaluator's own).
func isKnownPointer(t term) bool {
	switch t.(type) {
	case nil, *unk, *cell, *listT, *dictT:
		return false
	}
	ef := (*eface)(unsafe.Pointer(&t))
	return ef.data != nil && reflect.TypeOf(t).Kind() == reflect.Pointer
}

func (e *evaluator) unifyThen(a, b term, pos ast.Pos, k func() error) error {
	m := e.mark()
	ok, err := e.unify(a, b, pos)
	if err == nil && ok {
		err = k()
	}
	e.undo(m)
	return err
}

// ---- calls

func (e *evaluator) call(name string, args []term, pos ast.Pos, k func() error) error {
	return e.callPred(e.pred(name, len(args)), args, pos, k)
}

// callPred is call with the predicate looked up (nil: none).
func (e *evaluator) callPred(pi *predInfo, args []term, pos ast.Pos, k func() error) error {
	if err := e.tick(pos); err != nil {
		return err
	}
	if pi == nil {
		return nil
	}
	fr := e.pushFrame()
	err := e.callFrame(pi, fr, args, pos, k)
	e.popFrame(fr)
	return err
}

// pushFrame returns a cleared frame from the evaluator's frame stack. Calls
// nest (a call's frame is popped when the call returns, after every call
// made inside it), so frames are recycled in stack order. Frames above the
// stack are always cleared (by popFrame, or by release after a panic).
func (e *evaluator) pushFrame() *frame {
	var fr *frame
	if e.nframes < len(e.frames) {
		fr = e.frames[e.nframes]
	} else {
		fr = &frame{}
		e.frames = append(e.frames, fr)
	}
	e.nframes++
	return fr
}

func (e *evaluator) popFrame(fr *frame) {
	e.nframes--
	*fr = frame{} // drop references to terms
}

func (e *evaluator) callFrame(pi *predInfo, fr *frame, args []term, pos ast.Pos, k func() error) error {
	pred := pi.pred
	fr.pred, fr.neg, fr.parent = pred, e.neg, e.top
	if len(args) <= len(fr.argBuf) {
		fr.args, fr.unbound = fr.argBuf[:len(args)], fr.unbBuf[:len(args)]
	} else {
		fr.args, fr.unbound = make([]term, len(args)), make([]bool, len(args))
	}
	for i, a := range args {
		a = deref(a)
		fr.args[i] = a
		_, fr.unbound[i] = a.(*cell)
	}
	if e.top != nil {
		fr.depth = e.top.depth + 1
	}
	if fr.depth > maxCallDepth {
		return e.unsupported(pos, "rule calls nested deeper than %d (recursion that does not go through the unknown resource?)", maxCallDepth)
	}
	// A call matching a pattern already known to be recursive is a
	// reference to its predicate (except the call that defines it).
	if e.eager && !e.defRoot {
		if tb, pos0 := e.findTabled(fr); tb != nil {
			m := e.mark()
			e.push(&InSet{Path: fr.args[pos0].(*unk).path, Pred: tb.name})
			err := k()
			e.undo(m)
			return err
		}
	}
	// Recursion: a call that repeats an active call's pattern.
	for anc := e.top; anc != nil; anc = anc.parent {
		if anc.pred != pred {
			continue
		}
		same, err := e.samePattern(anc, fr)
		if err != nil {
			return err
		}
		if !same {
			continue
		}
		return e.recursive(anc, fr, pos, k)
	}
	root := e.defRoot
	e.defRoot = false
	entryBranches, entryNames, entryEmits, entryRegions := len(*e.out), len(e.nameLog), len(e.emitLog), len(e.regions)
	saved := e.top
	e.top = fr
	defer func() { e.top = saved }()
	cont := func() error {
		// The caller's continuation runs outside this call.
		e.top = saved
		err := k()
		e.top = fr
		return err
	}
	var firstSig string
	applicable := 0
	rules, checked := e.dispatchFor(pi, fr.args)
	for _, i := range rules {
		ri := &pi.rules[i]
		if !checked && e.quickReject(ri, fr.args) {
			continue
		}
		r := ri.rule
		m := e.mark()
		sc := e.newScope()
		ok, err := e.matchParams(ri, fr.args, sc, checked)
		if err == errFail {
			ok, err = false, nil // a pattern field that is not there: not applicable
		}
		if ok && !e.orderUnsure {
			// The decision tries applicable rules most specific first; with
			// the same specializers everywhere that is source order.
			sig := ri.sig
			if applicable == 0 {
				firstSig = sig
			} else if sig != firstSig {
				e.orderUnsure = true
			}
			applicable++
		}
		if err == nil && ok {
			if r.Body == nil {
				err = cont()
			} else {
				err = e.solve(r.Body, sc, cont)
			}
		}
		e.undo(m)
		if err != nil {
			return err
		}
		e.freeScope(sc)
	}
	if fr.tabled != nil && !root {
		// A call inside repeated this one: it is recursive. The branches it
		// produced (one unrolled step) are replaced by a reference to its
		// predicate, which is defined separately.
		*e.out = (*e.out)[:entryBranches]
		// Its error regions are the predicate's, excluded in its definition.
		e.regions = e.regions[:entryRegions]
		e.rollbackNames(entryNames, entryEmits)
		e.top = saved
		m := e.mark()
		e.push(&InSet{Path: fr.args[fr.tpos].(*unk).path, Pred: fr.tabled.name})
		err := k()
		e.undo(m)
		return err
	}
	return nil
}

// samePattern reports whether call fr repeats anc: equal known arguments,
// unknowns of the same type, unbound variables in the same positions.
func (e *evaluator) samePattern(anc, fr *frame) (bool, error) {
	// First the arguments decided without the host (a different role name
	// settles it before the actors are compared), then the others.
	general := false
	for i, a := range fr.args {
		b := anc.args[i]
		if fr.unbound[i] || anc.unbound[i] {
			if fr.unbound[i] != anc.unbound[i] {
				return false, nil
			}
			continue
		}
		ua, aok := a.(*unk)
		ub, bok := b.(*unk)
		if aok || bok {
			if !aok || !bok || !sameType(ua.t, ub.t) {
				return false, nil
			}
			continue
		}
		if sa, ok := a.(string); ok {
			if sb, ok := b.(string); ok {
				if sa != sb { // engine.Equal on two strings
					return false, nil
				}
				continue
			}
		}
		general = true
	}
	if !general {
		return true, nil
	}
	for i, a := range fr.args {
		b := anc.args[i]
		if fr.unbound[i] || anc.unbound[i] {
			continue
		}
		_, aok := a.(*unk)
		_, bok := b.(*unk)
		if aok || bok {
			continue
		}
		if _, ok := a.(string); ok {
			if _, ok := b.(string); ok {
				continue
			}
		}
		ka, aok := resolve(a)
		kb, bok := resolve(b)
		if !aok || !bok {
			// Structures holding unknowns or variables: only the very same
			// term repeats.
			if a != b {
				return false, nil
			}
			continue
		}
		if !e.h.Equal(ka, kb) {
			return false, nil
		}
	}
	return true, nil
}

// recursive handles a call fr that repeats the active call anc. On known
// arguments only, the repeat cannot add answers (least fixpoint): it fails.
// With one unknown object it becomes a reference to the tabled predicate.
func (e *evaluator) recursive(anc, fr *frame, pos ast.Pos, k func() error) error {
	pos0 := -1
	for i, a := range fr.args {
		if fr.unbound[i] {
			if hasUnknownArgs(fr) {
				return e.unsupported(pos, "recursive rule %s/%d with an unbound argument over the unknown resource", fr.pred.Name, len(fr.args))
			}
			continue
		}
		if u, ok := a.(*unk); ok {
			if u.t.kind != ukObject || pos0 >= 0 {
				return e.unsupported(pos, "recursive rule %s/%d must recurse through exactly one object of the unknown resource", fr.pred.Name, len(fr.args))
			}
			pos0 = i
		} else if hasUnknown(a) {
			return e.unsupported(pos, "recursive rule %s/%d with an unknown inside a structure", fr.pred.Name, len(fr.args))
		}
	}
	if pos0 < 0 {
		return nil // known-only cycle: no new answers
	}
	if anc.neg != fr.neg {
		return e.unsupported(pos, "rule %s/%d depends on itself through `not`", fr.pred.Name, len(fr.args))
	}
	tb := e.tableFor(fr, pos0)
	if anc.tabled == nil {
		anc.tabled, anc.tpos = tb, pos0
	}
	m := e.mark()
	e.push(&InSet{Path: fr.args[pos0].(*unk).path, Pred: tb.name})
	err := k()
	e.undo(m)
	return err
}

func hasUnknownArgs(fr *frame) bool {
	for _, a := range fr.args {
		if hasUnknown(a) {
			return true
		}
	}
	return false
}

// findTabled returns the tabled pattern call fr matches, with the position of
// its unknown.
func (e *evaluator) findTabled(fr *frame) (*tabled, int) {
	for _, tb := range e.tabled {
		if tb.pred == fr.pred && e.matchesTabled(tb, fr, tb.pos) {
			return tb, tb.pos
		}
	}
	return nil, -1
}

func (e *evaluator) matchesTabled(tb *tabled, fr *frame, pos int) bool {
	if tb.pred != fr.pred || tb.pos != pos {
		return false
	}
	u, ok := fr.args[pos].(*unk)
	if !ok || !sameType(tb.t, u.t) {
		return false
	}
	for i, a := range fr.args {
		if i == pos {
			continue
		}
		if fr.unbound[i] {
			return false
		}
		v, ok := resolve(a)
		if !ok || hasUnknown(a) || !e.h.Equal(tb.args[i], v) {
			return false
		}
	}
	return true
}

// tableFor returns the tabled pattern of fr (unknown at pos), creating it.
func (e *evaluator) tableFor(fr *frame, pos int) *tabled {
	u := fr.args[pos].(*unk)
	for _, tb := range e.tabled {
		if e.matchesTabled(tb, fr, pos) {
			return tb
		}
	}
	tb := &tabled{pred: fr.pred, pos: pos, t: u.t, args: make([]term, len(fr.args))}
	for i, a := range fr.args {
		if i != pos {
			tb.args[i] = mustResolve(a)
		}
	}
	tb.name = e.fresh(predName(fr.pred.Name, tb.args, pos))
	e.tabled = append(e.tabled, tb)
	e.pending = append(e.pending, tb)
	return tb
}

// sameType reports whether two unknowns have the same static type (a field
// *Team and the class Team are the same type).
func sameType(a, b *utype) bool {
	return a == b || (a.kind == b.kind && a.class == b.class && a.typ == b.typ)
}

// predName names a tabled predicate after the rule and its identifier-like
// string arguments: has_role(user, "viewer", f) -> has_role_viewer.
func predName(rule string, args []term, pos int) string {
	var b strings.Builder
	for _, r := range rule {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	for i, a := range args {
		s, ok := a.(string)
		if i == pos || !ok || s == "" || len(s) > 20 {
			continue
		}
		ident := true
		for _, r := range s {
			if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				ident = false
				break
			}
		}
		if ident {
			b.WriteByte('_')
			b.WriteString(s)
		}
	}
	return b.String()
}

func mustResolve(t term) any {
	v, _ := resolve(t)
	return v
}

// matchParams applies rule r's parameters to args: specializers first, then
// unification of the parameter terms. checked: quickReject has passed r for
// args (see dispatch), which settles string literals on strings and class
// specializers on unknowns.
func (e *evaluator) matchParams(ri *ruleInfo, args []term, sc *scope, checked bool) (bool, error) {
	if checked && ri.simple {
		return e.matchChecked(ri, args, sc)
	}
	for i := range ri.params {
		if ok, err := e.matchParam(ri, i, args, sc, checked); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// matchParam applies parameter i of rule ri to args[i] (see matchParams).
func (e *evaluator) matchParam(ri *ruleInfo, i int, args []term, sc *scope, checked bool) (bool, error) {
	p, pi := ri.rule.Params[i], &ri.params[i]
	switch {
	case pi.kind == pkString:
		// A string literal (no specializer) and a known string:
		// what term and unify decide, string equality (which
		// quickReject has checked if checked).
		if s, ok := deref(args[i]).(string); ok {
			if !checked && s != pi.str {
				return false, nil
			}
			return true, nil
		}
	case pi.kind == pkVar:
		// No specializer, or a class one: what checkSpec does on an
		// *ast.ClassRef or *ast.Var, without reading the AST.
		if u, ok := deref(args[i]).(*unk); ok && checked && pi.class != "" {
			// isa on an unknown, whose class quickReject has
			// matched: the nil guard.
			e.pushNilGuard(u)
		} else if pi.class != "" {
			ok, err := e.isa(args[i], pi.class, pi.classAt)
			if err != nil || !ok {
				return false, err
			}
		}
	case p.Spec != nil:
		ok, err := e.checkSpec(p.Spec, args[i], sc, p.At)
		if err != nil || !ok {
			return false, err
		}
	}
	if pi.kind == pkVar && pi.name != "_" {
		// A parameter variable met for the first time (not bound by
		// an earlier parameter's pattern, not a constant) and a
		// known value or an unknown: what term and unify do, binding
		// a fresh cell to the argument. (Not on the trail: the cell
		// is bound for as long as its scope lives, which callFrame
		// frees after undoing the rule's bindings; until then no
		// backtracking inside the rule goes back before it.)
		if a := deref(args[i]); !isCell(a) {
			if ri.simple || !sc.bound(pi.name) {
				if _, isConst := e.constant(pi.name); !isConst {
					c := sc.add(pi.name)
					c.bound, c.val = true, a
					return true, nil
				}
			}
		}
	}
	t, err := e.term(p.Term, sc)
	if err != nil {
		return false, err
	}
	return e.unify(t, args[i], p.At)
}

// matchChecked is matchParams for a rule whose parameters are all plain
// variables (with or without a class specializer) or string literals,
// reached through the dispatch memo (checked: quickReject has passed it, so
// no variable names a constant, string literals equal string arguments and
// classes match unknowns). The commonest cases are decided here; any other
// parameter goes through matchParam.
func (e *evaluator) matchChecked(ri *ruleInfo, args []term, sc *scope) (bool, error) {
	for i := range ri.params {
		pi := &ri.params[i]
		a := deref(args[i])
		switch pi.kind {
		case pkString:
			if _, ok := a.(string); ok {
				continue
			}
		case pkVar:
			switch x := a.(type) {
			case *cell:
				// an unbound argument: unify below
			case *unk:
				if pi.class != "" {
					e.pushNilGuard(x) // isa on an unknown of a matched class
				}
				if pi.name != "_" {
					c := sc.add(pi.name)
					c.bound, c.val = true, a
				}
				continue
			default:
				if pi.class != "" {
					ok, err := e.isa(a, pi.class, pi.classAt)
					if err != nil || !ok {
						return false, err
					}
				}
				if pi.name != "_" {
					c := sc.add(pi.name)
					c.bound, c.val = true, a
				}
				continue
			}
		}
		if ok, err := e.matchParam(ri, i, args, sc, true); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// checkSpec decides a specializer (class, instance pattern, dictionary
// pattern or literal) on a term; on unknowns it is decided statically.
func (e *evaluator) checkSpec(spec ast.Expr, t term, sc *scope, pos ast.Pos) (bool, error) {
	switch s := spec.(type) {
	case *ast.Paren:
		return e.checkSpec(s.X, t, sc, pos)
	case *ast.ClassRef:
		return e.isa(t, s.Name, s.At)
	case *ast.Var:
		// A bare name in a specializer position is a class name.
		return e.isa(t, s.Name, s.At)
	case *ast.Pattern:
		ok, err := e.isa(t, s.Class, s.At)
		if err != nil || !ok {
			return ok, err
		}
		for _, f := range s.Fields {
			v, err := e.lookup(t, f.Key, f.At)
			if err != nil {
				return false, err
			}
			p, err := e.term(f.Value, sc)
			if err != nil {
				return false, err
			}
			ok, err := e.unify(p, v, f.At)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case *ast.Dict:
		d := deref(t)
		if !isDict(d) {
			if _, ok := d.(*cell); ok {
				return false, e.unsupported(s.At, "dictionary pattern on an unbound variable")
			}
			return false, nil
		}
		for _, f := range s.Fields {
			v, ok, err := e.dictGet(d, f.Key)
			if err != nil || !ok {
				return false, err
			}
			p, err := e.term(f.Value, sc)
			if err != nil {
				return false, err
			}
			ok, err = e.unify(p, v, f.At)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	lit, err := e.term(spec, sc)
	if err != nil {
		return false, err
	}
	return e.unify(lit, t, pos)
}

// isa checks t against a class, statically on unknowns; on an unbound
// variable the class is recorded and checked when it is bound.
func (e *evaluator) isa(t term, class string, pos ast.Pos) (bool, error) {
	t = deref(t)
	switch x := t.(type) {
	case *unk:
		if !e.classMatch(x.t, class) {
			return false, nil
		}
		// A nil relation is an instance of no class: the decision skips the
		// rule, so the branch requires the relation.
		e.pushNilGuard(x)
		return true, nil
	case *cell:
		switch {
		case x.isa == "" || x.isa == class || e.subclassOf(x.isa, class):
			if x.isa == "" {
				e.trail = append(e.trail, trailEntry{kind: trIsa, c: x, old: x.isa})
				x.isa = class
			}
			return true, nil
		case e.subclassOf(class, x.isa):
			e.trail = append(e.trail, trailEntry{kind: trIsa, c: x, old: x.isa})
			x.isa = class
			return true, nil
		case x.isa == loader.ActorUnion || x.isa == loader.ResourceUnion:
			if (x.isa == loader.ActorUnion && e.prog.IsActor(class)) || (x.isa == loader.ResourceUnion && e.prog.IsResource(class)) {
				e.trail = append(e.trail, trailEntry{kind: trIsa, c: x, old: x.isa})
				x.isa = class
				return true, nil
			}
		case class == loader.ActorUnion || class == loader.ResourceUnion:
			return (class == loader.ActorUnion && e.prog.IsActor(x.isa)) || (class == loader.ResourceUnion && e.prog.IsResource(x.isa)), nil
		}
		return false, nil
	case *listT:
		return class == "List", nil
	case *dictT:
		return class == "Dictionary", nil
	}
	// A non-nil pointer to a struct whose answer by type is known (see
	// isaOfType): from the direct-mapped table.
	if ef := (*eface)(unsafe.Pointer(&t)); ef.data != nil {
		m := &e.isaTab[slotOf(uintptr(ef.typ), uintptr(unsafe.Pointer(unsafe.StringData(class))))]
		if m.typ == ef.typ && len(m.class) == len(class) && (unsafe.StringData(m.class) == unsafe.StringData(class) || m.class == class) {
			return m.ok, nil
		}
	}
	// A normalised scalar: the engine's IsA on it needs no host.
	if ok, scalar := engine.ScalarIsA(t, class); scalar {
		return ok, nil
	}
	// The same object against the same class (the actor, once per rule
	// tried): the answer of the first time. (recv has a pointer type:
	// comparing it never panics.)
	ptr := t != nil && reflect.TypeOf(t).Kind() == reflect.Pointer
	if ptr {
		for i := range e.isaMemo {
			if m := &e.isaMemo[i]; samePointer(m.recv, t) && m.class == class {
				return m.ok, nil
			}
		}
	}
	ok := e.isaOfType(t, ptr, class)
	if ptr {
		e.isaMemo = append(e.isaMemo, isaMemo{t, class, ok})
	}
	return ok, nil
}

// isaOfType is the host's IsA on a known value. For a non-nil pointer to a
// struct that Normalize keeps as it is, IsA depends on the pointer's type
// only (the engine caches it by type too): such answers are memoised by
// type in the evaluator, across evaluations of one snapshot (see fieldOK).
func (e *evaluator) isaOfType(t term, ptr bool, class string) bool {
	if !ptr {
		return e.isaKnown(t, class)
	}
	rt := reflect.TypeOf(t)
	if rt.Elem().Kind() != reflect.Struct || reflect.ValueOf(t).IsNil() {
		return e.isaKnown(t, class)
	}
	// Entries are types normKeeps kept under this snapshot (the memo is
	// reset with it): a hit needs no normKeeps.
	for i := range e.typeIsa {
		if m := &e.typeIsa[i]; sameRType(m.t, rt) && m.class == class {
			e.noteTypeIsa(t, class, m.ok)
			return m.ok
		}
	}
	if !e.normKeeps(rt.Elem()) {
		return e.isaKnown(t, class)
	}
	ok := e.isaKnown(t, class)
	if len(e.typeIsa) < maxFieldOK {
		e.typeIsa = append(e.typeIsa, typeIsaMemo{rt, class, ok})
	}
	e.noteTypeIsa(t, class, ok)
	return ok
}

// noteTypeIsa records in isaTab the answer by type for t, a non-nil
// pointer to a struct (what isa reads first for such values).
func (e *evaluator) noteTypeIsa(t term, class string, ok bool) {
	ef := (*eface)(unsafe.Pointer(&t))
	e.isaTab[slotOf(uintptr(ef.typ), uintptr(unsafe.Pointer(unsafe.StringData(class))))] = isaTabEntry{ef.typ, class, ok}
}

// isaTabEntry is an IsA answer by the type of a non-nil pointer to a
// struct (an entry of typeIsa) in a direct-mapped table.
type isaTabEntry struct {
	typ   unsafe.Pointer
	class string
	ok    bool
}

// isaKnown is IsA on a known value; for the actor and resource unions, the
// class of the value is looked up in the program's actor or resource
// classes. (On a pointer kept as it is, both depend on its type only: the
// class of a pointer is the registered class of its type.)
func (e *evaluator) isaKnown(t term, class string) bool {
	switch class {
	case loader.ActorUnion, loader.ResourceUnion:
		c, found := e.h.ClassOf(t)
		if !found {
			return false
		}
		if class == loader.ActorUnion {
			return e.prog.IsActor(c)
		}
		return e.prog.IsResource(c)
	}
	return e.h.IsA(t, class)
}

type typeIsaMemo struct {
	t     reflect.Type
	class string
	ok    bool
}

// ---- terms

// scope holds the variables of one rule invocation (few: a slice beats a
// map).
type scope struct {
	names []string
	cells []*cell
	// The first variables live in the scope itself: one allocation per
	// rule invocation instead of one per variable.
	nbuf [scopeInline]string
	cbuf [scopeInline]*cell
	buf  [scopeInline]cell
	n    int
}

const scopeInline = 6

// newScope returns an empty scope, recycled if possible.
func (e *evaluator) newScope() *scope {
	if n := len(e.scopes); n > 0 {
		sc := e.scopes[n-1]
		e.scopes = e.scopes[:n-1]
		return sc
	}
	return &scope{}
}

// freeScope recycles sc. Only once its rule invocation is over: every
// derivation explored and its bindings undone, so no live term refers to its
// cells (residual conditions hold paths and values, never cells).
func (e *evaluator) freeScope(sc *scope) {
	// (Loops, not clear: for a few elements of pointer type clear calls
	// memclrHasPointers and its write barrier check, which cost more.)
	for i := range sc.buf[:sc.n] {
		sc.buf[i] = cell{}
	}
	n := min(len(sc.names), scopeInline)
	for i := range n {
		sc.nbuf[i], sc.cbuf[i] = "", nil
	}
	sc.names, sc.cells, sc.n = nil, nil, 0
	e.scopes = append(e.scopes, sc)
}

// newCell returns a fresh cell named name.
func (s *scope) newCell(name string) *cell {
	if s.n < len(s.buf) {
		c := &s.buf[s.n]
		s.n++
		c.name = name
		return c
	}
	return &cell{name: name}
}

func (s *scope) lookup(name string) (*cell, bool) {
	// The parser interns names: the same variable's occurrences share their
	// bytes, so a pointer comparison finds it without comparing bytes
	// (names from elsewhere, e.g. rules made by resource blocks, are
	// compared by value).
	p := unsafe.StringData(name)
	for i, n := range s.names {
		if len(n) == len(name) && unsafe.StringData(n) == p {
			return s.cells[i], true
		}
	}
	for i, n := range s.names {
		// (First bytes first: names of one length are common.)
		if len(n) == len(name) && (len(n) == 0 || n[0] == name[0]) && n == name {
			return s.cells[i], true
		}
	}
	return nil, false
}

// bound reports whether name is a variable of the scope.
func (s *scope) bound(name string) bool {
	_, ok := s.lookup(name)
	return ok
}

func (s *scope) get(e *evaluator, name string) *cell {
	if name == "_" {
		return s.newCell("_")
	}
	if c, ok := s.lookup(name); ok {
		return c
	}
	return s.add(name)
}

// add adds a new variable name, not in the scope yet.
func (s *scope) add(name string) *cell {
	c := s.newCell(name)
	if s.names == nil {
		s.names, s.cells = s.nbuf[:0], s.cbuf[:0]
	}
	s.names = append(s.names, name)
	s.cells = append(s.cells, c)
	return c
}

// term evaluates an expression in a term position.
func (e *evaluator) term(x ast.Expr, sc *scope) (term, error) {
	switch x := x.(type) {
	case *ast.Var:
		if x.Name == "_" {
			return sc.newCell("_"), nil
		}
		if c, ok := sc.lookup(x.Name); ok {
			return c, nil
		}
		if v, ok := e.constant(x.Name); ok {
			e.noteConstant(v)
			return v, nil
		}
		if x.Name == "nil" {
			return nil, nil
		}
		return sc.add(x.Name), nil
	case *ast.IntLit:
		return boxedInt(&x.Value), nil
	case *ast.FloatLit:
		return x.Value, nil
	case *ast.StringLit:
		return boxedString(&x.Value), nil
	case *ast.BoolLit:
		return x.Value, nil
	case *ast.Paren:
		return e.term(x.X, sc)
	case *ast.List:
		l := &listT{elems: make([]term, len(x.Elems))}
		for i, el := range x.Elems {
			t, err := e.term(el, sc)
			if err != nil {
				return nil, err
			}
			l.elems[i] = t
		}
		if x.Rest != nil {
			t, err := e.term(x.Rest, sc)
			if err != nil {
				return nil, err
			}
			l.rest = t
		}
		if v, ok := resolve(l); ok && l.rest == nil {
			return v, nil
		}
		return l, nil
	case *ast.Dict:
		d := &dictT{}
		for _, f := range x.Fields {
			t, err := e.term(f.Value, sc)
			if err != nil {
				return nil, err
			}
			d.keys = append(d.keys, f.Key)
			d.vals = append(d.vals, t)
		}
		if v, ok := resolve(d); ok {
			return v, nil
		}
		return d, nil
	case *ast.ClassRef:
		if v, ok := e.h.Constant(x.Name); ok {
			e.noteConstant(v)
			return v, nil
		}
		return nil, e.unsupported(x.At, "class %s used as a value", x.Name)
	case *ast.Dot:
		return e.dot(x, sc)
	case *ast.New:
		args, kwargs, err := e.knownArgs(x.Args, x.Kwargs, sc, x.At, "new "+x.Class)
		if err != nil {
			return nil, err
		}
		e.impure = true
		v, err := e.h.New(x.Class, args, kwargs)
		if err != nil {
			return nil, e.runtime(x.At, err)
		}
		return v, nil
	case *ast.Neg:
		t, err := e.term(x.X, sc)
		if err != nil {
			return nil, err
		}
		return e.arith(ast.OpSub, int64(0), t, x.At)
	case *ast.Binary:
		switch x.Op {
		case ast.OpAdd, ast.OpSub, ast.OpMul, ast.OpDiv, ast.OpMod, ast.OpRem:
			l, err := e.term(x.L, sc)
			if err != nil {
				return nil, err
			}
			r, err := e.term(x.R, sc)
			if err != nil {
				return nil, err
			}
			return e.arith(x.Op, l, r, x.At)
		}
	}
	return nil, e.unsupported(x.Pos(), "%s used as a value", describeExpr(x))
}

func (e *evaluator) arith(op ast.Op, l, r term, pos ast.Pos) (term, error) {
	l, r = deref(l), deref(r)
	if hasUnknown(l) || hasUnknown(r) {
		return nil, e.unsupported(pos, "arithmetic (%s) on the unknown resource", op)
	}
	lv, lok := resolve(l)
	rv, rok := resolve(r)
	if !lok || !rok {
		return nil, e.unsupported(pos, "arithmetic (%s) on an unbound variable", op)
	}
	v, err := e.h.Arith(op, lv, rv)
	if err != nil {
		return nil, e.runtime(pos, err)
	}
	return v, nil
}

// knownArgs evaluates call arguments that must be known values.
func (e *evaluator) knownArgs(args []ast.Expr, kw []*ast.Field, sc *scope, pos ast.Pos, what string) ([]any, map[string]any, error) {
	var out []any
	for _, a := range args {
		t, err := e.term(a, sc)
		if err != nil {
			return nil, nil, err
		}
		if hasUnknown(t) {
			return nil, nil, e.unsupported(a.Pos(), "the unknown resource passed to %s", what)
		}
		v, ok := resolve(t)
		if !ok {
			return nil, nil, e.unsupported(a.Pos(), "unbound variable passed to %s", what)
		}
		out = append(out, v)
	}
	var kwargs map[string]any
	for _, f := range kw {
		t, err := e.term(f.Value, sc)
		if err != nil {
			return nil, nil, err
		}
		if hasUnknown(t) {
			return nil, nil, e.unsupported(f.At, "the unknown resource passed to %s", what)
		}
		v, ok := resolve(t)
		if !ok {
			return nil, nil, e.unsupported(f.At, "unbound variable passed to %s", what)
		}
		if kwargs == nil {
			kwargs = map[string]any{}
		}
		kwargs[f.Key] = v
	}
	return out, kwargs, nil
}

func (e *evaluator) dot(x *ast.Dot, sc *scope) (term, error) {
	var recv term
	if cr, ok := x.X.(*ast.ClassRef); ok {
		v, found := e.h.Constant(cr.Name)
		e.impure = true
		if !found {
			return nil, e.errAt(cr.At, ast.ErrRuntime, "unknown constant %s", cr.Name)
		}
		recv = v
	} else {
		t, err := e.term(x.X, sc)
		if err != nil {
			return nil, err
		}
		recv = t
	}
	recv = deref(recv)
	if x.IsCall {
		if u, ok := recv.(*unk); ok {
			return nil, e.unsupported(x.At, "method call %s.%s() on the unknown resource", u.path, x.Name)
		}
		if _, ok := recv.(*cell); ok {
			return nil, e.unsupported(x.At, "method call %s() on an unbound variable", x.Name)
		}
		v, ok := resolve(recv)
		if !ok {
			return nil, e.unsupported(x.At, "method call %s() on a partially bound value", x.Name)
		}
		args, kwargs, err := e.knownArgs(x.Args, x.Kwargs, sc, x.At, x.Name+"()")
		if err != nil {
			return nil, err
		}
		e.impure = true
		out, err := e.h.CallMethod(v, x.Name, args, kwargs)
		if err != nil {
			return nil, e.runtime(x.At, err)
		}
		return out, nil
	}
	name := x.Name
	if x.Key != nil {
		kt, err := e.term(x.Key, sc)
		if err != nil {
			return nil, err
		}
		ks, ok := deref(kt).(string)
		if !ok {
			return nil, e.unsupported(x.At, "dynamic lookup with a key that is not a known string")
		}
		name = ks
	}
	return e.lookup(recv, name, x.At)
}

// lookup reads field name of t: on a known value through the host, on an
// unknown statically (a longer path), on a free object a field variable.
func (e *evaluator) lookup(t term, name string, pos ast.Pos) (term, error) {
	t = deref(t)
	switch x := t.(type) {
	case *unk:
		if x.t.kind != ukObject {
			return nil, e.unsupported(pos, "field %s of %s, which is not an object", name, x.path)
		}
		var f *unk
		for i := range e.fieldMemo {
			if m := &e.fieldMemo[i]; m.of == x && m.name == name {
				f = m.f
				break
			}
		}
		known := f != nil
		if !known {
			fi, ok := e.fieldOf(x.t.typ, name)
			if !ok {
				return nil, e.unsupported(pos, "%s (a %s) has no field %s", x.path, x.t.class, name)
			}
			f = e.newUnk(e.extend(x.path, fi.GoName), e.utypeOf(fi.Type))
		}
		if x.t.kind == ukObject && x.t.nillable && len(x.path.Fields) > 0 && !e.guarded(x.path) {
			// This lookup errors in a decision when the relation is nil
			// (see solveNot and excludeRegions).
			e.recordRegion(e.cmpValue(Eq, x, nil))
		}
		if !known {
			e.fieldMemo = append(e.fieldMemo, fieldMemo{x, name, f})
		}
		return f, nil
	case *cell:
		// As in a decision: a field of an unbound variable is an error (bind
		// the variable first, e.g. `org = repo.org`).
		return nil, e.unsupported(pos, "lookup of %s on an unbound variable", name)
	case *dictT:
		v, ok, err := e.dictGet(x, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errFail
		}
		return v, nil
	case *listT:
		return nil, e.errAt(pos, ast.ErrRuntime, "cannot look up %s on a list", name)
	}
	if t == nil {
		return nil, e.errAt(pos, ast.ErrRuntime, "cannot look up %s on nil", name)
	}
	if !e.impure {
		// The same field of the same object, read again (a rule body
		// iterating the actor's roles once per role name): the value read
		// the first time. Entries are struct fields read through a pointer
		// while the evaluation was pure; nothing the evaluation does writes
		// to known values unless it calls the host (impure: no memo).
		// (recv has a pointer type: comparing it never panics.)
		for i := range e.lookMemo {
			if m := &e.lookMemo[i]; samePointer(m.recv, t) && m.name == name {
				return m.v, nil
			}
		}
	}
	memo := false // a struct field through a pointer: memoised
	var fi *engine.FieldInfo
	if !e.impure {
		// A zero-argument method read like a field is a host call.
		if rt := reflect.TypeOf(t); rt != nil {
			ptr := rt.Kind() == reflect.Pointer
			for rt.Kind() == reflect.Pointer {
				rt = rt.Elem()
			}
			if rt.Kind() == reflect.Struct {
				var ok bool
				if fi, ok = e.fieldOf(rt, name); !ok {
					e.impure = true
				} else {
					memo = ptr
				}
			}
		}
	}
	var v any
	var err error
	if memo {
		// The field FieldOf resolved for name: read by its index
		// (engine.Policy.ReadField, the decision's read).
		v, err = e.h.ReadField(t, fi, name)
	} else {
		v, err = e.h.Lookup(t, name)
	}
	if err != nil {
		if e.h.NoSuchKey(err) {
			return nil, errFail
		}
		return nil, e.runtime(pos, err)
	}
	if memo && !e.impure {
		e.lookMemo = append(e.lookMemo, lookupMemo{t, name, v})
	}
	return v, nil
}

// fieldOf is the host's FieldOf, memoised in the evaluator (see fieldOK).
// The FieldInfo is the memo entry's (not copied; entries are not changed
// until the memo is reset between evaluations): use it before then.
func (e *evaluator) fieldOf(t reflect.Type, name string) (*engine.FieldInfo, bool) {
	ix := &e.fieldIx[slotOf(uintptr((*iface)(unsafe.Pointer(&t)).data), uintptr(unsafe.Pointer(unsafe.StringData(name)))^uintptr(len(name)))]
	if j := int(*ix) - 1; j >= 0 && j < len(e.fieldOK) {
		if m := &e.fieldOK[j]; sameRType(m.t, t) && m.name == name {
			return &m.fi, m.ok
		}
	}
	for i := range e.fieldOK {
		if m := &e.fieldOK[i]; sameRType(m.t, t) && m.name == name {
			*ix = int32(i + 1)
			return &m.fi, m.ok
		}
	}
	fi, ok := e.h.FieldOf(t, name)
	if len(e.fieldOK) < maxFieldOK {
		e.fieldOK = append(e.fieldOK, fieldOKMemo{t, name, fi, ok})
		*ix = int32(len(e.fieldOK))
		return &e.fieldOK[len(e.fieldOK)-1].fi, ok
	}
	p := new(engine.FieldInfo) // (not &fi: fi would move to the heap on every miss)
	*p = fi
	return p, ok
}

const maxFieldOK = 64

type fieldOKMemo struct {
	t    reflect.Type
	name string
	fi   engine.FieldInfo
	ok   bool
}

// isaMemo is an IsA answer on a known value (recv: a pointer).
type isaMemo struct {
	recv  any
	class string
	ok    bool
}

// lookupMemo is a field read on a known object (recv: a pointer).
type lookupMemo struct {
	recv any
	name string
	v    any
}

// guarded reports whether the branch already requires p != nil.
func (e *evaluator) guarded(p Path) bool {
	for _, c := range e.conds {
		if x, ok := c.(*Compare); ok && x.Op == Neq {
			if l, ok := x.L.(Path); ok && samePath(l, p) {
				if v, ok := x.R.(Value); ok && v.V == nil {
					return true
				}
			}
		}
	}
	return false
}

func samePath(a, b Path) bool {
	if a.Var != b.Var || len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i] != b.Fields[i] {
			return false
		}
	}
	return true
}

// constant is the registered constant a variable name names, if any.
func (e *evaluator) constant(name string) (any, bool) {
	if !e.constVars {
		return nil, false
	}
	return e.h.Constant(name)
}

// noteConstant marks the evaluation impure if it uses a constant that is
// not an immutable scalar.
func (e *evaluator) noteConstant(v any) {
	if !isScalarValue(e.h.Normalize(v)) {
		e.impure = true
	}
}

func isDict(t term) bool {
	switch t.(type) {
	case *dictT, map[string]any:
		return true
	}
	if t == nil {
		return false
	}
	if _, ok := t.(*cell); ok {
		return false
	}
	if _, ok := t.(*unk); ok {
		return false
	}
	rv := reflect.ValueOf(t)
	return rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String
}

func (e *evaluator) dictGet(d term, key string) (term, bool, error) {
	switch x := d.(type) {
	case *dictT:
		for i, k := range x.keys {
			if k == key {
				return x.vals[i], true, nil
			}
		}
		return nil, false, nil
	case map[string]any:
		v, ok := x[key]
		return v, ok, nil
	}
	rv := reflect.ValueOf(d)
	if rv.Kind() != reflect.Map {
		return nil, false, nil
	}
	v := rv.MapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()))
	if !v.IsValid() {
		return nil, false, nil
	}
	return e.h.Normalize(v.Interface()), true, nil
}

func describeExpr(x ast.Expr) string {
	switch x.(type) {
	case *ast.Dot:
		return "lookup"
	case *ast.Binary:
		return "operator"
	case *ast.Pattern:
		return "instance pattern"
	case *ast.Call:
		return "rule call"
	case *ast.Forall:
		return "forall"
	case *ast.Not:
		return "not"
	}
	t := fmt.Sprintf("%T", x)
	return strings.ToLower(strings.TrimPrefix(t, "*ast."))
}

func describeValue(v any) string {
	if v == nil {
		return "nil"
	}
	if isScalarValue(v) {
		return Value{V: v}.String()
	}
	return fmt.Sprintf("a %T", v)
}

// specSignature describes the specializers of r for ordering purposes:
// literal parameters count as unspecialized.
func specSignature(r *ast.Rule) string {
	var b strings.Builder
	for _, p := range r.Params {
		b.WriteByte('|')
		switch sp := p.Spec.(type) {
		case *ast.ClassRef:
			b.WriteString("C:" + sp.Name)
		case *ast.Var:
			b.WriteString("C:" + sp.Name)
		case *ast.Pattern:
			b.WriteString("P:" + sp.Class + ":" + strconv.Itoa(len(sp.Fields)))
		case *ast.Dict:
			b.WriteString("D:" + strconv.Itoa(len(sp.Fields)))
		}
	}
	return b.String()
}

// hasNested reports whether a branch of f holds an Exists, Not or
// NotFilter (conditions with nested filters).
func hasNested(f *Filter) bool {
	for _, br := range f.Branches {
		for _, c := range br.Conds {
			switch c.(type) {
			case *Exists, *Not, *NotFilter:
				return true
			}
		}
	}
	return false
}

// uniqueExists renames existential variables that occur more than once in f
// (a guard shared by several branches, merged branches), so that every
// Exists variable is unique in the filter, as the IR promises.
func (e *evaluator) uniqueExists(f *Filter) *Filter {
	seen := map[string]bool{}
	var cond func(c Cond) Cond
	// filter returns g with its conditions made unique; conditions and
	// branch slices that need no renaming are kept as they are.
	filter := func(g Filter) Filter {
		out := Filter{Type: g.Type, Preds: g.Preds, Branches: g.Branches}
		copied := false
		for i, br := range g.Branches {
			var cs []Cond
			for j, c := range br.Conds {
				nc := cond(c)
				if nc != c && cs == nil {
					cs = make([]Cond, len(br.Conds))
					copy(cs, br.Conds[:j])
				}
				if cs != nil {
					cs[j] = nc
				}
			}
			if cs == nil {
				continue
			}
			if !copied {
				out.Branches = append([]Branch(nil), g.Branches...)
				copied = true
			}
			out.Branches[i] = Branch{Conds: cs}
		}
		return out
	}
	cond = func(c Cond) Cond {
		switch x := c.(type) {
		case *Exists:
			v, body := x.Var, x.Cond
			renamedVar := false
			if seen[v] {
				nv := e.fresh(v)
				v, body = nv, renameFilter(body, v, nv)
				renamedVar = true
			}
			seen[v] = true
			nb := filter(body)
			if !renamedVar && sameFilter(&nb, &x.Cond) {
				return x
			}
			return &Exists{Var: v, Type: x.Type, Over: x.Over, Cond: nb}
		case *Not:
			if inner := cond(x.C); inner != x.C {
				return &Not{C: inner}
			}
			return x
		case *NotFilter:
			nf := filter(x.F)
			if sameFilter(&nf, &x.F) {
				return x
			}
			return &NotFilter{F: nf}
		}
		return c
	}
	if len(f.Preds) == 0 && !hasNested(f) {
		return f // no Exists to rename
	}
	out := filter(*f)
	if len(f.Preds) == 0 && sameFilter(&out, f) {
		return f
	}
	if len(f.Preds) > 0 {
		names := make([]string, 0, len(f.Preds))
		for n := range f.Preds {
			names = append(names, n)
		}
		sort.Strings(names)
		out.Preds = make(map[string]*Pred, len(f.Preds))
		for _, n := range names {
			p := f.Preds[n]
			out.Preds[n] = &Pred{Name: p.Name, Type: p.Type, Param: p.Param, Body: filter(p.Body)}
		}
	}
	return &out
}
