package engine

import (
	"math"

	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/loader"
)

// This file compiles rule bodies and heads from the AST into the VM's
// goal/expression trees: variables are resolved to frame slots, constants and
// classes are resolved against the registry, predicate calls point directly
// at their predicate, and forall is rewritten to not/not.

// ---- expressions ----

type expr interface{ pos() ast.Pos }

type (
	eConst struct {
		at ast.Pos
		v  any
	}
	eVar struct {
		at   ast.Pos
		slot int
		name string
	}
	eList struct {
		at    ast.Pos
		elems []expr
		rest  expr // nil without *rest
	}
	eDict struct {
		at   ast.Pos
		keys []string
		vals []expr
	}
	eDot struct {
		at     ast.Pos
		x      expr
		name   string
		call   bool
		args   []expr
		kwkeys []string
		kwvals []expr
		key    expr
		fields typeCache[*FieldInfo] // field accessor by receiver type (nil: not a field)
	}
	eArith struct {
		at   ast.Pos
		op   ast.Op
		l, r expr
	}
	eNeg struct {
		at ast.Pos
		x  expr
	}
	eNew struct {
		at     ast.Pos
		class  string
		args   []expr
		kwkeys []string
		kwvals []expr
	}
	// eClass is a registered class name used as a value (Class.method()).
	eClass struct {
		at   ast.Pos
		name string
	}
)

func (e *eConst) pos() ast.Pos { return e.at }
func (e *eVar) pos() ast.Pos   { return e.at }
func (e *eList) pos() ast.Pos  { return e.at }
func (e *eDict) pos() ast.Pos  { return e.at }
func (e *eDot) pos() ast.Pos   { return e.at }
func (e *eArith) pos() ast.Pos { return e.at }
func (e *eNeg) pos() ast.Pos   { return e.at }
func (e *eNew) pos() ast.Pos   { return e.at }
func (e *eClass) pos() ast.Pos { return e.at }

// ClassValue is a registered class used as a value in a policy (e.g. the
// receiver of `Class.method()`).
type ClassValue struct{ Name string }

// ---- goals ----

type goal interface{ pos() ast.Pos }

type (
	gCall struct {
		at   ast.Pos
		pred *predicate
		name string
		args []expr
		src  ast.Expr
		// cands: pred.candidates when the argument at pred.idxPos is a
		// constant (set once pred is finished; see setCands).
		cands *candSet
	}
	gAnd struct {
		at    ast.Pos
		goals []goal
	}
	gOr struct {
		at    ast.Pos
		goals []goal
	}
	gNot struct {
		at ast.Pos
		g  goal
	}
	gUnify struct {
		at   ast.Pos
		l, r expr
		fast bool // a side is a field read (see fastfield.go)
	}
	gAssign struct {
		at   ast.Pos
		slot int
		name string
		r    expr
	}
	gCmp struct {
		at   ast.Pos
		op   ast.Op
		l, r expr
		fast bool // == or != with a side that is a field read (see fastfield.go)
	}
	gIn struct {
		at   ast.Pos
		l, r expr
		// ref: l is a variable read only through fields; over a Go slice
		// of structs it is bound to an elemRef (see markRefIns).
		ref bool
		// slices: how r, a field read, reads a slice of structs by
		// receiver type (see inFieldSlice).
		slices typeCache[*sliceField]
	}
	gMatches struct {
		at   ast.Pos
		l    expr
		spec *spec
	}
	gCut   struct{ at ast.Pos }
	gPrint struct {
		at   ast.Pos
		args []expr
	}
	gDebug struct {
		at   ast.Pos
		args []expr
	}
	gExpr struct {
		at ast.Pos
		e  expr
	}
	gTrue struct{ at ast.Pos }
	gFail struct{ at ast.Pos }
	// internal goals
	gNotSucceeded struct{}
	gExit         struct{}
)

