package engine

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/parser"
)

// Bindings maps the named variables of a query to their values (resolved:
// no engine-internal cells; a variable left unbound maps to a Variable).
type Bindings map[string]any

// QueryOptions configure one query. The zero value (or nil) means the
// defaults: DefaultMaxSteps, DefaultMaxDepth, print to os.Stdout, no debug
// hook.
type QueryOptions struct {
	MaxSteps int       // goals executed before the query stops with ErrLimit; < 0: unlimited
	MaxDepth int       // nested rule calls before the query stops with ErrLimit; < 0: unlimited
	Print    io.Writer // where print(...) writes; nil: os.Stdout
	Debug    DebugHook // called at debug() goals and while stepping
	// DebugStep starts the query in single-step mode (the hook sees the
	// first goal).
	DebugStep bool
}

var machinePool = sync.Pool{New: func() any { return &machine{} }}

func (p *Policy) getMachine(ctx context.Context, opts *QueryOptions) *machine {
	m := machinePool.Get().(*machine)
	m.p = p
	if ctx != nil {
		m.ctx = ctx
		m.done = ctx.Done()
	} else {
		m.ctx = context.Background()
	}
	m.maxSteps, m.maxDepth, m.out = DefaultMaxSteps, DefaultMaxDepth, os.Stdout
	m.fset = p.fset
	if opts != nil {
		if opts.MaxSteps != 0 {
			m.maxSteps = opts.MaxSteps
		}
		if opts.MaxDepth != 0 {
			m.maxDepth = opts.MaxDepth
		}
		if opts.Print != nil {
			m.out = opts.Print
		}
		m.hook = opts.Debug
		if m.hook != nil && opts.DebugStep {
			m.dbg.mode = stepInto
		}
	}
	m.stepCap = m.maxSteps
	if m.maxSteps <= 0 {
		m.stepCap = math.MaxInt
	}
	return m
}

func putMachine(m *machine) {
	m.p = nil
	m.reset()
	if cap(m.trail) > 1<<16 {
		m.trail = nil
	}
	if cap(m.choices) > 1<<14 {
		m.choices = nil
	}
	machinePool.Put(m)
}

// safeNext is next with a last-resort recover: no input may crash the host.
func (m *machine) safeNext() (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
			err = ast.NewError(m.p.fset, ast.NoPos, ast.KindRuntime, "internal error (please report): %v\n%s", r, debug.Stack())
			m.failed = true
		}
	}()
	if m.ctx != nil {
		if err := m.ctx.Err(); err != nil {
			return false, ast.NewError(m.p.fset, ast.NoPos, ast.KindRuntime, "query stopped: %v", err)
		}
	}
	return m.next()
}

// compiledQuery is a query body compiled with its own variable frame.
type compiledQuery struct {
	fset  *ast.FileSet // nil: positions are in the policy's FileSet
	src   map[goal]ast.Expr
	body  goal
	rule  *crule // frame layout (no params)
	names []string
}

func (p *Policy) compileQuery(e ast.Expr) (*compiledQuery, ast.ErrorList) {
	return p.compileQueryIn(nil, e)
}

// compileQueryIn compiles a query whose positions are in fset (nil: the
// policy's FileSet).
func (p *Policy) compileQueryIn(fset *ast.FileSet, e ast.Expr) (*compiledQuery, ast.ErrorList) {
	c := &compiler{p: p, src: map[goal]ast.Expr{}, fset: fset}
	c.reset()
	g := c.goal(e)
	if len(c.errs) > 0 {
		for _, e := range c.errs {
			e.Kind = ast.KindRuntime
		}
		return nil, c.errs
	}
	return &compiledQuery{fset: fset, src: c.src, body: g, rule: &crule{nslots: len(c.names), names: c.names}, names: c.names}, nil
}

func (m *machine) start(q *compiledQuery) *env {
	e := newEnv(q.rule, nil, nil, nil)
	m.qsrc = q.src
	m.qfset, m.qrule = q.fset, q.rule
	m.cur = &cont{g: q.body, env: e}
	return e
}

// Decide runs the rule name with args and reports whether it has at least
// one solution. Arguments are Go values (normalised); a Variable argument is
// left unbound. Any error means deny: (false, err).
func (p *Policy) Decide(ctx context.Context, opts *QueryOptions, name string, args ...any) (bool, error) {
	pred := p.pred(name, len(args))
	if pred == nil {
		return false, nil
	}
	m := p.getMachine(ctx, opts)
	defer putMachine(m)
	m.startCall(pred, args, nil)
	return m.safeNext()
}

