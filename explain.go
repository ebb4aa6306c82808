package ursa

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/loader"
	"github.com/ursa-authz/ursa/engine/parser"
)

// Explanations: why a decision came out as it did.
//
// Explain runs each rule of the explained call on its own, through a derived
// policy: for every rule (and every branch of a rule whose body is a top-level
// `or`) and every prefix of its body's conjunction, the derived policy has a
// copy of the rule that runs only that prefix and returns, in an extra
// argument, the argument values of the calls it made. So the explanation uses
// the decision VM itself (same specializers, lookups, comparisons and limits)
// and needs no tracing inside it.
//
//   - Allowed: every rule of the call that succeeds is shown (each is a
//     reason on its own); below it, each call of its body with the first rule
//     (in source order) that proves it, recursively.
//   - Denied: every rule of the call is shown as an attempt, the closest first
//     (most goals of the body satisfied): where it stopped (the head did not
//     match, or the goal that failed, or an error), and below a failing call
//     the attempts of that call, up to a few levels.
//
// A rule is run in isolation, so `cut` in an earlier rule does not hide a
// later one here as it does in the decision. Calls nested inside `not`, `or`
// (other than a rule's top-level `or`) and forall are shown as goals, not
// expanded.

// Explanation is the answer of Explain: the call, whether it succeeded, and
// the tree of rules.
type Explanation struct {
	Call    string         // the explained call with its argument values
	Name    string         // the rule name
	Args    []any          // the argument values
	Allowed bool           // whether the call succeeded
	Rules   []*ExplainNode // succeeded: the rules that succeeded; denied: the attempts, closest first
}

// ExplainNode is one rule tried for one call.
type ExplainNode struct {
	Call      string       // the call with its argument values
	Name      string       // the rule name
	Args      []any        // the argument values
	Rule      string       // the rule as written (head, or the shorthand rule of a resource block)
	Pos       ast.Position // of the rule
	Branch    int          // 1-based branch of a rule whose body is a top-level `or`; 0 otherwise
	Succeeded bool
	Goals     int          // goals in the body (top-level conjuncts)
	Reached   int          // goals satisfied before the one that failed
	Failed    string       // the goal that failed ("" when the head did not match or on success)
	FailedPos ast.Position // of Failed
	Err       error        // a runtime error while running the rule (the decision then denies)
	Note      string       // e.g. recursion cut short
	Children  []*ExplainNode
}

// Limits of an explanation.
const (
	explainMaxDepth    = 24 // nested calls shown under a success
	explainFailDepth   = 3  // levels of failing calls expanded under a denial
	explainMaxAttempts = 5  // attempts shown per failing call below the top
)

// Explain explains allow(actor, action, resource) with the current policy.
func (a *Authorizer) Explain(ctx context.Context, actor, action, resource any) (*Explanation, error) {
	return a.ExplainRule(ctx, "allow", actor, action, resource)
}

// ExplainRule explains the call name(args...) with the current policy.
func (a *Authorizer) ExplainRule(ctx context.Context, name string, args ...any) (*Explanation, error) {
	p, err := a.current()
	if err != nil {
		return nil, err
	}
	return ExplainPolicy(ctx, p, a.queryOptions(nil), name, args...)
}

// ExplainQuery explains a call written in Polar, e.g.
// `allow({name: "alice"}, "read", {owner: "alice"})`.
func (a *Authorizer) ExplainQuery(ctx context.Context, src string) (*Explanation, error) {
	p, err := a.current()
	if err != nil {
		return nil, err
	}
	return ExplainPolicyQuery(ctx, p, a.queryOptions(nil), src)
}

