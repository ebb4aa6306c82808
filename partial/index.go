package partial

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/loader"
)

// The compiled program. Once per loaded program (a policy snapshot: a reload
// is a new *loader.Program), the evaluator precomputes per predicate:
//   - a lookup by (name, arity) without building the "name/arity" string;
//   - per rule, the specializer signature (for the order check) and a
//     parameter summary used to reject a rule before any allocation: a string
//     literal parameter against a different known string argument (the action
//     of has_permission(actor, "read", resource)), or a class specializer
//     against an unknown of another class. A rule is rejected this way only
//     when matchParams would reject it too, with no error from an earlier
//     parameter (see quickReject); otherwise matchParams decides as before.

type paramKind uint8

const (
	pkOther  paramKind = iota // anything else: stop the quick check
	pkVar                     // a variable (first occurrence), no specializer or a class one
	pkString                  // a string literal, no specializer
)

type paramInfo struct {
	kind  paramKind
	name  string // pkVar: the variable
	class string // pkVar: class specializer, "" if none
	// pkVar with a class specializer: where the specializer is (the
	// position isa reports).
	classAt ast.Pos
	str     string // pkString: the literal
}

type ruleInfo struct {
	rule   *ast.Rule
	sig    string
	params []paramInfo
	// simple: every parameter is pkVar or pkString, so matching binds
	// only the parameters' own (distinct) variables: none of them is in
	// the scope yet when it is met.
	simple bool
}

type predInfo struct {
	pred  *loader.Pred
	rules []ruleInfo
	all   []int32 // every rule, in order
	// Rules by a string literal parameter (the action, the role name): at
	// strPos, the first position where some rule has a pkString parameter
	// preceded only by pkVar ones, byStr[s] are the rules (in order) that
	// quickReject would not reject for the known string argument s on that
	// ground; noStr for a string no rule names. prefixNames are the
	// variables of those rules before strPos (see candidates).
	strPos      int
	byStr       map[string][]int32
	noStr       []int32
	prefixNames []string
}

type predKey struct {
	name  string
	arity int
}

type progIndex struct {
	preds map[predKey]*predInfo
	// calls are the rule bodies' call sites and their predicates (nil for
	// none), so that a call is not looked up by name each time.
	calls map[*ast.Call]*predInfo
	// varNames are the names of the variables of the program's rules (a
	// superset: every *ast.Var, in any position), so that an evaluation can
	// tell once whether any of them names a registered constant (see
	// evaluator.constVars); varNamesOK is false when the walk met a node it
	// does not know (then it cannot tell, and constants are looked up).
	varNames   []string
	varNamesOK bool
}

const maxIndexedPrograms = 64

// progIndexes maps programs to their indexes.
var progIndexes boundedCache[*loader.Program, *progIndex]

// indexOf returns the compiled index of prog, building it on first use.
func indexOf(prog *loader.Program) *progIndex {
	return progIndexes.get(prog, maxIndexedPrograms, func() *progIndex { return buildIndex(prog) })
}

// boundedCache is a map read without a lock: an immutable map behind an
// atomic pointer, replaced by a copy (under mu) when an entry is added.
// Past max entries it starts over (dropping references to replaced
// programs and policies).
type boundedCache[K comparable, V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[K]V]
}

// get returns the entry of k, made by mk (outside the lock) if there is
// none; concurrent first uses of k all get the entry stored first.
func (c *boundedCache[K, V]) get(k K, max int, mk func() V) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	v := mk()
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v0, ok := (*old)[k]; ok {
			return v0
		}
	}
	m := make(map[K]V, 8)
	if old != nil && len(*old) < max {
		maps.Copy(m, *old)
	}
	m[k] = v
	c.m.Store(&m)
	return v
}

