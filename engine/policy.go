package engine

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/loader"
	"github.com/ursa-authz/ursa/engine/parser"
)

// Policy is an immutable, compiled policy: the loaded Program, the registry
// snapshot it was compiled against, and the compiled rule table. It is safe
// for concurrent use; queries on it never change it.
type Policy struct {
	fset    *ast.FileSet
	prog    *loader.Program
	reg     *Registry
	version uint64
	preds   map[string]*predicate
	byName  map[string][]*predicate // by name, indexed by arity (nil gaps)
	// Warnings from loading (singleton variables, ...).
	Warnings ast.ErrorList

	actorClasses, resourceClasses []*Class
	isaCache                      sync.Map // isaKey -> bool
	goalSrc                       map[goal]ast.Expr
	queryCache                    sync.Map   // string -> *compiledQuery
	allow3                        *predicate // allow/3, IsAllowed's entry (pred without the map)
	compiled                      bool       // every predicate is finished (calls compiled now get cands)
	queryCacheN                   atomic.Int64
}

type isaKey struct {
	t     reflect.Type
	class string
}

var versionCounter atomic.Uint64

// Source is one policy source to load.
type Source struct {
	Name string
	Src  []byte
}

// LoadOptions configure Load and LoadFiles.
type LoadOptions struct {
	// QueryOptions sets limits, print output and debugging of the inline
	// `?=` queries.
	QueryOptions
	// SkipInlineQueries loads the policy without running its inline `?=`
	// queries, so that a tool can run them itself and report each one
	// (RunInlineQueries, or QueryExpr over Program().Queries).
	SkipInlineQueries bool
}

// Load parses sources, loads them with the loader (block expansion, rule
// types, checks), compiles the rules against reg and runs the inline `?=`
// queries (a failing one is a load error; see LoadOptions.SkipInlineQueries).
// The returned list holds errors and warnings; when it has errors the Policy
// is nil. opts may be nil.
func Load(sources []Source, reg *Registry, opts *LoadOptions) (p *Policy, errs ast.ErrorList) {
	defer recoverLoad(&p, &errs)
	fset := ast.NewFileSet()
	var files []*ast.PolicyFile
	for _, s := range sources {
		f, perrs := parser.ParseFile(fset, s.Name, s.Src)
		errs = append(errs, perrs...)
		if f != nil {
			files = append(files, f)
		}
	}
	if errs.Err() != nil {
		errs.Sort()
		return nil, errs
	}
	return LoadFiles(fset, files, reg, opts)
}

// LoadFiles is Load on already parsed files.
func LoadFiles(fset *ast.FileSet, files []*ast.PolicyFile, reg *Registry, opts *LoadOptions) (p *Policy, errs ast.ErrorList) {
	defer recoverLoad(&p, &errs)
	if reg == nil {
		reg = NewRegistry()
	}
	prog, errs := loader.Load(fset, files, reg)
	if errs.Err() != nil {
		return nil, errs
	}
	p, cerrs := Compile(prog, reg)
	errs = append(errs, cerrs...)
	if cerrs.Err() != nil {
		errs.Sort()
		return nil, errs
	}
	if opts == nil || !opts.SkipInlineQueries {
		var qopts *QueryOptions
		if opts != nil {
			qopts = &opts.QueryOptions
		}
		if qerrs := p.RunInlineQueries(qopts); len(qerrs) > 0 {
			errs = append(errs, qerrs...)
			errs.Sort()
			return nil, errs
		}
	}
	p.Warnings = errs.Warnings()
	return p, errs
}

// recoverLoad turns a panic while loading into an error (last resort: no
// policy text may crash the host).
func recoverLoad(p **Policy, errs *ast.ErrorList) {
	if r := recover(); r != nil {
		*p = nil
		*errs = append(*errs, &ast.Error{Kind: ast.KindValidation, Msg: fmt.Sprintf("internal error while loading (please report): %v", r)})
	}
}