func (g *gCall) pos() ast.Pos         { return g.at }
func (g *gAnd) pos() ast.Pos          { return g.at }
func (g *gOr) pos() ast.Pos           { return g.at }
func (g *gNot) pos() ast.Pos          { return g.at }
func (g *gUnify) pos() ast.Pos        { return g.at }
func (g *gAssign) pos() ast.Pos       { return g.at }
func (g *gCmp) pos() ast.Pos          { return g.at }
func (g *gIn) pos() ast.Pos           { return g.at }
func (g *gMatches) pos() ast.Pos      { return g.at }
func (g *gCut) pos() ast.Pos          { return g.at }
func (g *gPrint) pos() ast.Pos        { return g.at }
func (g *gDebug) pos() ast.Pos        { return g.at }
func (g *gExpr) pos() ast.Pos         { return g.at }
func (g *gTrue) pos() ast.Pos         { return g.at }
func (g *gFail) pos() ast.Pos         { return g.at }
func (g *gNotSucceeded) pos() ast.Pos { return ast.NoPos }
func (g *gExit) pos() ast.Pos         { return ast.NoPos }

var (
	theNotSucceeded = &gNotSucceeded{}
	theExit         = &gExit{}
)

// ---- specializers ----

type specField struct {
	key    string
	val    expr
	fields typeCache[*FieldInfo] // field accessor by receiver type
}

// spec is a compiled specializer or matches operand: a class (Fields empty),
// an instance pattern Class{...}, a dictionary pattern {...} (class ""), or a
// literal.
type spec struct {
	at     ast.Pos
	class  string
	dict   bool
	fields []specField
	isLit  bool
	lit    any
	isaC   typeCache[bool] // class membership by dynamic type
}

// ---- rules and predicates ----

type cparam struct {
	term   expr
	slot   int // >= 0: term is a variable first seen here; bind directly
	hasLit bool
	lit    any // literal the argument must equal (from `"read"` or `x: "read"`)
	spec   *spec
	// deferred checks spec after the body when the argument is unbound at
	// the call (e.g. has_relation(org: Org, ...) called with org unbound):
	// the body binds it, then the specializer is checked.
	deferred *gMatches
	// litStr: lit is this string (litIsStr), for tryRule's fast test.
	litStr   string
	litIsStr bool
	// checked: spec is a class without fields. On an argument bound at
	// the call it is what applicable (specApplies) already checked when it
	// selected the rule, so tryRule does not check it again.
	checked bool
}

type crule struct {
	src    *ast.Rule
	pred   *predicate
	params []cparam
	body   goal // nil: fact
	nslots int
	names  []string // slot -> variable name
	index  int      // source order within the predicate
	// specd: some parameter has a class/pattern/dict specializer.
	specd bool
}

type predicate struct {
	name      string
	arity     int
	rules     []*crule
	recursive bool
	needSort  bool // two or more rules carry class/pattern/dict specializers
	anySpec   bool
	// first-argument-style index: the position with the most literal
	// parameters; idx maps a literal to the rules that may match it.
	idxPos int // -1: no index
	idx    map[any]*candSet
	nonLit *candSet // rules without a literal at idxPos
	all    *candSet
}

// candSet is a list of candidate rules with a cache of the applicable,
// sorted rules per tuple of argument types (valid when every specializer in
// the set depends only on the argument's type: classes without fields).
type candSet struct {
	rules    []*crule
	typeOnly bool
	byTypes  tupleCache[[]*crule]
}

func newCandSet(rules []*crule) *candSet {
	cs := &candSet{rules: rules, typeOnly: true}
	for _, r := range rules {
		if len(r.params) > len(typeTuple{}) {
			cs.typeOnly = false
		}
		for _, p := range r.params {
			if p.spec != nil && (p.spec.dict || len(p.spec.fields) > 0) {
				cs.typeOnly = false
			}
		}
	}
	return cs
}

type compiler struct {
	p     *Policy
	src   map[goal]ast.Expr // where goal sources are recorded (for the debugger)
	fset  *ast.FileSet      // positions of the compiled source (nil: the policy's)
	errs  ast.ErrorList
	slots map[string]int
	names []string
}

func (c *compiler) errorf(at ast.Pos, format string, args ...any) {
	fset := c.fset
	if fset == nil {
		fset = c.p.fset
	}
	c.errs.Add(ast.NewError(fset, at, ast.KindValidation, format, args...))
}

func (c *compiler) reset() {
	c.slots = map[string]int{}
	c.names = nil
}