// ExplainPolicyQuery is ExplainQuery on a compiled policy (for tools that
// build policies with package engine). The query must be one rule call; its
// arguments are evaluated as Polar terms (variables stay unbound).
func ExplainPolicyQuery(ctx context.Context, p *engine.Policy, opts *engine.QueryOptions, src string) (*Explanation, error) {
	e, errs := parser.ParseQuery(p.FileSet(), "<query>", src)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	for {
		pe, ok := e.(*ast.Paren)
		if !ok {
			break
		}
		e = pe.X
	}
	call, ok := e.(*ast.Call)
	if !ok {
		return nil, fmt.Errorf("ursa: explain needs a rule call such as allow(actor, action, resource), got %s", ast.String(e))
	}
	if len(call.Kwargs) > 0 {
		return nil, fmt.Errorf("ursa: explain: rule calls take no keyword arguments")
	}
	// Evaluate the arguments: ursa__arg0 = <arg0> and ...
	args := make([]any, len(call.Args))
	if len(call.Args) > 0 {
		var goals []ast.Expr
		for i, x := range call.Args {
			goals = append(goals, &ast.Binary{At: x.Pos(), Op: ast.OpUnify, L: &ast.Var{At: x.Pos(), Name: argVar(i)}, R: x})
		}
		var q ast.Expr = goals[0]
		if len(goals) > 1 {
			q = &ast.And{At: call.At, Goals: goals}
		}
		found := false
		for b, err := range p.QueryExpr(ctx, opts, q) {
			if err != nil {
				return nil, err
			}
			for i := range args {
				args[i] = b[argVar(i)]
			}
			found = true
			break
		}
		if !found {
			return nil, fmt.Errorf("ursa: explain: the arguments of %s have no value", call.Name)
		}
	}
	return ExplainPolicy(ctx, p, opts, call.Name, args...)
}

func argVar(i int) string { return fmt.Sprintf("ursa__arg%d", i) }