// Compile compiles a loaded Program against a registry snapshot. reg must
// not be mutated afterwards (clone it first).
func Compile(prog *loader.Program, reg *Registry) (*Policy, ast.ErrorList) {
	p := &Policy{
		fset:    prog.Fset,
		prog:    prog,
		reg:     reg,
		version: versionCounter.Add(1),
		preds:   map[string]*predicate{},
		byName:  map[string][]*predicate{},
		goalSrc: map[goal]ast.Expr{},
	}
	for _, name := range reg.Classes() {
		c := reg.classes[name]
		if prog.IsActor(name) {
			p.actorClasses = append(p.actorClasses, c)
		}
		if prog.IsResource(name) {
			p.resourceClasses = append(p.resourceClasses, c)
		}
	}
	keys := make([]string, 0, len(prog.Preds))
	for k, lp := range prog.Preds {
		keys = append(keys, k)
		p.preds[k] = &predicate{name: lp.Name, arity: lp.Arity}
	}
	sort.Strings(keys)
	c := &compiler{p: p, src: p.goalSrc}
	for _, k := range keys {
		lp, pred := prog.Preds[k], p.preds[k]
		for i, r := range lp.Rules {
			pred.rules = append(pred.rules, c.compileRule(r, pred, i))
		}
		pred.finish()
		byArity := p.byName[pred.name]
		for len(byArity) <= pred.arity {
			byArity = append(byArity, nil)
		}
		byArity[pred.arity] = pred
		p.byName[pred.name] = byArity
	}
	p.markRecursive()
	p.allow3 = p.preds[predKey("allow", 3)]
	for _, pred := range p.preds {
		for _, r := range pred.rules {
			walkGoal(r.body, func(g goal) {
				if c, ok := g.(*gCall); ok && c.pred != nil {
					c.setCands()
				}
			})
		}
	}
	p.compiled = true
	c.errs.Sort()
	return p, c.errs
}

// pred returns the predicate name/arity, or nil.
func (p *Policy) pred(name string, arity int) *predicate {
	if arity == 3 && name == "allow" {
		return p.allow3
	}
	if byArity := p.byName[name]; arity < len(byArity) {
		return byArity[arity]
	}
	return nil
}

// markRecursive flags predicates that can reach themselves through calls.
func (p *Policy) markRecursive() {
	callees := map[*predicate][]*predicate{}
	for _, pred := range p.preds {
		seen := map[*predicate]bool{}
		for _, r := range pred.rules {
			walkGoal(r.body, func(g goal) {
				if c, ok := g.(*gCall); ok && c.pred != nil && !seen[c.pred] {
					seen[c.pred] = true
					callees[pred] = append(callees[pred], c.pred)
				}
			})
		}
	}
	for _, pred := range p.preds {
		visited := map[*predicate]bool{}
		stack := append([]*predicate(nil), callees[pred]...)
		for len(stack) > 0 {
			q := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if q == pred {
				pred.recursive = true
				break
			}
			if visited[q] {
				continue
			}
			visited[q] = true
			stack = append(stack, callees[q]...)
		}
	}
}

func walkGoal(g goal, f func(goal)) {
	if g == nil {
		return
	}
	f(g)
	switch x := g.(type) {
	case *gAnd:
		for _, s := range x.goals {
			walkGoal(s, f)
		}
	case *gOr:
		for _, s := range x.goals {
			walkGoal(s, f)
		}
	case *gNot:
		walkGoal(x.g, f)
	}
}

// RunInlineQueries runs the policy's inline `?=` queries in source order
// and returns one validation error (with the query's position) per query
// that fails or stops with an error; Load reports the same errors. It is
// for policies loaded with LoadOptions.SkipInlineQueries. opts may be nil.
func (p *Policy) RunInlineQueries(opts *QueryOptions) ast.ErrorList {
	var errs ast.ErrorList
	for _, q := range p.prog.Queries {
		cq, cerrs := p.compileQuery(q.Body)
		if len(cerrs) > 0 {
			errs = append(errs, cerrs...)
			continue
		}
		m := p.getMachine(nil, opts)
		m.start(cq)
		ok, err := m.safeNext()
		putMachine(m)
		if err != nil {
			e := ast.NewError(p.fset, q.At, ast.KindValidation, "inline query failed with an error: %v", err)
			var ae *ast.Error
			if errors.As(err, &ae) {
				c := *ae
				c.Kind = ast.KindValidation
				c.Msg = "inline query failed with an error: " + ae.Msg
				e = &c
			}
			e.Err = err
			errs.Add(e)
		} else if !ok {
			errs.Add(ast.NewError(p.fset, q.At, ast.KindValidation, "inline query failed: %s", ast.String(q.Body)))
		}
	}
	return errs
}

// ---- exports used by partial evaluation and tools ----

// Program returns the loaded program the policy was compiled from.
func (p *Policy) Program() *loader.Program { return p.prog }

// FileSet returns the file set holding the policy sources.
func (p *Policy) FileSet() *ast.FileSet { return p.fset }

// Registry returns the (immutable) registry snapshot of the policy.
func (p *Policy) Registry() *Registry { return p.reg }