func (c *compiler) newSlot(name string) int {
	c.names = append(c.names, name)
	return len(c.names) - 1
}

func (c *compiler) varExpr(v *ast.Var) expr {
	if v.Name == "_" {
		return &eVar{at: v.At, slot: c.newSlot("_"), name: "_"}
	}
	if s, ok := c.slots[v.Name]; ok {
		return &eVar{at: v.At, slot: s, name: v.Name}
	}
	if k, ok := c.p.reg.Constant(v.Name); ok {
		return &eConst{at: v.At, v: k}
	}
	if v.Name == "nil" {
		return &eConst{at: v.At, v: nil}
	}
	if _, ok := c.p.reg.Class(v.Name); ok || IsBuiltinClass(v.Name) {
		return &eClass{at: v.At, name: v.Name}
	}
	s := c.newSlot(v.Name)
	c.slots[v.Name] = s
	return &eVar{at: v.At, slot: s, name: v.Name}
}

func literal(e ast.Expr) (any, bool) {
	switch x := e.(type) {
	case *ast.IntLit:
		return x.Value, true
	case *ast.FloatLit:
		return x.Value, true
	case *ast.StringLit:
		return x.Value, true
	case *ast.BoolLit:
		return x.Value, true
	case *ast.Paren:
		return literal(x.X)
	}
	return nil, false
}

func (c *compiler) expr(e ast.Expr) expr {
	if v, ok := literal(e); ok {
		return &eConst{at: e.Pos(), v: v}
	}
	switch x := e.(type) {
	case *ast.Var:
		return c.varExpr(x)
	case *ast.Paren:
		return c.expr(x.X)
	case *ast.List:
		l := &eList{at: x.At}
		ground := x.Rest == nil
		for _, el := range x.Elems {
			ce := c.expr(el)
			if _, ok := ce.(*eConst); !ok {
				ground = false
			}
			l.elems = append(l.elems, ce)
		}
		if x.Rest != nil {
			l.rest = c.expr(x.Rest)
		}
		if ground {
			vals := make([]any, len(l.elems))
			for i, el := range l.elems {
				vals[i] = el.(*eConst).v
			}
			return &eConst{at: x.At, v: vals}
		}
		return l
	case *ast.Dict:
		d := &eDict{at: x.At}
		ground := true
		for _, f := range x.Fields {
			ce := c.expr(f.Value)
			if _, ok := ce.(*eConst); !ok {
				ground = false
			}
			d.keys = append(d.keys, f.Key)
			d.vals = append(d.vals, ce)
		}
		if ground {
			m := make(map[string]any, len(d.keys))
			for i, k := range d.keys {
				m[k] = d.vals[i].(*eConst).v
			}
			return &eConst{at: x.At, v: m}
		}
		return d
	case *ast.Dot:
		d := &eDot{at: x.At, name: x.Name, call: x.IsCall}
		if cr, ok := x.X.(*ast.ClassRef); ok {
			d.x = c.classOrConst(cr.At, cr.Name)
		} else {
			d.x = c.expr(x.X)
		}
		for _, a := range x.Args {
			d.args = append(d.args, c.expr(a))
		}
		for _, kw := range x.Kwargs {
			d.kwkeys = append(d.kwkeys, kw.Key)
			d.kwvals = append(d.kwvals, c.expr(kw.Value))
		}
		if x.Key != nil {
			d.key = c.expr(x.Key)
		}
		return d
	case *ast.Binary:
		switch x.Op {
		case ast.OpAdd, ast.OpSub, ast.OpMul, ast.OpDiv, ast.OpMod, ast.OpRem:
			l, r := c.expr(x.L), c.expr(x.R)
			if lc, ok := l.(*eConst); ok {
				if rc, ok := r.(*eConst); ok {
					if v, err := arith(x.Op, lc.v, rc.v); err == nil {
						return &eConst{at: x.At, v: v}
					}
				}
			}
			return &eArith{at: x.At, op: x.Op, l: l, r: r}
		}
		c.errorf(x.At, "%s is a goal, not a value", x.Op)
		return &eConst{at: x.At}
	case *ast.Neg:
		inner := c.expr(x.X)
		if k, ok := inner.(*eConst); ok {
			switch n := k.v.(type) {
			case int64:
				if n != math.MinInt64 {
					return &eConst{at: x.At, v: -n}
				}
			case float64:
				return &eConst{at: x.At, v: -n}
			}
		}
		return &eNeg{at: x.At, x: inner}
	case *ast.New:
		n := &eNew{at: x.At, class: x.Class}
		if _, ok := c.p.reg.Class(x.Class); !ok {
			c.errorf(x.At, "unknown class %s in new", x.Class)
		}
		for _, a := range x.Args {
			n.args = append(n.args, c.expr(a))
		}
		for _, kw := range x.Kwargs {
			n.kwkeys = append(n.kwkeys, kw.Key)
			n.kwvals = append(n.kwvals, c.expr(kw.Value))
		}
		return n
	case *ast.ClassRef:
		return c.classOrConst(x.At, x.Name)
	case *ast.Pattern:
		c.errorf(x.At, "an instance pattern %s{...} is only allowed as a specializer, after matches, or after new", x.Class)
		return &eConst{at: x.At}
	}
	c.errorf(e.Pos(), "%s is a goal, not a value", FormatExpr(e))
	return &eConst{at: e.Pos()}
}

