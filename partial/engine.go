package partial

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/ast"
)

// policyHost adapts *engine.Policy to host.
type policyHost struct {
	*engine.Policy
}

func (h policyHost) FieldOf(t reflect.Type, name string) (engine.FieldInfo, bool) {
	return h.Field(t, name)
}

func (policyHost) NoSuchKey(err error) bool                  { return errors.Is(err, engine.ErrNoSuchKey) }
func (policyHost) Normalize(v any) any                       { return engine.Normalize(v) }
func (policyHost) Equal(a, b any) bool                       { return engine.Equal(a, b) }
func (policyHost) Compare(op ast.Op, a, b any) (bool, error) { return engine.Compare(op, a, b) }
func (policyHost) Arith(op ast.Op, a, b any) (any, error)    { return engine.Arith(op, a, b) }

func newEvaluator(ctx context.Context, h host) *evaluator {
	prog := h.Program()
	e, _ := evalPool.Get().(*evaluator)
	if e == nil {
		e = &evaluator{
			keys:  newKeyMemo(),
			conds: make([]Cond, 0, 32),
			exs:   make([]exFrame, 0, 8),
			trail: make([]trailEntry, 0, 32),
		}
		// The simplifier's results are carved from chunks the memo
		// reuses (see reuseOutputs in release): the filter returned is
		// copied out of them.
		e.keys.carveOutputs()
		if poisonReused {
			e.setPoison()
		}
	}
	var snap *snapCache
	if ph, ok := h.(policyHost); ok {
		snap = snapOf(ph.Policy)
		e.sh = snapHost{host: h, c: snap}
		h = &e.sh
	}
	if e.snapMemo == nil {
		e.snapMemo = new(snapMemo)
	} else if snap == nil || e.memoSnap != snap {
		e.snapMemo.reset()
	}
	e.snap, e.h, e.prog, e.ix, e.ctx = snap, h, prog, indexOf(prog), ctx
	e.constVars = e.varsNameConstants()
	return e
}

// varsNameConstants reports whether a variable of the program may name a
// registered constant (then a variable met for the first time is looked up
// as a constant; otherwise it cannot be one). The answer holds for a policy
// snapshot, whose registry is not changed after loading.
func (e *evaluator) varsNameConstants() bool {
	if e.snap != nil {
		switch e.snap.constVars.Load() {
		case 1:
			return false
		case 2:
			return true
		}
	}
	some := !e.ix.varNamesOK
	for _, n := range e.ix.varNames {
		if some {
			break
		}
		_, some = e.h.Constant(n)
	}
	if e.snap != nil {
		if some {
			e.snap.constVars.Store(2)
		} else {
			e.snap.constVars.Store(1)
		}
	}
	return some
}

// setPoison sets what the slabs write over reused elements in tests (see
// poisonReused): values no evaluation makes, visible in a printed filter.
func (e *evaluator) setPoison() {
	e.cmpSlab.poison = Compare{Op: CmpOp(-1), L: Path{Var: "POISONED"}, R: Value{V: "POISONED"}}
	e.condSlab.poison = &InSet{Path: Path{Var: "POISONED"}, Pred: "POISONED"}
	e.valSlab.poison = Value{V: "POISONED"}
	e.unkSlab.poison = unk{path: Path{Var: "POISONED"}, op: Value{V: "POISONED"}}
	e.strSlab.poison = "POISONED"
	e.filterSlab.poison = Filter{Type: "POISONED", Branches: []Branch{{Conds: []Cond{e.condSlab.poison}}}}
	e.branchSlab.poison = Branch{Conds: []Cond{e.condSlab.poison}}
}

// evalPool recycles evaluators: their maps and stacks keep their capacity.
var evalPool sync.Pool