// Version is unique per successfully compiled policy (it increases).
func (p *Policy) Version() uint64 { return p.version }

// ClassType returns the registered Go type of class name (pointers removed).
func (p *Policy) ClassType(name string) (reflect.Type, bool) {
	c, ok := p.reg.classes[name]
	if !ok {
		return nil, false
	}
	return c.Type, true
}

// ClassOf returns the Polar class name of a Go value: the registered class of
// its type (pointers dereferenced), or the built-in class of a normalised
// value (Integer, Float, String, Boolean, List, Dictionary).
func (p *Policy) ClassOf(v any) (string, bool) {
	v = norm(v)
	switch v.(type) {
	case nil:
		return "", false
	case int64:
		return ClassInteger, true
	case float64:
		return ClassFloat, true
	case string:
		return ClassString, true
	case bool:
		return ClassBoolean, true
	}
	if c, ok := p.reg.ClassOfType(reflect.TypeOf(v)); ok {
		return c.Name, true
	}
	if _, ok := asList(v); ok {
		return ClassList, true
	}
	if _, ok := asDict(v); ok {
		return ClassDictionary, true
	}
	return "", false
}

// IsA reports whether v is an instance of class with specializer semantics:
// built-in classes, Actor/Resource (classes declared in actor/resource
// blocks), registered types, embedding types (a struct embedding a
// registered struct) and implementations of registered interface types.
func (p *Policy) IsA(v any, class string) bool { return p.isa(norm(v), class) }

// specIsa is isa with the specializer's inline cache.
func (p *Policy) specIsa(v any, s *spec) bool {
	switch v.(type) {
	case nil, int64, float64, string, bool, []any, map[string]any, *cell:
		return p.isa(v, s.class)
	}
	t := reflect.TypeOf(v)
	if ok, hit := s.isaC.get(t); hit {
		return ok
	}
	ok := p.isa(v, s.class)
	s.isaC.put(t, ok)
	return ok
}

// isaBuiltin is isa against a built-in class, and against any class for
// values that are never objects; done is false otherwise (an object against
// a registered class or a union).
func isaBuiltin(v any, class string) (res, done bool) {
	switch class {
	case ClassBoolean:
		_, ok := v.(bool)
		return ok, true
	case ClassInteger:
		_, ok := v.(int64)
		return ok, true
	case ClassFloat:
		_, ok := v.(float64)
		return ok, true
	case ClassString:
		_, ok := v.(string)
		return ok, true
	case ClassList:
		if _, ok := v.(string); ok {
			return false, true
		}
		_, ok := asList(v)
		return ok, true
	case ClassDictionary:
		_, ok := asDict(v)
		return ok, true
	}
	switch v.(type) {
	case nil, int64, float64, string, bool, []any, map[string]any, *cell:
		return false, true
	}
	return false, false
}

// ScalarIsA is IsA on a normalised scalar (a string, int64, float64 or
// bool), which needs no policy: it is an instance of its built-in class
// only. ok is false for any other value.
func ScalarIsA(v any, class string) (isa, ok bool) {
	switch v.(type) {
	case string, int64, float64, bool:
		res, _ := isaBuiltin(v, class)
		return res, true
	}
	return false, false
}

func (p *Policy) isa(v any, class string) bool {
	if res, done := isaBuiltin(v, class); done {
		return res
	}
	t := reflect.TypeOf(v)
	key := isaKey{t, class}
	if r, ok := p.isaCache.Load(key); ok {
		return r.(bool)
	}
	et := t
	for et.Kind() == reflect.Pointer {
		et = et.Elem()
	}
	res := false
	switch class {
	case ClassActor, ClassResource:
		cs := p.actorClasses
		if class == ClassResource {
			cs = p.resourceClasses
		}
		for _, c := range cs {
			if typeIsA(et, c.Type) {
				res = true
				break
			}
		}
	default:
		if c, ok := p.reg.classes[class]; ok {
			res = typeIsA(et, c.Type)
		}
	}
	p.isaCache.Store(key, res)
	return res
}

// SubclassOf reports whether sub equals super or is a subclass of it
// (embedding or interface implementation; a class declared as an actor or
// resource is a subclass of Actor or Resource).
func (p *Policy) SubclassOf(sub, super string) bool {
	if sub == super {
		return true
	}
	switch super {
	case ClassActor:
		for _, c := range p.actorClasses {
			if c.Name == sub || p.reg.Subclass(sub, c.Name) {
				return true
			}
		}
		return false
	case ClassResource:
		for _, c := range p.resourceClasses {
			if c.Name == sub || p.reg.Subclass(sub, c.Name) {
				return true
			}
		}
		return false
	}
	return p.reg.Subclass(sub, super)
}