func buildIndex(prog *loader.Program) *progIndex {
	ix := &progIndex{preds: map[predKey]*predInfo{}, calls: map[*ast.Call]*predInfo{}}
	if prog == nil {
		return ix
	}
	for _, p := range prog.Preds {
		pi := &predInfo{pred: p, rules: make([]ruleInfo, len(p.Rules)), strPos: -1}
		for i, r := range p.Rules {
			ps := paramInfos(r)
			simple := true
			for _, p := range ps {
				simple = simple && p.kind != pkOther
			}
			pi.rules[i] = ruleInfo{rule: r, sig: specSignature(r), params: ps, simple: simple}
			pi.all = append(pi.all, int32(i))
		}
		indexStrings(pi)
		ix.preds[predKey{p.Name, p.Arity}] = pi
	}
	vw := varWalk{seen: map[string]bool{}, ok: true}
	for _, p := range prog.Preds {
		for _, r := range p.Rules {
			if r.Body != nil {
				ix.indexCalls(r.Body)
			}
			for _, prm := range r.Params {
				vw.expr(prm.Term)
				vw.expr(prm.Spec)
			}
			vw.expr(r.Body)
		}
	}
	ix.varNames, ix.varNamesOK = vw.names, vw.ok
	return ix
}

// varWalk collects the variable names of expressions; ok turns false at a
// node type it does not know.
type varWalk struct {
	names []string
	seen  map[string]bool
	ok    bool
}

func (w *varWalk) exprs(xs []ast.Expr) {
	for _, x := range xs {
		w.expr(x)
	}
}

func (w *varWalk) fields(fs []*ast.Field) {
	for _, f := range fs {
		w.expr(f.Value)
	}
}

func (w *varWalk) expr(x ast.Expr) {
	switch x := x.(type) {
	case nil:
	case *ast.Var:
		if !w.seen[x.Name] {
			w.seen[x.Name] = true
			w.names = append(w.names, x.Name)
		}
	case *ast.IntLit, *ast.FloatLit, *ast.StringLit, *ast.BoolLit, *ast.ClassRef, *ast.Cut:
	case *ast.List:
		w.exprs(x.Elems)
		w.expr(x.Rest)
	case *ast.Dict:
		w.fields(x.Fields)
	case *ast.Pattern:
		w.fields(x.Fields)
	case *ast.Call:
		w.exprs(x.Args)
		w.fields(x.Kwargs)
	case *ast.New:
		w.exprs(x.Args)
		w.fields(x.Kwargs)
	case *ast.Dot:
		w.expr(x.X)
		w.exprs(x.Args)
		w.fields(x.Kwargs)
		w.expr(x.Key)
	case *ast.Binary:
		w.expr(x.L)
		w.expr(x.R)
	case *ast.And:
		w.exprs(x.Goals)
	case *ast.Or:
		w.exprs(x.Goals)
	case *ast.Not:
		w.expr(x.Goal)
	case *ast.Neg:
		w.expr(x.X)
	case *ast.Forall:
		w.expr(x.Cond)
		w.expr(x.Action)
	case *ast.Print:
		w.exprs(x.Args)
	case *ast.Debug:
		w.exprs(x.Args)
	case *ast.Paren:
		w.expr(x.X)
	default:
		w.ok = false
	}
}

// strSkippable reports whether rule ri has a string literal at pos preceded
// only by variables, so that quickReject rejects it for a different known
// string at pos whenever the arguments before pos are plain (see
// candidates).
func strSkippable(ri *ruleInfo, pos int) bool {
	if pos >= len(ri.params) || ri.params[pos].kind != pkString {
		return false
	}
	for _, p := range ri.params[:pos] {
		if p.kind != pkVar {
			return false
		}
	}
	return true
}

func indexStrings(pi *predInfo) {
	pos := -1
	for p := 0; p < pi.pred.Arity && pos < 0; p++ {
		for i := range pi.rules {
			if strSkippable(&pi.rules[i], p) {
				pos = p
				break
			}
		}
	}
	if pos < 0 {
		return
	}
	pi.strPos, pi.byStr = pos, map[string][]int32{}
	for i := range pi.rules {
		ri := &pi.rules[i]
		if strSkippable(ri, pos) {
			pi.byStr[ri.params[pos].str] = nil
			for _, p := range ri.params[:pos] {
				if p.name != "_" && !slices.Contains(pi.prefixNames, p.name) {
					pi.prefixNames = append(pi.prefixNames, p.name)
				}
			}
		}
	}
	for s := range pi.byStr {
		var rs []int32
		for i := range pi.rules {
			ri := &pi.rules[i]
			if !strSkippable(ri, pos) || ri.params[pos].str == s {
				rs = append(rs, int32(i))
			}
		}
		pi.byStr[s] = rs
	}
	for i := range pi.rules {
		if !strSkippable(&pi.rules[i], pos) {
			pi.noStr = append(pi.noStr, int32(i))
		}
	}
}