func (c *compiler) classOrConst(at ast.Pos, name string) expr {
	if k, ok := c.p.reg.Constant(name); ok {
		return &eConst{at: at, v: k}
	}
	if _, ok := c.p.reg.Class(name); !ok && !IsBuiltinClass(name) {
		c.errorf(at, "unknown class or constant %s", name)
	}
	return &eClass{at: at, name: name}
}

// spec compiles a specializer or a matches operand.
func (c *compiler) spec(e ast.Expr) *spec {
	if v, ok := literal(e); ok {
		return &spec{at: e.Pos(), isLit: true, lit: v}
	}
	switch x := e.(type) {
	case *ast.Paren:
		return c.spec(x.X)
	case *ast.ClassRef:
		c.checkClass(x.At, x.Name)
		return &spec{at: x.At, class: x.Name}
	case *ast.Var: // a bare name in matches position
		if _, ok := c.slots[x.Name]; !ok {
			c.checkClass(x.At, x.Name)
			return &spec{at: x.At, class: x.Name}
		}
	case *ast.Pattern:
		c.checkClass(x.At, x.Class)
		s := &spec{at: x.At, class: x.Class}
		for _, f := range x.Fields {
			s.fields = append(s.fields, specField{key: f.Key, val: c.expr(f.Value)})
		}
		return s
	case *ast.Dict:
		s := &spec{at: x.At, dict: true}
		for _, f := range x.Fields {
			s.fields = append(s.fields, specField{key: f.Key, val: c.expr(f.Value)})
		}
		return s
	}
	c.errorf(e.Pos(), "%s is not a class, pattern or literal", FormatExpr(e))
	return &spec{at: e.Pos(), isLit: true}
}

func (c *compiler) checkClass(at ast.Pos, name string) {
	if !c.p.reg.Known(name) && !isUnion(name) {
		c.errorf(at, "unknown class %s", name)
	}
}

func (c *compiler) goal(e ast.Expr) goal {
	g := c.goal0(e)
	if c.src != nil {
		if _, ok := c.src[g]; !ok {
			c.src[g] = e
		}
	}
	return g
}