// Field resolves a field of struct type t (pointers removed) by Go name,
// snake_case name (GORM naming), `polar:"name"` tag or GORM column tag.
func (p *Policy) Field(t reflect.Type, name string) (FieldInfo, bool) {
	if t == nil {
		return FieldInfo{}, false
	}
	fi, ok := infoFor(t).fields[name]
	if !ok {
		return FieldInfo{}, false
	}
	return *fi, true
}

// ErrNoSuchKey is returned by Lookup for a dictionary without the key.
var ErrNoSuchKey = errors.New("no such key")

// Lookup reads field name of v: a dictionary key, a struct field (Go name,
// snake_case, tag) or the result of a zero-argument method. The result is
// normalised (see Normalize; lists and maps are left lazy).
func (p *Policy) Lookup(v any, name string) (any, error) {
	r, err := p.lookup(norm(v), name)
	if err == errFail {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchKey, name)
	}
	return r, err
}

// ReadField is Lookup(v, name) for a field fi that Field resolved for name
// on v's struct type: when v is a non-nil pointer to that struct, it reads
// the field by fi's index without resolving name again (the same read, the
// same normalisation as Lookup); in every other case it is Lookup(v, name).
func (p *Policy) ReadField(v any, fi *FieldInfo, name string) (any, error) {
	if DirectField(v, fi) {
		// A scalar at a fixed offset: read in place, as the decision's
		// typed reads do (readScalarAt is normValue for these kinds).
		var s scalar
		readScalarAt(unsafe.Add(efaceOf(&v).data, fi.offset), fi.kind, &s)
		return s.box(), nil
	}
	if fi.owner != nil {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Type().Elem() == fi.owner {
			return readFieldValue(rv, fi, name)
		}
	}
	return p.Lookup(v, name)
}

func (p *Policy) lookup(v any, name string) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("cannot look up %s on nil", name)
	case map[string]any:
		r, ok := x[name]
		if !ok {
			return nil, errFail
		}
		return norm(r), nil
	case string, int64, float64, bool, []any:
		return callBuiltin(v, name, nil, nil, true)
	case *ClassValue:
		return nil, fmt.Errorf("cannot look up %s on the class %s", name, x.Name)
	}
	rv := reflect.ValueOf(v)
	k := rv.Kind()
	if k == reflect.Pointer && rv.Elem().Kind() == reflect.Struct || k == reflect.Struct {
		r, found, err := lookupField(v, name)
		if found || err != nil {
			return r, err
		}
	}
	if fn, ok := methodOf(v, name); ok {
		if fn.Type().NumIn() == 0 {
			return callFunc(fn, name, nil, nil)
		}
		return nil, fmt.Errorf("%s.%s is a method taking arguments; call it with ()", typeName(v), name)
	}
	if d, ok := asDict(v); ok {
		r, ok := d.get(name)
		if !ok {
			return nil, errFail
		}
		return r, nil
	}
	if _, ok := asList(v); ok {
		return callBuiltin(v, name, nil, nil, true)
	}
	return nil, fmt.Errorf("%s has no field or method %s", typeName(v), name)
}

// fieldOf reads a pattern field: a dictionary key (missing: errFail) or a
// host field.
func (p *Policy) fieldOf(v any, f *specField) (any, error) {
	if fi := fieldVia(&f.fields, f.key, v); fi != nil {
		return readField(v, fi, f.key)
	}
	if d, ok := asDict(v); ok {
		r, ok := d.get(f.key)
		if !ok {
			return nil, errFail
		}
		return r, nil
	}
	return p.lookup(v, f.key)
}

// CallMethod calls method name on v with positional and keyword arguments:
// built-in methods on strings, lists, dictionaries and numbers, methods of Go
// values (Go name or snake_case; value or pointer receivers; variadic;
// keyword arguments go to a trailing map[string]any or options-struct
// parameter), and methods of registered constants.
func (p *Policy) CallMethod(v any, name string, args []any, kwargs map[string]any) (any, error) {
	v = norm(v)
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("cannot call %s on nil", name)
	case string, int64, float64, bool, []any, map[string]any:
		return callBuiltin(v, name, args, kwargs, false)
	case *ClassValue:
		c, ok := p.reg.classes[x.Name]
		if !ok {
			return nil, fmt.Errorf("cannot call %s on the built-in class %s", name, x.Name)
		}
		zero := reflect.New(c.Type)
		fn, ok := methodOf(zero.Interface(), name)
		if !ok {
			return nil, fmt.Errorf("class %s has no method %s", x.Name, name)
		}
		return callFunc(fn, x.Name+"."+name, args, kwargs)
	}
	if fn, ok := methodOf(v, name); ok {
		return callFunc(fn, name, args, kwargs)
	}
	if _, ok := asList(v); ok {
		return callBuiltin(v, name, args, kwargs, false)
	}
	if _, ok := asDict(v); ok {
		return callBuiltin(v, name, args, kwargs, false)
	}
	return nil, fmt.Errorf("%s has no method %s", typeName(v), name)
}