// release returns e to the pool. The filter it produced shares nothing with
// it (branches copy the condition stack; maps and stacks are emptied here).
func (e *evaluator) release() {
	for _, fr := range e.frames[:e.nframes] {
		*fr = frame{} // left by a panic
	}
	if e.reuse {
		e.keys.reuseOutputs() // nothing refers to the simplifier's results
	}
	e.keys.reset()
	e.keys.buf = e.keys.buf[:0]
	if e.reuse {
		// The filter returned was copied out (compactFilter): nothing
		// refers to the slabs and the key arena any more.
		e.cmpSlab.reset()
		e.condSlab.reset()
		e.valSlab.reset()
		e.unkSlab.reset()
		e.strSlab.reset()
		e.filterSlab.reset()
		e.branchSlab.reset()
		if poisonReused {
			a := e.keys.arena[:cap(e.keys.arena)]
			for i := range a {
				a[i] = 'X'
			}
		}
		e.keys.arena = e.keys.arena[:0]
	} else {
		e.cmpSlab.drop()
		e.condSlab.drop()
		e.valSlab.drop()
		e.unkSlab.drop()
		e.strSlab.drop()
		e.filterSlab.drop()
		e.branchSlab.drop()
		// A fresh key arena for the next evaluation (one allocation,
		// sized by what this one used).
		e.keys.arena = make([]byte, 0, max(e.keys.used, 64))
	}
	e.keys.used = 0
	clear(e.types)
	clear(e.trail)
	// Whole capacities: nested residuals write past the saved lengths.
	clear(e.conds[:cap(e.conds)])
	clear(e.exs[:cap(e.exs)])
	clear(e.nameLog)
	clear(e.lookMemo)
	clear(e.fieldMemo)
	clear(e.cmpMemo)
	clear(e.isaMemo)
	clear(e.emitLog)
	*e = evaluator{
		keys:      e.keys,
		types:     e.types,
		scopes:    e.scopes,
		frames:    e.frames,
		lookMemo:  e.lookMemo[:0],
		fieldMemo: e.fieldMemo[:0],
		cmpMemo:   e.cmpMemo[:0],
		// what holds for this snapshot, for its next evaluation (see
		// newEvaluator)
		snapMemo: e.snapMemo,
		memoSnap: e.snap,
		isaMemo:  e.isaMemo[:0],
		trail:    e.trail[:0],
		conds:    e.conds[:0],
		exs:      e.exs[:0],
		nameLog:  e.nameLog[:0],
		emitLog:  e.emitLog[:0],
		building: e.building[:0],
		// the slabs: reset for reuse or dropped above
		cmpSlab:    e.cmpSlab,
		condSlab:   e.condSlab,
		valSlab:    e.valSlab,
		collectFn:  e.collectFn,
		unkSlab:    e.unkSlab,
		strSlab:    e.strSlab,
		filterSlab: e.filterSlab,
		branchSlab: e.branchSlab,
	}
	evalPool.Put(e)
}

// Eval returns the filter of the resources of class resourceType that actor
// may act on with action: the residual of allow(actor, action, resource)
// with the resource unknown, simplified. Constructs a filter cannot express
// exactly give an error that wraps ErrUnsupported and names the policy line.
//
// Filters are cached (see cache.go): the same policy snapshot, action,
// resource type and actor value (compared by content, not by pointer) give
// the same *Filter, which callers must not modify.
func Eval(ctx context.Context, p *engine.Policy, actor any, action string, resourceType string) (*Filter, error) {
	if p == nil {
		return nil, fmt.Errorf("partial: no policy")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fp, cacheable := fingerprint(actor)
	key := cacheKey{p: p, action: action, typ: resourceType, actor: fp}
	if cacheable {
		if f, ok := cacheGet(key); ok {
			return f, nil
		}
	}
	e := newEvaluator(ctx, policyHost{p})
	f, err := e.run("allow", []any{actor, action, Unknown{Type: resourceType}})
	impure := e.impure
	e.release()
	if err != nil {
		return nil, err
	}
	if cacheable && !impure {
		cachePut(key, f)
	}
	return f, nil
}

// Query is Eval for any rule, without the cache: name(args...) where exactly
// one argument is an Unknown, e.g.
// Query(ctx, p, "allow_field", user, "read", Unknown{"Repo"}, "name").
func Query(ctx context.Context, p *engine.Policy, name string, args ...any) (*Filter, error) {
	if p == nil {
		return nil, fmt.Errorf("partial: no policy")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	e := newEvaluator(ctx, policyHost{p})
	f, err := e.run(name, args)
	e.release()
	return f, err
}

// Match reports whether Go value v (an instance of f.Type) satisfies filter
// f, with the decision engine's value semantics (field lookup, equality,
// ordering) of policy p. A condition reading a path through a nil relation
// is false, as in SQL (the rows on which the decision errors there are
// excluded by the filter itself). InSet conditions are the least fixpoint of
// their predicates, so cyclic data terminates. Errors are those of the value
// semantics (an ordered comparison of a number with a string, ...).
func Match(p *engine.Policy, f *Filter, v any) (bool, error) {
	return MatchContext(context.Background(), p, f, v)
}

// MatchContext is Match with a context checked while it runs.
func MatchContext(ctx context.Context, p *engine.Policy, f *Filter, v any) (bool, error) {
	if p == nil {
		return false, fmt.Errorf("partial: no policy")
	}
	return matchWith(ctx, hostOps(policyHost{p}), f, v)
}

func hostOps(h host) valueOps {
	return valueOps{
		lookup: h.Lookup,
		equal:  h.Equal,
		compare: func(op CmpOp, a, b any) (bool, error) {
			return h.Compare(astOpOf(op), a, b)
		},
	}
}

func matchWith(ctx context.Context, ops valueOps, f *Filter, v any) (bool, error) {
	if f == nil {
		return false, nil
	}
	m := &matcher{ops: ops, ctx: ctx, preds: f.Preds, known: map[setKey]bool{}}
	return m.filter(f, &env{name: RootVar, val: v}, nil, nil)
}