func (c *compiler) goal0(e ast.Expr) goal {
	switch x := e.(type) {
	case *ast.Paren:
		return c.goal(x.X)
	case *ast.And:
		g := &gAnd{at: x.At}
		for _, sub := range x.Goals {
			cg := c.goal(sub)
			if inner, ok := cg.(*gAnd); ok {
				g.goals = append(g.goals, inner.goals...)
			} else if _, ok := cg.(*gTrue); !ok {
				g.goals = append(g.goals, cg)
			}
		}
		switch len(g.goals) {
		case 0:
			return &gTrue{at: x.At}
		case 1:
			return g.goals[0]
		}
		return g
	case *ast.Or:
		g := &gOr{at: x.At}
		for _, sub := range x.Goals {
			cg := c.goal(sub)
			if inner, ok := cg.(*gOr); ok {
				g.goals = append(g.goals, inner.goals...)
			} else {
				g.goals = append(g.goals, cg)
			}
		}
		if len(g.goals) == 1 {
			return g.goals[0]
		}
		return g
	case *ast.Not:
		return &gNot{at: x.At, g: c.goal(x.Goal)}
	case *ast.Forall:
		cond := c.goal(x.Cond)
		act := c.goal(x.Action)
		return &gNot{at: x.At, g: &gAnd{at: x.At, goals: []goal{cond, &gNot{at: x.At, g: act}}}}
	case *ast.Cut:
		return &gCut{at: x.At}
	case *ast.Print:
		g := &gPrint{at: x.At}
		for _, a := range x.Args {
			g.args = append(g.args, c.expr(a))
		}
		return g
	case *ast.Debug:
		g := &gDebug{at: x.At}
		for _, a := range x.Args {
			g.args = append(g.args, c.expr(a))
		}
		return g
	case *ast.BoolLit:
		if x.Value {
			return &gTrue{at: x.At}
		}
		return &gFail{at: x.At}
	case *ast.Call:
		g := &gCall{at: x.At, name: x.Name, src: x}
		if len(x.Kwargs) > 0 {
			c.errorf(x.At, "rule call %s cannot take keyword arguments", x.Name)
		}
		for _, a := range x.Args {
			g.args = append(g.args, c.expr(a))
		}
		g.pred = c.p.preds[predKey(x.Name, len(x.Args))]
		if g.pred == nil {
			c.errorf(x.At, "call to undefined rule %s/%d", x.Name, len(x.Args))
		} else if c.p.compiled {
			g.setCands()
		}
		return g
	case *ast.Binary:
		switch x.Op {
		case ast.OpUnify:
			g := &gUnify{at: x.At, l: c.expr(x.L), r: c.expr(x.R)}
			g.fast = hasFieldDot(g.l, g.r)
			return g
		case ast.OpAssign:
			v, ok := x.L.(*ast.Var)
			if !ok || v.Name == "_" {
				c.errorf(x.At, "the left side of := must be a variable")
				return &gFail{at: x.At}
			}
			r := c.expr(x.R)
			ve := c.varExpr(v)
			ev, ok := ve.(*eVar)
			if !ok {
				c.errorf(x.At, "cannot assign to %s: it is a constant or class", v.Name)
				return &gFail{at: x.At}
			}
			return &gAssign{at: x.At, slot: ev.slot, name: v.Name, r: r}
		case ast.OpEq, ast.OpNeq, ast.OpLt, ast.OpLeq, ast.OpGt, ast.OpGeq:
			g := &gCmp{at: x.At, op: x.Op, l: c.expr(x.L), r: c.expr(x.R)}
			g.fast = (x.Op == ast.OpEq || x.Op == ast.OpNeq) && hasFieldDot(g.l, g.r)
			return g
		case ast.OpIn:
			return &gIn{at: x.At, l: c.expr(x.L), r: c.expr(x.R)}
		case ast.OpMatches:
			return &gMatches{at: x.At, l: c.expr(x.L), spec: c.spec(x.R)}
		}
		return &gExpr{at: x.At, e: c.expr(x)}
	}
	return &gExpr{at: e.Pos(), e: c.expr(e)}
}

func hasFieldDot(l, r expr) bool {
	if !typedFieldReads {
		return false
	}
	_, _, ok1 := fieldDot(l)
	_, _, ok2 := fieldDot(r)
	return ok1 || ok2
}

func predKey(name string, arity int) string { return loader.Key(name, arity) }