// Constant returns the registered constant name.
func (p *Policy) Constant(name string) (any, bool) { return p.reg.Constant(name) }

// New builds an instance of a registered class as `new Class(args, k: v)`
// does: with the registered constructor if any, else by setting exported
// fields (positional arguments in field order, keyword arguments by name).
// It returns a pointer when the class was registered as a pointer.
func (p *Policy) New(class string, args []any, kwargs map[string]any) (any, error) {
	c, ok := p.reg.classes[class]
	if !ok {
		return nil, fmt.Errorf("cannot construct %s: not a registered class", class)
	}
	if c.Ctor.IsValid() {
		return callFunc(c.Ctor, "new "+class, args, kwargs)
	}
	if c.Type.Kind() != reflect.Struct {
		return nil, fmt.Errorf("cannot construct %s: no constructor registered", class)
	}
	ptr := reflect.New(c.Type)
	sv := ptr.Elem()
	if len(args) > 0 {
		var fields []reflect.StructField
		for i := 0; i < c.Type.NumField(); i++ {
			if f := c.Type.Field(i); f.IsExported() {
				fields = append(fields, f)
			}
		}
		if len(args) > len(fields) {
			return nil, fmt.Errorf("new %s: %d positional arguments for %d fields", class, len(args), len(fields))
		}
		for i, a := range args {
			x, err := toGo(a, fields[i].Type)
			if err != nil {
				return nil, fmt.Errorf("new %s: field %s: %v", class, fields[i].Name, err)
			}
			sv.FieldByIndex(fields[i].Index).Set(x)
		}
	}
	if err := setFields(sv, kwargs); err != nil {
		return nil, fmt.Errorf("new %s: %v", class, err)
	}
	if c.Ptr {
		return ptr.Interface(), nil
	}
	return sv.Interface(), nil
}

// specApplies checks a specializer without binding: class membership and
// literal pattern fields.
func (p *Policy) specApplies(v any, s *spec) (bool, error) {
	if s.isLit {
		return equal(v, s.lit), nil
	}
	if !s.dict && !p.specIsa(v, s) {
		return false, nil
	}
	if s.dict {
		if _, ok := asDict(v); !ok {
			if rv := reflect.ValueOf(v); v == nil || (rv.Kind() != reflect.Struct && !(rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct)) {
				return false, nil
			}
		}
	}
	for i := range s.fields {
		f := &s.fields[i]
		fv, err := p.fieldOf(v, f)
		if err == errFail {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if k, ok := f.val.(*eConst); ok && !equal(fv, k.v) {
			return false, nil
		}
	}
	return true, nil
}

// moreSpecific reports whether rule a is more specific than rule b (see the
// language reference): parameters compared left to right, the first
// difference decides.
func (p *Policy) moreSpecific(a, b *crule) bool {
	for i := range a.params {
		sa, sb := a.params[i].spec, b.params[i].spec
		if sa == nil && sb == nil {
			continue
		}
		if sb == nil {
			return true
		}
		if sa == nil {
			return false
		}
		if c := p.compareSpecs(sa, sb); c != 0 {
			return c > 0
		}
	}
	return false
}

func isUnion(c string) bool { return c == ClassActor || c == ClassResource }

func (p *Policy) compareSpecs(a, b *spec) int {
	if a.dict != b.dict {
		if a.dict {
			return -1
		}
		return 1
	}
	if !a.dict && a.class != b.class {
		ua, ub := isUnion(a.class), isUnion(b.class)
		switch {
		case ua && ub:
			return 0
		case ua:
			return -1
		case ub:
			return 1
		}
		if p.reg.Subclass(a.class, b.class) {
			return 1
		}
		if p.reg.Subclass(b.class, a.class) {
			return -1
		}
		return 0
	}
	switch {
	case len(a.fields) > len(b.fields):
		return 1
	case len(a.fields) < len(b.fields):
		return -1
	}
	return 0
}