// candidates returns the rules of pi to try for args, in order: all of
// them, or, when the argument at pi.strPos is a known string, only those
// that quickReject would not reject for naming another string. That holds
// when every argument before strPos is one quickReject passes over or
// rejects on (a known value, an unbound variable, an unknown), and no
// parameter variable before it names a constant (quickReject stops there
// for an unknown argument).
func (e *evaluator) candidates(pi *predInfo, args []term) []int32 {
	if pi.strPos < 0 {
		return pi.all
	}
	s, ok := deref(args[pi.strPos]).(string)
	if !ok {
		return pi.all
	}
	unknownBefore := false
	for _, a := range args[:pi.strPos] {
		switch deref(a).(type) {
		case *listT, *dictT:
			return pi.all
		case *unk:
			unknownBefore = true
		}
	}
	if unknownBefore && e.constVars {
		for _, n := range pi.prefixNames {
			if _, isConst := e.h.Constant(n); isConst {
				return pi.all
			}
		}
	}
	if rs, ok := pi.byStr[s]; ok {
		return rs
	}
	return pi.noStr
}

// indexCalls records the call sites of goal g (calls are goals: they appear
// under and, or, not, forall and parentheses).
func (ix *progIndex) indexCalls(g ast.Expr) {
	switch x := g.(type) {
	case *ast.Call:
		ix.calls[x] = ix.preds[predKey{x.Name, len(x.Args)}]
	case *ast.And:
		for _, s := range x.Goals {
			ix.indexCalls(s)
		}
	case *ast.Or:
		for _, s := range x.Goals {
			ix.indexCalls(s)
		}
	case *ast.Not:
		ix.indexCalls(x.Goal)
	case *ast.Forall:
		ix.indexCalls(x.Cond)
		ix.indexCalls(x.Action)
	case *ast.Paren:
		ix.indexCalls(x.X)
	}
}

func paramInfos(r *ast.Rule) []paramInfo {
	out := make([]paramInfo, len(r.Params))
	seen := map[string]bool{}
	for i, p := range r.Params {
		switch t := p.Term.(type) {
		case *ast.Var:
			if t.Name != "_" && seen[t.Name] {
				continue // a repeated variable unifies two arguments: pkOther
			}
			seen[t.Name] = true
			pi := paramInfo{kind: pkVar, name: t.Name}
			switch s := p.Spec.(type) {
			case nil:
			case *ast.ClassRef:
				pi.class, pi.classAt = s.Name, s.At
			case *ast.Var:
				pi.class, pi.classAt = s.Name, s.At
			default:
				continue
			}
			out[i] = pi
		case *ast.StringLit:
			if p.Spec == nil {
				out[i] = paramInfo{kind: pkString, str: t.Value}
			}
		}
	}
	return out
}

// pred returns the compiled predicate name/arity, or nil.
func (e *evaluator) pred(name string, arity int) *predInfo {
	return e.ix.preds[predKey{name, arity}]
}

// quickReject reports whether matchParams(r, args) certainly fails without
// an error. Parameters are checked in order, as matchParams does; the check
// stops (no decision) at the first parameter whose outcome it cannot decide
// without side effects or whose processing could raise an error.
func (e *evaluator) quickReject(ri *ruleInfo, args []term) bool {
	for i := range ri.params {
		p := &ri.params[i]
		a := deref(args[i])
		switch p.kind {
		case pkString:
			s, ok := a.(string)
			if !ok {
				return false
			}
			if s != p.str {
				return true // unify(literal, string) is string equality
			}
		case pkVar:
			u, ok := a.(*unk)
			if !ok {
				// isa on a known value or an unbound variable never errors;
				// binding a fresh variable (or a constant unified with a
				// known value) neither.
				if _, isCell := a.(*cell); isCell || p.name == "_" {
					continue
				}
				if p.name != "" && isKnown(a) {
					continue
				}
				return false
			}
			if p.class != "" && !e.classMatch(u.t, p.class) {
				return true // isa on an unknown of another class: false
			}
			if p.name != "_" && e.constVars {
				// A constant named like the parameter would be unified
				// with the unknown: that may raise an error.
				if _, isConst := e.h.Constant(p.name); isConst {
					return false
				}
			}
		default:
			return false
		}
	}
	return false
}