// compileRule compiles a rule's head and body.
func (c *compiler) compileRule(r *ast.Rule, pred *predicate, index int) *crule {
	c.reset()
	cr := &crule{src: r, pred: pred, index: index}
	for _, p := range r.Params {
		cp := cparam{slot: -1}
		if v, ok := p.Term.(*ast.Var); ok && v.Name != "_" {
			if _, seen := c.slots[v.Name]; !seen {
				s := c.newSlot(v.Name)
				c.slots[v.Name] = s
				cp.slot = s
				cp.term = &eVar{at: v.At, slot: s, name: v.Name}
			}
		}
		if cp.term == nil {
			if v, ok := p.Term.(*ast.Var); ok && v.Name == "_" {
				cp.slot = c.newSlot("_")
				cp.term = &eVar{at: v.At, slot: cp.slot, name: "_"}
			} else {
				cp.term = c.expr(p.Term)
			}
		}
		if k, ok := cp.term.(*eConst); ok && isScalar(k.v) {
			cp.hasLit, cp.lit = true, k.v
		}
		if p.Spec != nil {
			s := c.spec(p.Spec)
			if s.isLit {
				if cp.hasLit && !equal(cp.lit, s.lit) {
					c.errorf(p.At, "parameter can never match: %s is not %s", FormatValue(cp.lit), FormatValue(s.lit))
				}
				cp.hasLit, cp.lit = true, s.lit
			} else {
				cp.spec = s
				cp.checked = !s.dict && len(s.fields) == 0
				cr.specd = true
				if cp.slot >= 0 {
					name := c.names[cp.slot]
					cp.deferred = &gMatches{at: s.at, l: &eVar{at: s.at, slot: cp.slot, name: name}, spec: s}
					if c.src != nil { // for the debugger: `org matches Org`
						c.src[cp.deferred] = &ast.Binary{At: p.At, Op: ast.OpMatches, L: &ast.Var{At: p.At, Name: name}, R: p.Spec}
					}
				}
			}
		}
		cp.litStr, cp.litIsStr = cp.lit.(string)
		cr.params = append(cr.params, cp)
	}
	if r.Body != nil {
		cr.body = c.goal(r.Body)
	}
	cr.nslots = len(c.names)
	cr.names = c.names
	markRefIns(cr)
	return cr
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, int64, bool:
		return true
	}
	return false
}

// finishPred sorts out indexing and the sort flag of a predicate.
func (p *predicate) finish() {
	n := 0
	for _, r := range p.rules {
		if r.specd {
			n++
		}
	}
	p.anySpec = n > 0
	p.needSort = n > 0 && len(p.rules) > 1
	p.idxPos = -1
	p.all = newCandSet(p.rules)
	if len(p.rules) < 4 {
		return
	}
	best, bestN := -1, 0
	for i := 0; i < p.arity; i++ {
		cnt := 0
		for _, r := range p.rules {
			if r.params[i].hasLit {
				cnt++
			}
		}
		if cnt > bestN {
			best, bestN = i, cnt
		}
	}
	if bestN < 2 {
		return
	}
	p.idxPos = best
	idx := map[any][]*crule{}
	var nonLit []*crule
	for _, r := range p.rules {
		if !r.params[best].hasLit {
			nonLit = append(nonLit, r)
			for k := range idx {
				idx[k] = append(idx[k], r)
			}
			continue
		}
		k := r.params[best].lit
		if _, ok := idx[k]; !ok {
			idx[k] = append([]*crule(nil), nonLit...)
		}
		idx[k] = append(idx[k], r)
	}
	p.idx = map[any]*candSet{}
	for k, rs := range idx {
		p.idx[k] = newCandSet(rs)
	}
	p.nonLit = newCandSet(nonLit)
}

// setCands precomputes g.cands when the argument at the index position of
// the (finished) predicate is a constant scalar.
func (g *gCall) setCands() {
	p := g.pred
	if p.idxPos < 0 || p.idxPos >= len(g.args) {
		return
	}
	k, ok := g.args[p.idxPos].(*eConst)
	if !ok || !isScalar(k.v) {
		return
	}
	args := make([]any, p.idxPos+1)
	args[p.idxPos] = k.v
	g.cands = p.candidates(args)
}

// candidates returns the rules that may match args (before specializer checks).
func (p *predicate) candidates(args []any) *candSet {
	if p.idxPos < 0 {
		return p.all
	}
	a := deref(args[p.idxPos])
	switch x := a.(type) {
	case float64:
		if x == float64(int64(x)) {
			a = int64(x)
		}
	case string, int64, bool:
	case *cell:
		return p.all
	default:
		return p.nonLit
	}
	if cs, ok := p.idx[a]; ok {
		return cs
	}
	return p.nonLit
}
