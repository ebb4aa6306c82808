package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ursa-authz/ursa/engine/ast"
)

// The VM is a trampoline over an explicit goal stack, in the style of a
// continuation-passing Prolog interpreter:
//
//   - A *cont is an immutable linked list of goals still to run (with the
//     environment each goal runs in). Running a conjunction pushes its tail;
//     calling a rule makes its body the current goal with the caller's
//     continuation as next. No Go recursion per goal: a 100,000-deep rule
//     chain is a 100,000-long linked list on the heap.
//   - Choice points live in a slice. Each records the trail height; on
//     backtracking the trail is undone to that height and the next
//     alternative (next rule, next `or` branch, next `in` element) is run.
//   - cut pops choice points down to the barrier recorded when the rule was
//     called. `not G` pushes a choice point that, when backtracked into, means
//     "G failed" (so not succeeds); if G succeeds, a marker goal removes that
//     choice point and everything above it and fails.
//   - Loop check: a call of a recursive predicate identical to a call still
//     active on the current derivation path fails (the active set is
//     maintained on the trail, so backtracking restores it; see loop.go). On
//     cyclic data this yields the least fixpoint.

type env struct {
	rule   *crule
	cells  []cell
	parent *env
	call   *gCall // the call that created this frame; nil for a query
	args   []any
	depth  int
	lk     *loopKey // set when this frame's call is in the active set
	small  [4]cell
}

type cont struct {
	g    goal
	idx  int // for *gAnd: index of the goal to run
	env  *env
	cutB int
	next *cont
}

type choiceKind uint8

const (
	chRules choiceKind = iota + 1
	chOr
	chIn
	chNot
)

type choice struct {
	kind  choiceKind
	trail int
	next  *cont
	env   *env
	cutB  int
	// chRules
	call  *gCall
	args  []any
	rules []*crule
	idx   int
	// chOr
	goals []goal
	// chIn
	in *inState
}

// inState is the state of an `in` choice point (kept out of choice, which
// is copied and cleared as a whole).
type inState struct {
	lhs  any
	coll inColl
	ref  *elemRef // non-nil: lhs (an unbound cell) is bound to ref, set to each element
}

// inColl is the collection of an `in` goal.
type inColl struct {
	list listView
	str  string
	keys []string
	dict dictView
	n    int   // kind 4: the length
	kind uint8 // 1 list, 2 string, 3 dict, 4 Go slice of structs read through elemRef only (see inFieldSlice)
}

type trailEntry struct {
	cell *cell
	key  *loopKey
	add  bool // for key entries: true = re-add on undo, false = remove on undo
}

// machine runs one query. Machines are pooled per Policy.
type machine struct {
	p        *Policy
	ctx      context.Context
	done     <-chan struct{}
	trail    []trailEntry
	choices  []choice
	cur      *cont
	loops    loopStack
	steps    int
	maxSteps int
	stepCap  int // maxSteps, or MaxInt when unlimited (tick's fast test)
	maxDepth int
	out      io.Writer
	hook     DebugHook
	dbg      debugState
	started  bool
	failed   bool
	// per-query arenas, reset when the machine returns to the pool
	envs   slab[env]
	conts  slab[cont]
	keys   slab[loopKey]
	refs   slab[elemRef]
	ins    slab[inState]
	anys   anySlab
	start1 gStart
	qsrc   map[goal]ast.Expr // goal sources of the running query (debugger)
	// Positions of query goals (run in frame qframe) resolve in qfset;
	// everything else in the policy's FileSet. fset is the one in effect.
	qfset *ast.FileSet
	qrule *crule
	fset  *ast.FileSet
}

// Default limits.
const (
	DefaultMaxSteps = 10_000_000
	DefaultMaxDepth = 250_000
)

// ErrLimit is wrapped by errors from exceeding the step or depth limit.
var ErrLimit = errors.New("limit exceeded")

func (m *machine) reset() {
	clear(m.trail)
	m.trail = m.trail[:0]
	clear(m.choices)
	m.choices = m.choices[:0]
	m.cur = nil
	m.loops.reset()
	m.steps = 0
	m.ctx, m.done, m.out, m.hook = nil, nil, nil, nil
	m.dbg = debugState{}
	m.started, m.failed = false, false
	m.envs.reset()
	m.conts.reset()
	m.keys.reset()
	m.refs.reset()
	m.ins.reset()
	m.anys.reset()
	m.start1 = gStart{}
	m.qsrc = nil
	m.qfset, m.qrule, m.fset = nil, nil, nil
}

func (m *machine) newCont(g goal, idx int, e *env, cutB int, next *cont) *cont {
	c := m.conts.alloc()
	c.g, c.idx, c.env, c.cutB, c.next = g, idx, e, cutB, next
	return c
}

func (m *machine) errAt(at ast.Pos, err error) error {
	var ae *ast.Error
	if errors.As(err, &ae) && ae.Kind == ast.KindRuntime {
		return err
	}
	e := ast.NewError(m.fset, at, ast.KindRuntime, "%s", err.Error())
	e.Err = err
	return e
}