// ExplainPolicy is ExplainRule on a compiled policy. A Variable argument
// stays unbound.
func ExplainPolicy(ctx context.Context, p *engine.Policy, opts *engine.QueryOptions, name string, args ...any) (*Explanation, error) {
	d, err := derive(p)
	if err != nil {
		return nil, err
	}
	if opts != nil && opts.Debug != nil { // rules run many times here: no debugger stops
		o := *opts
		o.Debug, o.DebugStep = nil, false
		opts = &o
	}
	x := &explainer{ctx: ctx, d: d, opts: opts}
	ex := &Explanation{Call: formatCall(name, args), Name: name, Args: args}
	ok, err := p.Decide(ctx, opts, name, args...)
	if err != nil {
		return nil, err
	}
	ex.Allowed = ok
	if ok {
		for _, rc := range d.byPred[loader.Key(name, len(args))] {
			n := x.success(rc, args, map[string]bool{ex.Call: true}, 0)
			if n != nil {
				ex.Rules = append(ex.Rules, n)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return ex, nil
	}
	ex.Rules = x.attempts(name, args, map[string]bool{}, 0, len(d.byPred[loader.Key(name, len(args))]))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ex, nil
}

// String renders the explanation as an indented tree.
func (e *Explanation) String() string { return e.Format(engine.FormatValue) }

// Format is String with a custom rendering of argument values.
func (e *Explanation) Format(value func(any) string) string {
	var b strings.Builder
	call := callString(e.Name, e.Args, e.Call, value)
	if e.Allowed {
		fmt.Fprintf(&b, "%s succeeded\n", call)
	} else {
		fmt.Fprintf(&b, "%s failed\n", call)
		if len(e.Rules) == 0 {
			b.WriteString("  no rule of this name and arity applies\n")
		}
	}
	writeNodes(&b, e.Rules, 1, value)
	return b.String()
}

// maxMismatches is how many attempts whose head does not match are shown per
// call; the rest are counted.
const maxMismatches = 3

func (n *ExplainNode) headMismatch() bool {
	return !n.Succeeded && n.Err == nil && n.Failed == "" && n.Note == ""
}

func writeNodes(b *strings.Builder, ns []*ExplainNode, depth int, value func(any) string) {
	mism := 0
	for i, c := range ns {
		if c.headMismatch() {
			mism++
			if mism > maxMismatches {
				continue
			}
		}
		c.write(b, depth, i == 0 || ns[i-1].Call != c.Call, value)
	}
	if mism > maxMismatches {
		ind := strings.Repeat("  ", depth)
		if depth > 1 {
			ind += "  "
		}
		fmt.Fprintf(b, "%s… and %d more rules whose head does not match\n", ind, mism-maxMismatches)
	}
}

// callString renders name(args) with value, or falls back to call.
func callString(name string, args []any, call string, value func(any) string) string {
	if name == "" {
		return call
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = value(a)
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

func (n *ExplainNode) write(b *strings.Builder, depth int, showCall bool, value func(any) string) {
	ind := strings.Repeat("  ", depth)
	if depth > 1 {
		if showCall {
			fmt.Fprintf(b, "%s%s\n", ind, callString(n.Name, n.Args, n.Call, value))
		}
		depth++
		ind += "  "
	}
	rule := n.Rule
	if n.Branch > 0 {
		rule += fmt.Sprintf(" (branch %d of or)", n.Branch)
	}
	switch {
	case n.Succeeded:
		fmt.Fprintf(b, "%s✓ %s  [%s]\n", ind, rule, n.Pos)
	case n.Err != nil:
		fmt.Fprintf(b, "%s✗ %s  [%s]\n%s    error: %s\n", ind, rule, n.Pos, ind, firstLine(n.Err))
	case n.Failed == "":
		fmt.Fprintf(b, "%s✗ %s  [%s]\n%s    the head does not match\n", ind, rule, n.Pos, ind)
	default:
		fmt.Fprintf(b, "%s✗ %s  [%s]\n%s    failed at %s  [%s] (%d of %d goals satisfied)\n", ind, rule, n.Pos, ind, n.Failed, n.FailedPos, n.Reached, n.Goals)
	}
	if n.Note != "" {
		fmt.Fprintf(b, "%s    %s\n", ind, n.Note)
	}
	writeNodes(b, n.Children, depth+1, value)
}

func firstLine(err error) string {
	if e, ok := err.(*ast.Error); ok {
		return e.Header()
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func formatCall(name string, args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = engine.FormatValue(a)
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

// ---- the derived policy

// ruleCopy is one alternative of one rule (a branch of a top-level `or`, or
// the whole body) with the names of its prefix copies.
type ruleCopy struct {
	rule   *ast.Rule
	branch int
	goals  []ast.Expr // top-level conjuncts
	plain  []string   // plain[k]: copy running goals[:k]; out = args of its calls
	next   []string   // next[k]: as plain[k], plus the arguments of goals[k] when it is a call (or not call); "" otherwise
	calls  [][]int    // calls[k]: indexes in goals[:k] of the calls whose args plain[k] returns
}

type derived struct {
	p      *engine.Policy // the original policy
	dp     *engine.Policy // with the rule copies
	byPred map[string][]*ruleCopy
}

var (
	derivedMu    sync.Mutex
	derivedCache []*derived // most recent last; a few policies (reloads replace them)
)

const derivedCacheMax = 4

// derive returns the derived policy of p (cached per policy snapshot).
func derive(p *engine.Policy) (*derived, error) {
	derivedMu.Lock()
	for _, d := range derivedCache {
		if d.p == p {
			derivedMu.Unlock()
			return d, nil
		}
	}
	derivedMu.Unlock()
	d, err := buildDerived(p)
	if err != nil {
		return nil, err
	}
	derivedMu.Lock()
	derivedCache = append(derivedCache, d)
	if len(derivedCache) > derivedCacheMax {
		derivedCache = derivedCache[1:]
	}
	derivedMu.Unlock()
	return d, nil
}

const outVar = "ursa__explain_out"

func buildDerived(p *engine.Policy) (*derived, error) {
	prog := p.Program()
	np := *prog // shares everything; only Preds is replaced
	np.Preds = make(map[string]*loader.Pred, 2*len(prog.Preds))
	for k, v := range prog.Preds {
		np.Preds[k] = v
	}
	d := &derived{byPred: map[string][]*ruleCopy{}}
	n := 0
	add := func(r *ast.Rule, body []ast.Expr, out *ast.List) string {
		n++
		name := fmt.Sprintf("ursa__explain_%d", n)
		params := append(append([]*ast.Param(nil), r.Params...), &ast.Param{At: r.At, Term: &ast.Var{At: r.At, Name: outVar}})
		goals := append(append([]ast.Expr(nil), body...), &ast.Binary{At: r.At, Op: ast.OpUnify, L: &ast.Var{At: r.At, Name: outVar}, R: out})
		var b ast.Expr = goals[0]
		if len(goals) > 1 {
			b = &ast.And{At: r.At, Goals: goals}
		}
		np.Preds[loader.Key(name, len(params))] = &loader.Pred{Name: name, Arity: len(params), Rules: []*ast.Rule{{At: r.At, Name: name, NamePos: r.NamePos, Params: params, Body: b, Source: r.Source}}}
		return name
	}
	for key, pred := range prog.Preds {
		for _, r := range pred.Rules {
			for bi, alt := range alternatives(r.Body) {
				rc := &ruleCopy{rule: r, goals: conjuncts(alt)}
				if len(alternatives(r.Body)) > 1 {
					rc.branch = bi + 1
				}
				var callIdx []int
				for k := 0; k <= len(rc.goals); k++ {
					out := &ast.List{At: r.At}
					for _, ci := range callIdx {
						out.Elems = append(out.Elems, &ast.List{At: r.At, Elems: callArgs(rc.goals[ci])})
					}
					rc.calls = append(rc.calls, append([]int(nil), callIdx...))
					rc.plain = append(rc.plain, add(r, rc.goals[:k], out))
					nextName := ""
					if k < len(rc.goals) && callArgs(rc.goals[k]) != nil {
						nout := &ast.List{At: r.At, Elems: append(append([]ast.Expr(nil), out.Elems...), &ast.List{At: r.At, Elems: callArgs(rc.goals[k])})}
						nextName = add(r, rc.goals[:k], nout)
					}
					rc.next = append(rc.next, nextName)
					if k < len(rc.goals) {
						if _, ok := ast.Unparen(rc.goals[k]).(*ast.Call); ok {
							callIdx = append(callIdx, k)
						}
					}
				}
				d.byPred[key] = append(d.byPred[key], rc)
			}
		}
	}
	dp, errs := engine.Compile(&np, p.Registry())
	if err := errs.Err(); err != nil {
		return nil, fmt.Errorf("ursa: explain: %w", err)
	}
	d.p = p
	d.dp = dp
	return d, nil
}

// alternatives splits a body whose top level is an `or` into its branches.
func alternatives(body ast.Expr) []ast.Expr {
	if body == nil {
		return []ast.Expr{nil}
	}
	if o, ok := ast.Unparen(body).(*ast.Or); ok {
		return o.Goals
	}
	return []ast.Expr{body}
}

// conjuncts flattens a conjunction (through parentheses).
func conjuncts(e ast.Expr) []ast.Expr {
	if e == nil {
		return nil
	}
	if a, ok := ast.Unparen(e).(*ast.And); ok {
		var out []ast.Expr
		for _, g := range a.Goals {
			out = append(out, conjuncts(g)...)
		}
		return out
	}
	return []ast.Expr{e}
}

// callArgs returns the argument expressions of a call goal or of `not call`
// (nil for other goals; an empty non-nil list for a call without arguments).
func callArgs(g ast.Expr) []ast.Expr {
	g = ast.Unparen(g)
	if n, ok := g.(*ast.Not); ok {
		g = ast.Unparen(n.Goal)
	}
	if c, ok := g.(*ast.Call); ok {
		return append([]ast.Expr{}, c.Args...)
	}
	return nil
}

// ---- running the copies

type explainer struct {
	ctx  context.Context
	d    *derived
	opts *engine.QueryOptions
}

// run runs a copy and returns the argument lists it reports (ok=false when it
// fails).
func (x *explainer) run(name string, args []any) (out [][]any, ok bool, err error) {
	full := append(append([]any(nil), args...), engine.Variable(outVar))
	for b, err := range x.d.dp.QueryRule(x.ctx, x.opts, name, full...) {
		if err != nil {
			return nil, false, err
		}
		l, _ := b[outVar].([]any)
		for _, e := range l {
			al, _ := e.([]any)
			out = append(out, al)
		}
		return out, true, nil
	}
	return nil, false, nil
}

func (x *explainer) node(rc *ruleCopy, args []any) *ExplainNode {
	r := rc.rule
	fset := x.d.p.FileSet()
	n := &ExplainNode{Call: formatCall(r.Name, args), Name: r.Name, Args: args, Branch: rc.branch, Goals: len(rc.goals)}
	if r.Source != nil {
		n.Rule = strings.TrimSuffix(ast.String(r.Source), ";")
		n.Pos = fset.Position(r.Source.At)
	} else {
		n.Rule = strings.TrimSuffix(ast.String(&ast.Rule{Name: r.Name, Params: r.Params}), ";")
		n.Pos = fset.Position(r.At)
	}
	return n
}

// success explains a rule copy that is expected to succeed on args; nil when
// it does not.
func (x *explainer) success(rc *ruleCopy, args []any, anc map[string]bool, depth int) *ExplainNode {
	last := len(rc.goals)
	out, ok, err := x.run(rc.plain[last], args)
	if err != nil || !ok {
		return nil
	}
	n := x.node(rc, args)
	n.Succeeded, n.Reached = true, last
	if depth >= explainMaxDepth {
		if len(rc.calls[last]) > 0 {
			n.Note = "(deeper calls omitted)"
		}
		return n
	}
	for i, gi := range rc.calls[last] {
		if i >= len(out) {
			break
		}
		call := ast.Unparen(rc.goals[gi]).(*ast.Call)
		n.Children = append(n.Children, x.proveCall(call.Name, out[i], anc, depth+1))
	}
	return n
}

// proveCall explains a call that succeeded: the first rule (source order)
// that proves it.
func (x *explainer) proveCall(name string, args []any, anc map[string]bool, depth int) *ExplainNode {
	cs := formatCall(name, args)
	if anc[cs] || x.ctx.Err() != nil {
		return &ExplainNode{Call: cs, Name: name, Args: args, Rule: cs, Succeeded: true, Note: "(recursive: the same call is being explained above)"}
	}
	anc[cs] = true
	defer delete(anc, cs)
	for _, rc := range x.d.byPred[loader.Key(name, len(args))] {
		if n := x.success(rc, args, anc, depth); n != nil {
			return n
		}
	}
	return &ExplainNode{Call: cs, Name: name, Args: args, Rule: cs, Note: "(no single rule proves this call on its own)"}
}

// attempts explains a call that failed: each rule's attempt, closest first.
// Below the top (limit > 0) at most limit attempts that got past their head
// are kept; attempts whose head does not match are all kept (they are cheap
// and the rendering counts them). Only the kept attempts are expanded.
func (x *explainer) attempts(name string, args []any, anc map[string]bool, depth, limit int) []*ExplainNode {
	cs := formatCall(name, args)
	if anc[cs] || x.ctx.Err() != nil {
		return []*ExplainNode{{Call: cs, Name: name, Args: args, Rule: cs, Note: "(recursive: the same call is being explained above)"}}
	}
	anc[cs] = true
	defer delete(anc, cs)
	type try struct {
		n     *ExplainNode
		rc    *ruleCopy
		score int
	}
	var tries []try
	for _, rc := range x.d.byPred[loader.Key(name, len(args))] {
		n := x.attempt(rc, args)
		sc := n.Reached
		if n.headMismatch() {
			sc = -1
		}
		tries = append(tries, try{n, rc, sc})
	}
	sort.SliceStable(tries, func(i, j int) bool { return tries[i].score > tries[j].score })
	var out []*ExplainNode
	kept := 0
	for _, t := range tries {
		if t.score >= 0 {
			kept++
			if limit > 0 && kept > limit {
				continue
			}
			x.expand(t.n, t.rc, args, anc, depth)
		}
		out = append(out, t.n)
	}
	return out
}

// attempt finds how far one rule gets on args.
func (x *explainer) attempt(rc *ruleCopy, args []any) *ExplainNode {
	n := x.node(rc, args)
	k := 0
	for ; k <= len(rc.goals); k++ {
		_, ok, err := x.run(rc.plain[k], args)
		if err != nil {
			n.Err = err
			break
		}
		if !ok {
			break
		}
	}
	if n.Err != nil {
		n.Reached = max(0, k-1)
		return n
	}
	if k == 0 {
		return n // the head does not match
	}
	k-- // goals[:k] succeed
	n.Reached = k
	if k == len(rc.goals) {
		n.Succeeded = true // on its own (a cut elsewhere may have hidden it)
		return n
	}
	g := rc.goals[k]
	n.Failed = ast.String(g)
	n.FailedPos = x.d.p.FileSet().Position(g.Pos())
	return n
}

// expand explains the failing goal of an attempt when it is a call (its
// attempts) or `not call` (the proof of the call).
func (x *explainer) expand(n *ExplainNode, rc *ruleCopy, args []any, anc map[string]bool, depth int) {
	k := n.Reached
	if n.Failed == "" || n.Err != nil || depth+1 > explainFailDepth || rc.next[k] == "" {
		return
	}
	outs, ok, err := x.run(rc.next[k], args)
	if err != nil || !ok || len(outs) == 0 {
		return
	}
	cargs := outs[len(outs)-1]
	switch gg := ast.Unparen(rc.goals[k]).(type) {
	case *ast.Call:
		n.Children = x.attempts(gg.Name, cargs, anc, depth+1, explainMaxAttempts)
	case *ast.Not:
		if c, ok := ast.Unparen(gg.Goal).(*ast.Call); ok {
			n.Children = []*ExplainNode{x.proveCall(c.Name, cargs, anc, depth+1)}
		}
	}
}