func (m *machine) startCall(pred *predicate, args []any, top *env) {
	vals := m.anys.alloc(len(args))
	for i, a := range args {
		if v, ok := a.(Variable); ok {
			c := &cell{}
			if top != nil {
				// reported through the query frame
				top.cells = append(top.cells, cell{})
				c = &top.cells[len(top.cells)-1]
				_ = v
			}
			vals[i] = c
			continue
		}
		vals[i] = norm(a)
	}
	m.start1 = gStart{pred: pred, args: vals}
	m.cur = m.newCont(&m.start1, 0, top, 0, nil)
}

// gStart is the goal of a QueryRule/Decide: a call with given arguments.
type gStart struct {
	pred *predicate
	args []any
}

func (g *gStart) pos() ast.Pos { return ast.NoPos }

// QueryRule runs the rule name with args and streams its solutions in order.
// Arguments that are Variables are left unbound; the bindings of each
// solution map those variable names to values. Iteration stops when the
// consumer stops.
func (p *Policy) QueryRule(ctx context.Context, opts *QueryOptions, name string, args ...any) iter.Seq2[Bindings, error] {
	return func(yield func(Bindings, error) bool) {
		pred := p.pred(name, len(args))
		if pred == nil {
			return
		}
		m := p.getMachine(ctx, opts)
		defer putMachine(m)
		var names []string
		top := &env{cells: make([]cell, 0, len(args))}
		for _, a := range args {
			if v, ok := a.(Variable); ok {
				names = append(names, string(v))
			}
		}
		m.startCall(pred, args, top)
		m.drive(yield, top, names)
	}
}

// drive streams the solutions of the started query: the bindings of names
// (variables of frame top, by slot) per solution, until the consumer stops.
// Names that are empty or start with '_' are not reported.
func (m *machine) drive(yield func(Bindings, error) bool, top *env, names []string) {
	for {
		ok, err := m.safeNext()
		if err != nil {
			yield(nil, err)
			return
		}
		if !ok {
			return
		}
		b := make(Bindings, len(names))
		for i, n := range names {
			if n != "" && !strings.HasPrefix(n, "_") {
				b[n] = resolve(&top.cells[i])
			}
		}
		if !yield(b, nil) {
			return
		}
	}
}

const queryCacheMax = 1024

// Query parses src as a Polar query and streams its solutions in order.
// Bindings hold the query's named variables (those not starting with '_').
// Parsed queries are cached per policy (up to 1024 distinct sources); each
// query has its own FileSet for positions in messages.
func (p *Policy) Query(ctx context.Context, opts *QueryOptions, src string) iter.Seq2[Bindings, error] {
	return func(yield func(Bindings, error) bool) {
		var cq *compiledQuery
		if v, ok := p.queryCache.Load(src); ok {
			cq = v.(*compiledQuery)
		} else {
			qfset := ast.NewFileSet()
			e, errs := parser.ParseQuery(qfset, "<query>", src)
			if errs.Err() != nil {
				yield(nil, errs.Err())
				return
			}
			var cerrs ast.ErrorList
			cq, cerrs = p.compileQueryIn(qfset, e)
			if len(cerrs) > 0 {
				yield(nil, cerrs)
				return
			}
			if p.queryCacheN.Add(1) <= queryCacheMax {
				p.queryCache.Store(src, cq)
			}
		}
		p.runCompiled(ctx, opts, cq, yield)
	}
}

// QueryExpr runs an already parsed query expression (positions must belong
// to the policy's FileSet, see FileSet).
func (p *Policy) QueryExpr(ctx context.Context, opts *QueryOptions, e ast.Expr) iter.Seq2[Bindings, error] {
	return func(yield func(Bindings, error) bool) {
		cq, errs := p.compileQuery(e)
		if len(errs) > 0 {
			yield(nil, errs)
			return
		}
		p.runCompiled(ctx, opts, cq, yield)
	}
}

func (p *Policy) runCompiled(ctx context.Context, opts *QueryOptions, cq *compiledQuery, yield func(Bindings, error) bool) {
	m := p.getMachine(ctx, opts)
	defer putMachine(m)
	top := m.start(cq)
	m.drive(yield, top, cq.names)
}

// FormatBindings renders bindings sorted by name, for tests and tools.
func FormatBindings(b Bindings) string {
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s = %s", k, FormatValue(b[k]))
	}
	if len(parts) == 0 {
		return "true"
	}
	return strings.Join(parts, ", ")
}