func (m *machine) errorf(at ast.Pos, format string, args ...any) error {
	return ast.NewError(m.fset, at, ast.KindRuntime, format, args...)
}

func (m *machine) bind(c *cell, v any) {
	c.val, c.bound = v, true
	m.trail = append(m.trail, trailEntry{cell: c})
}

func (m *machine) undo(mark int) {
	for i := len(m.trail) - 1; i >= mark; i-- {
		t := &m.trail[i]
		if t.cell != nil {
			t.cell.val, t.cell.bound = nil, false
		} else if t.add {
			m.loops.push(t.key)
		} else {
			m.loops.pop()
		}
		*t = trailEntry{}
	}
	m.trail = m.trail[:mark]
}

func (m *machine) newEnv(r *crule, parent *env, call *gCall, args []any) *env {
	e := m.envs.alloc()
	e.rule, e.parent, e.call, e.args = r, parent, call, args
	return initEnv(e, r, parent)
}

func newEnv(r *crule, parent *env, call *gCall, args []any) *env {
	e := &env{rule: r, parent: parent, call: call, args: args}
	return initEnv(e, r, parent)
}

func initEnv(e *env, r *crule, parent *env) *env {
	if parent != nil {
		e.depth = parent.depth + 1
	}
	if r != nil {
		if r.nslots <= len(e.small) {
			e.cells = e.small[:r.nslots]
		} else {
			e.cells = make([]cell, r.nslots)
		}
	}
	return e
}

// next finds the next solution. It returns false when there are no more.
func (m *machine) next() (bool, error) {
	if m.failed {
		return false, nil
	}
	if m.started {
		ok, err := m.backtrack()
		if err != nil || !ok {
			m.failed = true
			return false, err
		}
	}
	m.started = true
	for m.cur != nil {
		c := m.cur
		m.cur = nil
		ok, err := m.exec(c.g, c.idx, c.env, c.cutB, c.next)
		if err == nil && !ok {
			ok, err = m.backtrack()
			if err == nil && !ok {
				m.failed = true
				return false, nil
			}
		}
		if err != nil {
			m.failed = true
			return false, err
		}
	}
	return true, nil
}

// backtrack resumes the most recent choice point. It returns false when none
// is left.
func (m *machine) backtrack() (bool, error) {
	for len(m.choices) > 0 {
		if err := m.tick(ast.NoPos); err != nil {
			return false, err
		}
		top := len(m.choices) - 1
		ch := &m.choices[top]
		m.undo(ch.trail)
		switch ch.kind {
		case chNot:
			m.cur = ch.next
			m.choices[top] = choice{}
			m.choices = m.choices[:top]
			return true, nil
		case chOr:
			g, e, cutB, next := ch.goals[ch.idx], ch.env, ch.cutB, ch.next
			ch.idx++
			if ch.idx == len(ch.goals) {
				m.choices[top] = choice{}
				m.choices = m.choices[:top]
			}
			ok, err := m.exec(g, 0, e, cutB, next)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		case chRules:
			r, call, args, parent, next, cutB := ch.rules[ch.idx], ch.call, ch.args, ch.env, ch.next, ch.cutB
			ch.idx++
			if ch.idx == len(ch.rules) {
				m.choices[top] = choice{}
				m.choices = m.choices[:top]
			}
			ok, err := m.tryRule(r, call, args, parent, next, cutB)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		case chIn:
			ok, err := m.inFrom(top)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
	}
	return false, nil
}

// tick counts a step: every 1024 steps it checks the context, and it
// enforces the step limit.
func (m *machine) tick(at ast.Pos) error {
	m.steps++
	if m.steps&1023 != 0 && m.steps <= m.stepCap {
		return nil
	}
	return m.tickSlow(at)
}

// tickGoal is tick at goal g, whose position is computed only for an error.
func (m *machine) tickGoal(g goal) error {
	m.steps++
	if m.steps&1023 != 0 && m.steps <= m.stepCap {
		return nil
	}
	return m.tickSlow(g.pos())
}

func (m *machine) tickSlow(at ast.Pos) error {
	if m.steps&1023 == 0 && m.done != nil {
		select {
		case <-m.done:
			return m.errAt(at, fmt.Errorf("query stopped: %w", m.ctx.Err()))
		default:
		}
	}
	if m.maxSteps > 0 && m.steps > m.maxSteps {
		return m.errAt(at, fmt.Errorf("%w: the query ran more than %d steps", ErrLimit, m.maxSteps))
	}
	return nil
}

// exec runs goal g. On success it sets m.cur to the continuation and returns
// true; false means the goal failed (the caller backtracks).
func (m *machine) exec(g goal, idx int, e *env, cutB int, next *cont) (bool, error) {
	m.fset = m.p.fset
	if m.qfset != nil && e != nil && e.rule == m.qrule {
		m.fset = m.qfset
	}
	for {
		if err := m.tickGoal(g); err != nil {
			return false, err
		}
		if m.hook != nil {
			if err := m.debugGoal(g, e, next); err != nil {
				return false, err
			}
		}
		switch x := g.(type) {
		case *gAnd:
			if idx+1 < len(x.goals) {
				next = m.newCont(x, idx+1, e, cutB, next)
			}
			g, idx = x.goals[idx], 0
			continue
		case *gCall:
			return m.call(x, e, next)
		case *gStart:
			return m.invoke(nil, x.pred, x.args, e, next)
		case *gCmp:
			if x.fast {
				ok, err := m.fastEq(x, e)
				if err != nil {
					return m.evalFail(x.at, err)
				}
				if !ok {
					return false, nil
				}
				break
			}
			l, r, err := m.evalBound(x.at, x.op, x.l, x.r, e)
			if err != nil {
				return m.evalFail(x.at, err)
			}
			ok, err := compare(x.op, l, r)
			if err != nil {
				return false, m.errAt(x.at, err)
			}
			if !ok {
				return false, nil
			}
		case *gUnify:
			if x.fast {
				ok, err := m.fastUnify(x, e)
				if err != nil {
					return m.evalFail(x.at, err)
				}
				if !ok {
					return false, nil
				}
				break
			}
			l, err := m.eval(x.l, e)
			var r any
			if err == nil {
				r, err = m.eval(x.r, e)
			}
			if err != nil {
				return m.evalFail(x.at, err)
			}
			if !m.unify(l, r) {
				return false, nil
			}
		case *gOr:
			m.choices = append(m.choices, choice{kind: chOr, trail: len(m.trail), next: next, env: e, cutB: cutB, goals: x.goals, idx: 1})
			g, idx = x.goals[0], 0
			continue
		case *gNot:
			at := len(m.choices)
			m.choices = append(m.choices, choice{kind: chNot, trail: len(m.trail), next: next})
			next = m.newCont(theNotSucceeded, 0, nil, at, nil)
			g, idx, cutB = x.g, 0, at+1
			continue
		case *gNotSucceeded:
			mark := m.choices[cutB].trail
			clear(m.choices[cutB:])
			m.choices = m.choices[:cutB]
			m.undo(mark)
			return false, nil
		case *gCut:
			if cutB < len(m.choices) {
				clear(m.choices[cutB:])
				m.choices = m.choices[:cutB]
			}
		case *gExit:
			if e.lk != nil {
				m.loops.pop()
				m.trail = append(m.trail, trailEntry{key: e.lk, add: true})
			}
		case *gIn:
			return m.in(x, e, cutB, next)
		case *gMatches:
			v, err := m.eval(x.l, e)
			if err != nil {
				return m.evalFail(x.at, err)
			}
			ok, err := m.matchSpec(v, x.spec, e)
			if err != nil {
				return false, m.errAt(x.at, err)
			}
			if !ok {
				return false, nil
			}
		case *gAssign:
			c, unbound := deref(&e.cells[x.slot]).(*cell)
			if !unbound {
				return false, m.errorf(x.at, "cannot assign to %s: it is already bound to %s", x.name, FormatValue(resolve(&e.cells[x.slot])))
			}
			v, err := m.eval(x.r, e)
			if err != nil {
				return m.evalFail(x.at, err)
			}
			m.bind(c, v)
		case *gExpr:
			v, err := m.eval(x.e, e)
			if err != nil {
				return m.evalFail(x.at, err)
			}
			switch b := deref(v).(type) {
			case bool:
				if !b {
					return false, nil
				}
			case *cell:
				name := "a variable"
				if ev, ok := x.e.(*eVar); ok {
					name = ev.name
				}
				return false, m.errorf(x.at, "cannot query for an unbound variable (%s)", name)
			default:
				return false, m.errorf(x.at, "expected a boolean, got %s", describe(b))
			}
		case *gTrue:
		case *gFail:
			return false, nil
		case *gPrint:
			parts := make([]string, len(x.args))
			for i, a := range x.args {
				v, err := m.eval(a, e)
				if err != nil {
					return m.evalFail(x.at, err)
				}
				v = resolve(v)
				if s, ok := v.(string); ok {
					parts[i] = s
				} else {
					parts[i] = FormatValue(v)
				}
			}
			if m.out != nil {
				fmt.Fprintln(m.out, strings.Join(parts, " "))
			}
		case *gDebug:
			if err := m.debugBreak(x, e, next); err != nil {
				return false, err
			}
		default:
			return false, m.errorf(g.pos(), "internal error: unknown goal %T", g)
		}
		m.cur = next
		return true, nil
	}
}

// evalFail turns an evaluation error into failure (errFail) or a runtime error.
func (m *machine) evalFail(at ast.Pos, err error) (bool, error) {
	if err == errFail {
		return false, nil
	}
	return false, m.errAt(at, err)
}

func (m *machine) checkBound(at ast.Pos, ex expr, v any, op string) error {
	if c, ok := deref(v).(*cell); ok && c != nil {
		name := "a variable"
		if ev, ok := ex.(*eVar); ok {
			name = ev.name
		}
		return m.errorf(at, "%s: %s is unbound", op, name)
	}
	return nil
}

// evalBound evaluates the operands of a binary operator, both of which
// must be bound.
func (m *machine) evalBound(at ast.Pos, op ast.Op, lx, rx expr, e *env) (l, r any, err error) {
	if l, err = m.eval(lx, e); err != nil {
		return nil, nil, err
	}
	if r, err = m.eval(rx, e); err != nil {
		return nil, nil, err
	}
	if err = m.checkBound(at, lx, l, op.String()); err == nil {
		err = m.checkBound(at, rx, r, op.String())
	}
	return l, r, err
}

// call runs a predicate call.
func (m *machine) call(g *gCall, e *env, next *cont) (bool, error) {
	pred := g.pred
	if pred == nil || len(pred.rules) == 0 {
		return false, nil
	}
	args := m.anys.alloc(len(g.args))
	for i, a := range g.args {
		switch x := a.(type) {
		case *eVar: // eval inlined for the common arguments
			c := &e.cells[x.slot]
			if c.bound {
				args[i] = deref(c.val)
			} else {
				args[i] = c
			}
			continue
		case *eConst:
			args[i] = x.v
			continue
		}
		v, err := m.eval(a, e)
		if err != nil {
			return m.evalFail(g.at, err)
		}
		args[i] = deref(v)
	}
	return m.invoke(g, pred, args, e, next)
}

// invoke calls pred with evaluated arguments. g is the call goal (nil for a
// top-level QueryRule/Decide).
func (m *machine) invoke(g *gCall, pred *predicate, args []any, e *env, next *cont) (bool, error) {
	at := ast.NoPos
	if g != nil {
		at = g.at
	}
	depth := 1
	if e != nil {
		depth = e.depth + 1
	}
	if m.maxDepth > 0 && depth > m.maxDepth {
		return false, m.errAt(at, fmt.Errorf("%w: call depth exceeds %d (runaway recursion?)", ErrLimit, m.maxDepth))
	}
	var cs *candSet
	if g != nil && g.cands != nil {
		cs = g.cands
	} else {
		cs = pred.candidates(args)
	}
	rules := cs.rules
	if pred.anySpec {
		var err error
		if cs.typeOnly {
			var key typeTuple
			for i, a := range args {
				key[i] = typeWord(a)
			}
			if rs, ok := cs.byTypes.get(&key); ok {
				rules = rs
			} else {
				rules, err = m.applicable(rules, args, false)
				if err == nil {
					cs.byTypes.put(&key, rules)
				}
			}
		} else {
			rules, err = m.applicable(rules, args, true)
		}
		if err != nil {
			return false, m.errAt(at, err)
		}
	}
	if len(rules) == 0 {
		return false, nil
	}
	if pred.recursive {
		kp := m.keys.alloc()
		kp.pred, kp.args = pred, args
		if m.loops.contains(kp) {
			*kp = loopKey{}
			return false, nil // loop: this exact call is already being proven
		}
		m.loops.push(kp)
		m.trail = append(m.trail, trailEntry{key: kp})
		ex := m.envs.alloc()
		ex.lk = kp
		next = m.newCont(theExit, 0, ex, 0, next)
	}
	cutB := len(m.choices)
	if len(rules) > 1 {
		m.choices = append(m.choices, choice{kind: chRules, trail: len(m.trail), next: next, env: e, cutB: cutB, call: g, args: args, rules: rules, idx: 1})
	}
	return m.tryRule(rules[0], g, args, e, next, cutB)
}

// tryRule unifies the head of r with args and, on success, makes its body
// the current goal.
func (m *machine) tryRule(r *crule, call *gCall, args []any, parent *env, next *cont, cutB int) (bool, error) {
	m.fset = m.p.fset
	ne := m.newEnv(r, parent, call, args)
	for i := range r.params {
		p := &r.params[i]
		a := args[i]
		if p.hasLit {
			if as, ok := a.(string); ok && p.litIsStr {
				if as != p.litStr {
					return false, nil
				}
			} else if c, ok := a.(*cell); ok {
				m.bind(c, p.lit)
				a = p.lit
			} else if !equal(a, p.lit) {
				return false, nil
			}
		}
		if p.slot >= 0 {
			ne.cells[p.slot] = cell{val: a, bound: true}
		} else if _, isConst := p.term.(*eConst); !isConst || !p.hasLit {
			t, err := m.eval(p.term, ne)
			if err != nil {
				return m.evalFail(p.term.pos(), err)
			}
			if !m.unify(t, a) {
				return false, nil
			}
		}
		if p.spec != nil {
			_, unbound := a.(*cell)
			if p.checked && !unbound {
				continue // invoke's applicable checked it (see cparam.checked)
			}
			if unbound && p.deferred != nil {
				next = m.newCont(p.deferred, 0, ne, cutB, next)
				continue
			}
			ok, err := m.matchSpec(a, p.spec, ne)
			if err != nil {
				return false, m.errAt(p.spec.at, err)
			}
			if !ok {
				return false, nil
			}
		}
	}
	if r.body == nil {
		m.cur = next
		return true, nil
	}
	m.cur = m.newCont(r.body, 0, ne, cutB, next)
	return true, nil
}

// applicable filters rules by their specializers and sorts them most
// specific first (insertion sort, as oso does; stable for equal rules).
// With lits false, literal parameters are not checked (the result then
// depends only on the argument types and may be cached; head unification
// checks literals anyway).
func (m *machine) applicable(rules []*crule, args []any, lits bool) ([]*crule, error) {
	var out []*crule
	for i, r := range rules {
		ok, err := m.applies(r, args, lits)
		if err != nil {
			return nil, err
		}
		if !ok {
			if out == nil {
				out = make([]*crule, i, len(rules))
				copy(out, rules[:i])
			}
			continue
		}
		if out != nil {
			out = append(out, r)
		}
	}
	if out == nil {
		out = rules
	}
	if len(out) > 1 && out[0].pred.needSort {
		sorted := false
		for i := 1; i < len(out); i++ {
			for j := i; j > 0 && m.p.moreSpecific(out[j], out[j-1]); j-- {
				if !sorted {
					out = append([]*crule(nil), out...)
					sorted = true
				}
				out[j], out[j-1] = out[j-1], out[j]
			}
		}
	}
	return out, nil
}

// applies checks literals and specializers of r against args without binding.
func (m *machine) applies(r *crule, args []any, lits bool) (bool, error) {
	for i := range r.params {
		p := &r.params[i]
		a := args[i]
		if _, unbound := a.(*cell); unbound {
			if p.spec != nil && p.deferred == nil {
				return false, fmt.Errorf("cannot check the specializer %s of %s on an unbound argument", specString(p.spec), r.pred.name)
			}
			continue // checked after the body binds it
		}
		if lits && p.hasLit && !equal(a, p.lit) {
			return false, nil
		}
		if p.spec != nil {
			ok, err := m.p.specApplies(a, p.spec)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

// in runs `l in r`.
func (m *machine) in(x *gIn, e *env, cutB int, next *cont) (bool, error) {
	if x.ref {
		if st := m.inFieldSlice(x, e); st != nil {
			m.choices = append(m.choices, choice{kind: chIn, trail: len(m.trail), next: next, env: e, cutB: cutB, in: st})
			return m.inFrom(len(m.choices) - 1)
		}
	}
	var coll inColl
	var r any
	if lv, ok := fieldList(x.r, e); ok {
		coll = inColl{kind: 1, list: lv}
	} else {
		var err error
		if r, err = m.eval(x.r, e); err != nil {
			return m.evalFail(x.at, err)
		}
		r = deref(r)
	}
	l, err := m.eval(x.l, e)
	if err != nil {
		return m.evalFail(x.at, err)
	}
	if coll.kind != 0 {
		return m.inStart(x, l, &coll, e, cutB, next)
	}
	switch rv := r.(type) {
	case *cell:
		return false, m.errorf(x.at, "in: the right side is unbound")
	case string:
		coll = inColl{kind: 2, str: rv}
	case nil:
		return false, m.errorf(x.at, "in: cannot iterate over nil")
	case *restList:
		return false, m.errorf(x.at, "in: cannot iterate over a list with an unbound rest")
	default:
		if lv, ok := asList(rv); ok {
			coll = inColl{kind: 1, list: lv}
		} else if dv, ok := asDict(rv); ok {
			coll = inColl{kind: 3, dict: dv, keys: dv.keys()}
		} else if elems, ok, err := collectSeq(rv); ok {
			if err != nil {
				return false, m.errAt(x.at, err)
			}
			coll = inColl{kind: 1, list: listView{s: elems, isAny: true}}
		} else {
			return false, m.errorf(x.at, "in: cannot iterate over %s", describe(rv))
		}
	}
	return m.inStart(x, l, &coll, e, cutB, next)
}

// inStart pushes the choice point of `l in coll` and tries the first
// element.
func (m *machine) inStart(x *gIn, l any, coll *inColl, e *env, cutB int, next *cont) (bool, error) {
	st := m.ins.alloc()
	st.lhs, st.coll, st.ref = l, *coll, m.inRef(x, l, coll)
	m.choices = append(m.choices, choice{kind: chIn, trail: len(m.trail), next: next, env: e, cutB: cutB, in: st})
	return m.inFrom(len(m.choices) - 1)
}

// inRef returns the elemRef that `x in coll` binds x to, or nil when the
// elements are bound as values: x is not a ref variable (gIn.ref), is not
// an unbound cell, or coll is not a Go slice or array of plain structs.
func (m *machine) inRef(x *gIn, l any, coll *inColl) *elemRef {
	if !x.ref || coll.kind != 1 || coll.list.isAny {
		return nil
	}
	if c, ok := l.(*cell); !ok || c.bound {
		return nil
	}
	rv := coll.list.rv
	if !rv.CanInterface() || !elemRefOK(rv.Type()) {
		return nil
	}
	r := m.refs.alloc()
	r.init(rv)
	return r
}

// fieldList reads `v.field` (v a variable bound to a struct or a non-nil
// pointer to one; field a Go slice or array of concrete elements) as a list
// without boxing the slice into an interface (an allocation per `in`). ok
// is false for anything else, which the caller evaluates as usual.
func fieldList(x expr, e *env) (listView, bool) {
	d, ok := x.(*eDot)
	if !ok || d.call || d.key != nil {
		return listView{}, false
	}
	v, ok := d.x.(*eVar)
	if !ok {
		return listView{}, false
	}
	c := &e.cells[v.slot]
	if !c.bound {
		return listView{}, false
	}
	recv := deref(c.val)
	var fi *FieldInfo
	var rv reflect.Value
	if r, ok := recv.(*elemRef); ok {
		rv = r.val()
		fi = fieldViaType(&d.fields, d.name, r.t)
	} else {
		fi = fieldVia(&d.fields, d.name, recv)
		rv = reflect.ValueOf(recv)
	}
	if fi == nil {
		return listView{}, false
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return listView{}, false
		}
		rv = rv.Elem()
	}
	f, err := rv.FieldByIndexErr(fi.Index)
	if err != nil {
		return listView{}, false
	}
	switch f.Kind() {
	case reflect.Slice, reflect.Array:
		if f.Type().Elem().Kind() != reflect.Interface {
			return listView{rv: f}, true
		}
	}
	return listView{}, false
}

// maxSeqElems bounds how many elements `in` collects from a Go iterator.
const maxSeqElems = 1_000_000

// collectSeq collects the elements of a Go iterator function (iter.Seq[T]:
// elements; iter.Seq2[K, V]: [k, v] pairs). ok is false for other values.
func collectSeq(v any) (elems []any, ok bool, err error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Func || rv.IsNil() {
		return nil, false, nil
	}
	t := rv.Type()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("in: the iterator panicked: %v", r)
		}
	}()
	switch {
	case t.CanSeq():
		for x := range rv.Seq() {
			if len(elems) >= maxSeqElems {
				return nil, true, fmt.Errorf("in: the iterator yielded more than %d elements", maxSeqElems)
			}
			elems = append(elems, normValue(x))
		}
	case t.CanSeq2():
		for k, x := range rv.Seq2() {
			if len(elems) >= maxSeqElems {
				return nil, true, fmt.Errorf("in: the iterator yielded more than %d elements", maxSeqElems)
			}
			elems = append(elems, []any{normValue(k), normValue(x)})
		}
	default:
		return nil, false, nil
	}
	return elems, true, nil
}

// inFrom tries the remaining elements of the `in` choice point at index top.
func (m *machine) inFrom(top int) (bool, error) {
	ch := &m.choices[top]
	st := ch.in
	for {
		var elem any
		switch st.coll.kind {
		case 1, 4:
			if st.coll.kind == 4 {
				if ch.idx >= st.coll.n {
					goto done
				}
			} else if ch.idx >= st.coll.list.len() {
				goto done
			}
			if st.ref != nil {
				if err := m.tick(ast.NoPos); err != nil {
					return false, err
				}
				st.ref.set(st.coll.list.rv, ch.idx)
				ch.idx++
				m.bind(st.lhs.(*cell), st.ref)
				next := ch.next
				if m.inExhausted(ch) {
					m.choices[top] = choice{}
					m.choices = m.choices[:top]
				}
				m.cur = next
				return true, nil
			}
			elem = st.coll.list.at(ch.idx)
			ch.idx++
		case 2:
			if ch.idx >= len(st.coll.str) {
				goto done
			}
			_, size := utf8.DecodeRuneInString(st.coll.str[ch.idx:])
			elem = st.coll.str[ch.idx : ch.idx+size]
			ch.idx += size
		case 3:
			if ch.idx >= len(st.coll.keys) {
				goto done
			}
			k := st.coll.keys[ch.idx]
			v, _ := st.coll.dict.get(k)
			elem = []any{k, v}
			ch.idx++
		}
		if err := m.tick(ast.NoPos); err != nil {
			return false, err
		}
		if m.unify(st.lhs, elem) {
			next := ch.next
			if m.inExhausted(ch) {
				m.choices[top] = choice{}
				m.choices = m.choices[:top]
			}
			m.cur = next
			return true, nil
		}
		m.undo(ch.trail)
	}
done:
	m.choices[top] = choice{}
	m.choices = m.choices[:top]
	return false, nil
}

func (m *machine) inExhausted(ch *choice) bool {
	st := ch.in
	switch st.coll.kind {
	case 1:
		return ch.idx >= st.coll.list.len()
	case 4:
		return ch.idx >= st.coll.n
	case 2:
		return ch.idx >= len(st.coll.str)
	}
	return ch.idx >= len(st.coll.keys)
}

// unify unifies two terms, binding cells (trailed).
func (m *machine) unify(a, b any) bool {
	a, b = deref(a), deref(b)
	if ca, ok := a.(*cell); ok {
		if cb, ok := b.(*cell); ok && ca == cb {
			return true
		}
		m.bind(ca, b)
		return true
	}
	if cb, ok := b.(*cell); ok {
		m.bind(cb, a)
		return true
	}
	switch x := a.(type) {
	case nil, int64, float64, string, bool:
		return equal(a, b)
	case *restList:
		return m.unifyRest(x, b)
	}
	if y, ok := b.(*restList); ok {
		return m.unifyRest(y, a)
	}
	if eq, ok := structEqual(a, b, m.unify); ok {
		return eq
	}
	return equal(a, b)
}

func (m *machine) unifyRest(x *restList, b any) bool {
	if y, ok := b.(*restList); ok {
		// [a, *r1] = [b, *r2]: unify the common prefix, then the rests.
		n := min(len(x.elems), len(y.elems))
		for i := 0; i < n; i++ {
			if !m.unify(x.elems[i], y.elems[i]) {
				return false
			}
		}
		switch {
		case len(x.elems) > n:
			return m.unify(&restList{elems: x.elems[n:], rest: x.rest}, y.rest)
		case len(y.elems) > n:
			return m.unify(x.rest, &restList{elems: y.elems[n:], rest: y.rest})
		}
		return m.unify(x.rest, y.rest)
	}
	lb, ok := asList(b)
	if !ok || lb.len() < len(x.elems) {
		return false
	}
	for i, el := range x.elems {
		if !m.unify(el, lb.at(i)) {
			return false
		}
	}
	return m.unify(x.rest, lb.slice(len(x.elems)))
}

// matchSpec checks v against a specializer, unifying pattern fields.
func (m *machine) matchSpec(v any, s *spec, e *env) (bool, error) {
	v = deref(v)
	if c, ok := v.(*cell); ok {
		if s.isLit {
			m.bind(c, s.lit)
			return true, nil
		}
		return false, fmt.Errorf("cannot match an unbound variable against %s", specString(s))
	}
	if s.isLit {
		return equal(v, s.lit), nil
	}
	if !s.dict && !m.p.specIsa(v, s) {
		return false, nil
	}
	for i := range s.fields {
		f := &s.fields[i]
		fv, err := m.p.fieldOf(v, f)
		if err == errFail {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		want, err := m.eval(f.val, e)
		if err != nil {
			if err == errFail {
				return false, nil
			}
			return false, err
		}
		if !m.unify(fv, want) {
			return false, nil
		}
	}
	return true, nil
}

// eval evaluates an expression to a term (unbound variables evaluate to
// their cell).
func (m *machine) eval(x expr, e *env) (any, error) {
	switch x := x.(type) {
	case *eConst:
		return x.v, nil
	case *eVar:
		c := &e.cells[x.slot]
		if c.bound {
			return deref(c.val), nil
		}
		return c, nil
	case *eDot:
		return m.evalDot(x, e)
	case *eArith:
		l, r, err := m.evalBound(x.at, x.op, x.l, x.r, e)
		if err != nil {
			return nil, err
		}
		v, err := arith(x.op, l, r)
		if err != nil {
			if err == errOverflow {
				err = fmt.Errorf("integer overflow: %s %s %s", FormatValue(l), x.op, FormatValue(r))
			}
			return nil, m.errAt(x.at, err)
		}
		return v, nil
	case *eNeg:
		v, err := m.eval(x.x, e)
		if err != nil {
			return nil, err
		}
		if err := m.checkBound(x.at, x.x, v, "-"); err != nil {
			return nil, err
		}
		switch n := deref(v).(type) {
		case float64:
			return -n, nil
		case time.Duration:
			return -n, nil
		}
		r, err := arith(ast.OpSub, int64(0), v)
		if err != nil {
			return nil, m.errAt(x.at, err)
		}
		return r, nil
	case *eList:
		out := make([]any, len(x.elems))
		for i, el := range x.elems {
			v, err := m.eval(el, e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		if x.rest == nil {
			return out, nil
		}
		rest, err := m.eval(x.rest, e)
		if err != nil {
			return nil, err
		}
		rest = deref(rest)
		if l, ok := asList(rest); ok {
			for i := 0; i < l.len(); i++ {
				out = append(out, l.at(i))
			}
			return out, nil
		}
		return &restList{elems: out, rest: rest}, nil
	case *eDict:
		out := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			v, err := m.eval(x.vals[i], e)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case *eNew:
		args, kwargs, err := m.evalArgs(x.args, x.kwkeys, x.kwvals, e)
		if err != nil {
			return nil, err
		}
		v, err := m.p.New(x.class, args, kwargs)
		if err != nil {
			return nil, m.errAt(x.at, err)
		}
		return v, nil
	case *eClass:
		return &ClassValue{Name: x.name}, nil
	}
	return nil, fmt.Errorf("internal error: unknown expression %T", x)
}

func (m *machine) evalArgs(args []expr, kwkeys []string, kwvals []expr, e *env) ([]any, map[string]any, error) {
	var out []any
	if len(args) > 0 {
		out = make([]any, len(args))
		for i, a := range args {
			v, err := m.eval(a, e)
			if err != nil {
				return nil, nil, err
			}
			if c, ok := v.(*cell); ok && !c.bound {
				return nil, nil, m.errorf(a.pos(), "argument %d is unbound", i+1)
			}
			out[i] = resolve(v)
		}
	}
	var kw map[string]any
	if len(kwkeys) > 0 {
		kw = make(map[string]any, len(kwkeys))
		for i, k := range kwkeys {
			v, err := m.eval(kwvals[i], e)
			if err != nil {
				return nil, nil, err
			}
			if c, ok := v.(*cell); ok && !c.bound {
				return nil, nil, m.errorf(kwvals[i].pos(), "keyword argument %s is unbound", k)
			}
			kw[k] = resolve(v)
		}
	}
	return out, kw, nil
}

func (m *machine) evalDot(x *eDot, e *env) (any, error) {
	recv, err := m.eval(x.x, e)
	if err != nil {
		return nil, err
	}
	recv = deref(recv)
	if _, ok := recv.(*cell); ok {
		what := x.name
		if ev, ok := x.x.(*eVar); ok {
			return nil, m.errorf(x.at, "cannot look up %s on the unbound variable %s", what, ev.name)
		}
		return nil, m.errorf(x.at, "cannot look up %s on an unbound variable", what)
	}
	if r, ok := recv.(*elemRef); ok {
		if fi := fieldViaTypeIf(x, r.t); fi != nil {
			v, err := readFieldValue(r.val(), fi, x.name)
			if err != nil {
				return nil, m.errAt(x.at, err)
			}
			return v, nil
		}
		recv = r.value()
	}
	if x.key != nil {
		k, err := m.eval(x.key, e)
		if err != nil {
			return nil, err
		}
		ks, ok := deref(k).(string)
		if !ok {
			return nil, m.errorf(x.at, "a dynamic lookup key must be a string, got %s", describe(k))
		}
		v, err := m.p.Lookup(recv, ks)
		if err != nil && err != errFail {
			return nil, m.errAt(x.at, err)
		}
		return v, err
	}
	if x.call {
		args, kwargs, err := m.evalArgs(x.args, x.kwkeys, x.kwvals, e)
		if err != nil {
			return nil, err
		}
		v, err := m.p.CallMethod(recv, x.name, args, kwargs)
		if err != nil && err != errFail {
			return nil, m.errAt(x.at, err)
		}
		return v, err
	}
	if fi := fieldVia(&x.fields, x.name, recv); fi != nil {
		v, err := readField(recv, fi, x.name)
		if err != nil {
			return nil, m.errAt(x.at, err)
		}
		return v, nil
	}
	v, err := m.p.lookup(recv, x.name)
	if err != nil && err != errFail {
		return nil, m.errAt(x.at, err)
	}
	return v, err
}

// fieldVia returns the struct field name of recv's type, if it is one,
// through a call site's inline cache.
func fieldVia(c *typeCache[*FieldInfo], name string, recv any) *FieldInfo {
	switch recv.(type) {
	case nil, int64, float64, string, bool, []any, map[string]any, *ClassValue, *cell:
		return nil
	}
	return fieldViaType(c, name, reflect.TypeOf(recv))
}

// fieldViaType is fieldVia for a receiver of type t.
func fieldViaType(c *typeCache[*FieldInfo], name string, t reflect.Type) *FieldInfo {
	if fi, ok := c.get(t); ok {
		return fi
	}
	var fi *FieldInfo
	et := t
	if et.Kind() == reflect.Pointer {
		et = et.Elem()
	}
	if et.Kind() == reflect.Struct {
		fi = infoFor(et).fields[name]
	}
	c.put(t, fi)
	return fi
}

// readField reads field fi of a struct or pointer-to-struct value.
func readField(recv any, fi *FieldInfo, name string) (any, error) {
	return readFieldValue(reflect.ValueOf(recv), fi, name)
}

// readFieldValue is readField on the reflect.Value of the receiver.
func readFieldValue(rv reflect.Value, fi *FieldInfo, name string) (any, error) {
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, fmt.Errorf("cannot look up %s on a nil %s", name, rv.Type())
		}
		rv = rv.Elem()
	}
	f, err := rv.FieldByIndexErr(fi.Index)
	if err != nil {
		return nil, fmt.Errorf("cannot look up %s: %v", name, err)
	}
	return normValue(f), nil
}
