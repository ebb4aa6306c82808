package partial

import (
	"reflect"
	"unicode/utf8"
	"unsafe"

	"github.com/ursa-authz/ursa/engine/ast"
)

// unify unifies a and b. Against an unknown it adds constraints to the
// branch instead of deciding; ok=false means the branch fails. The caller
// undoes bindings and constraints on backtracking (mark/undo).
func (e *evaluator) unify(a, b term, pos ast.Pos) (bool, error) {
	a, b = deref(a), deref(b)
	// Two strings (a role name read from the actor and a literal): what
	// engine.Equal decides for them, without the host.
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			return sa == sb, nil
		}
	}
	if ca, ok := a.(*cell); ok {
		if cb, ok := b.(*cell); ok && ca == cb {
			return true, nil
		}
		return e.bind(ca, b, pos)
	}
	if cb, ok := b.(*cell); ok {
		return e.bind(cb, a, pos)
	}
	if ua, ok := a.(*unk); ok {
		return e.unifyUnknown(ua, b, pos)
	}
	if ub, ok := b.(*unk); ok {
		return e.unifyUnknown(ub, a, pos)
	}
	switch x := a.(type) {
	case *listT:
		return e.unifyList(x, b, pos)
	case *dictT:
		return e.unifyDict(x, b, pos)
	}
	switch y := b.(type) {
	case *listT:
		return e.unifyList(y, a, pos)
	case *dictT:
		return e.unifyDict(y, a, pos)
	}
	return e.h.Equal(a, b), nil
}

// bind binds unbound cell c to t, checking a recorded class.
func (e *evaluator) bind(c *cell, t term, pos ast.Pos) (bool, error) {
	if o, ok := t.(*cell); ok {
		// Bind the plainer cell to the richer one, so classes and fields
		// are kept without copying.
		if o.isa == "" {
			o.bound, o.val = true, c
			e.trail = append(e.trail, trailEntry{kind: trBind, c: o})
			return true, nil
		}
		if c.isa != "" {
			ok, err := e.isa(o, c.isa, pos)
			if err != nil || !ok {
				return false, err
			}
		}
		c.bound, c.val = true, o
		e.trail = append(e.trail, trailEntry{kind: trBind, c: c})
		return true, nil
	}
	if c.isa != "" {
		ok, err := e.isa(t, c.isa, pos)
		if err != nil || !ok {
			return false, err
		}
	}
	c.bound, c.val = true, t
	e.trail = append(e.trail, trailEntry{kind: trBind, c: c})
	return true, nil
}

func (e *evaluator) unifyList(l *listT, b term, pos ast.Pos) (bool, error) {
	var elems []term
	var rest term
	switch y := b.(type) {
	case *listT:
		elems, rest = y.elems, y.rest
	case *unk:
		return false, nil
	default:
		vs, ok := asList(b)
		if !ok {
			return false, nil
		}
		elems = vs
	}
	n := len(l.elems)
	if len(elems) < n {
		if rest == nil {
			return false, nil
		}
		// Symmetric: swap so the longer fixed part is on the left.
		return e.unifyList(&listT{elems: elems, rest: rest}, l, pos)
	}
	if l.rest == nil && (len(elems) != n || rest != nil) {
		if len(elems) == n && rest != nil {
			ok, err := e.unify(rest, []any{}, pos)
			if err != nil || !ok {
				return false, err
			}
		} else {
			return false, nil
		}
	}
	for i := 0; i < n; i++ {
		ok, err := e.unify(l.elems[i], elems[i], pos)
		if err != nil || !ok {
			return false, err
		}
	}
	if l.rest != nil {
		var tail term
		if rest != nil {
			tail = &listT{elems: elems[n:], rest: rest}
		} else {
			if v, ok := resolve(&listT{elems: elems[n:]}); ok {
				tail = v
			} else {
				tail = &listT{elems: elems[n:]}
			}
		}
		return e.unify(l.rest, tail, pos)
	}
	return true, nil
}

func (e *evaluator) unifyDict(d *dictT, b term, pos ast.Pos) (bool, error) {
	if !isDict(b) {
		return false, nil
	}
	var n int
	switch y := b.(type) {
	case *dictT:
		n = len(y.keys)
	case map[string]any:
		n = len(y)
	default:
		n = reflect.ValueOf(b).Len()
	}
	if n != len(d.keys) {
		return false, nil
	}
	for i, k := range d.keys {
		v, ok, err := e.dictGet(b, k)
		if err != nil || !ok {
			return false, err
		}
		ok, err = e.unify(d.vals[i], v, pos)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// asList reads a known list value as terms.
func asList(v any) ([]term, bool) {
	if l, ok := v.([]any); ok {
		return l, true
	}
	if v == nil {
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]term, rv.Len())
	for i := range out {
		el := rv.Index(i)
		if el.Kind() == reflect.Struct && el.CanAddr() {
			out[i] = el.Addr().Interface()
		} else {
			out[i] = el.Interface()
		}
	}
	return out, true
}

// unifyUnknown unifies unknown u with b (not a cell).
func (e *evaluator) unifyUnknown(u *unk, b term, pos ast.Pos) (bool, error) {
	return e.compare(Eq, u, b, pos)
}

// compare decides or constrains `a op b`. Both known: the engine's Compare.
// With an unknown: a constraint (objects by primary key), after a static
// type check so that a filter never compares a column with a value the
// decision could not equal.
func (e *evaluator) compare(op CmpOp, a, b term, pos ast.Pos) (bool, error) {
	a, b = deref(a), deref(b)
	ua, aUnk := a.(*unk)
	ub, bUnk := b.(*unk)
	if !aUnk && !bUnk {
		if op == Eq {
			if _, ok := a.(*cell); ok {
				return e.unify(a, b, pos)
			}
			if _, ok := b.(*cell); ok {
				return e.unify(a, b, pos)
			}
		}
		av, aok := resolve(a)
		bv, bok := resolve(b)
		if !aok || !bok {
			if op == Eq {
				return e.unify(a, b, pos)
			}
			return false, e.unsupported(pos, "comparison (%s) with an unbound variable or the unknown resource inside a structure", op)
		}
		ok, err := e.h.Compare(astOpOf(op), av, bv)
		if err != nil {
			return false, e.runtime(pos, err)
		}
		return ok, nil
	}
	if !aUnk {
		// Put the unknown on the left.
		a, b, ua, ub, bUnk = b, a, ub, nil, false
		op = op.flip()
		if u2, ok := b.(*unk); ok {
			ub, bUnk = u2, true
		}
	}
	if ua.t.kind == ukColl || ua.t.kind == ukOpaque || (bUnk && (ub.t.kind == ukColl || ub.t.kind == ukOpaque)) {
		return false, e.unsupported(pos, "comparison (%s) of %s, which is not a field value or an object", op, ua.path)
	}
	if bUnk {
		if samePath(ua.path, ub.path) {
			switch op {
			case Eq, Leq, Geq:
				if ua.t.kind == ukObject {
					return true, nil
				}
				// x = x is true for every value but NaN, as in the decision.
			case Neq:
				if ua.t.kind == ukObject {
					return false, nil
				}
			}
		}
		if ua.t.kind != ub.t.kind {
			return e.constTruth(op, pos, ua.path)
		}
		if ua.t.kind == ukObject {
			if !e.classCompatible(ua.t.class, ub.t.class) {
				return e.constTruth(op, pos, ua.path)
			}
			return e.objectCompare(op, ua, func(f string) (Operand, bool) { return extend(ub.path, f), true }, pos, ub)
		}
		if ua.t.cat != ub.t.cat {
			return e.constTruth(op, pos, ua.path)
		}
		e.push(&Compare{Op: op, L: ua.path, R: ub.path})
		return true, nil
	}
	switch b.(type) {
	case *cell:
		if op == Eq {
			return e.bind(b.(*cell), ua, pos)
		}
		return false, e.unsupported(pos, "comparison (%s) of %s with an unbound variable", op, ua.path)
	case *listT, *dictT:
		return e.constTruth(op, pos, ua.path)
	}
	v := e.h.Normalize(b)
	if ua.t.kind == ukObject {
		if v == nil {
			if !ua.t.nillable || len(ua.path.Fields) == 0 {
				return e.constTruth(op, pos, ua.path)
			}
			if op != Eq && op != Neq {
				return false, nil
			}
			e.push(e.cmpValue(op, ua, nil))
			return true, nil
		}
		cls, ok := e.h.ClassOf(b)
		if !ok || !e.classCompatible(cls, ua.t.class) {
			return e.constTruth(op, pos, ua.path)
		}
		return e.objectCompare(op, ua, func(f string) (Operand, bool) {
			fv, err := e.h.Lookup(b, f)
			if err != nil {
				return nil, false
			}
			fv = e.h.Normalize(fv)
			if !isScalarValue(fv) {
				return nil, false
			}
			return Value{V: fv}, true
		}, pos, nil)
	}
	// A scalar column.
	if !isScalarValue(v) {
		return e.constTruth(op, pos, ua.path)
	}
	if v == nil {
		if op != Eq && op != Neq {
			return false, nil // ordered comparison with nil is false
		}
		if !ua.t.nillable {
			return op == Neq, nil
		}
	} else if catOf(v) != ua.t.cat {
		return e.constTruth(op, pos, ua.path)
	}
	if s, ok := v.(string); ok && !utf8.ValidString(s) && ua.t.cat == catString {
		return false, e.unsupported(pos, "comparison of %s with a string that is not valid UTF-8", ua.path)
	}
	e.push(e.cmpValue(op, ua, v))
	return true, nil
}

// constTruth is the result of comparing values that can never be equal
// (different types): = fails, != holds, ordered comparisons are errors in the
// decision and so here.
func (e *evaluator) constTruth(op CmpOp, pos ast.Pos, p Path) (bool, error) {
	switch op {
	case Eq:
		return false, nil
	case Neq:
		return true, nil
	}
	return false, e.errAt(pos, ast.ErrRuntime, "cannot compare %s (%s) with a value of another type", p, op)
}

// objectCompare compares unknown object u with another object whose key
// fields are given by other, by primary key.
//
// A relation that may be nil gets a guard `path != nil` first: the decision
// compares a nil relation as unequal to an object (no error), while its key
// path would be a lookup through nil. (Two nil relations are equal in a
// decision; with guards on both sides the filter does not accept that case:
// narrower, never wider.)
func (e *evaluator) objectCompare(op CmpOp, u *unk, other func(string) (Operand, bool), pos ast.Pos, o *unk) (bool, error) {
	if op != Eq && op != Neq {
		return false, e.unsupported(pos, "ordered comparison (%s) of objects", op)
	}
	pk := PrimaryKey(u.t.typ)
	if len(pk) == 0 {
		return false, e.unsupported(pos, "%s (a %s) has no primary key (a field named ID or tagged gorm:\"primaryKey\") to compare by", u.path, u.t.class)
	}
	var cs []Cond
	if g := e.nilGuard(u); g != nil {
		cs = append(cs, g)
	}
	if o != nil {
		if g := e.nilGuard(o); g != nil {
			cs = append(cs, g)
		}
	}
	for _, f := range pk {
		o, ok := other(f)
		if !ok {
			return false, e.unsupported(pos, "cannot read the primary key %s of the value compared with %s", f, u.path)
		}
		cs = append(cs, &Compare{Op: Eq, L: extend(u.path, f), R: o})
	}
	if op == Eq {
		e.conds = append(e.conds, cs...)
		return true, nil
	}
	if len(cs) == 1 {
		e.push(negate(cs[0]))
		return true, nil
	}
	e.push(&NotFilter{F: Filter{Branches: []Branch{{Conds: cs}}}})
	return true, nil
}

// member solves `x in coll`.
func (e *evaluator) member(x, coll term, pos ast.Pos, k func() error) error {
	x, coll = deref(x), deref(coll)
	switch c := coll.(type) {
	case *unk:
		if c.t.kind != ukColl {
			return e.unsupported(pos, "`in` over %s, which is not a collection", c.path)
		}
		hint := ""
		if xc, ok := x.(*cell); ok {
			hint = xc.name
		}
		name := e.fresh(hint)
		m := e.mark()
		e.exs = append(e.exs, exFrame{name: name, class: c.t.elem.class, over: c.path, outAt: len(*e.out)})
		el := e.newUnk(Path{Var: name}, c.t.elem)
		ok, err := e.unify(x, el, pos)
		if err == nil && ok {
			err = k()
		}
		e.undo(m)
		return err
	case *cell:
		return e.unsupported(pos, "`in` over an unbound variable")
	case *listT:
		for _, el := range c.elems {
			if err := e.unifyThen(x, el, pos, k); err != nil {
				return err
			}
		}
		if c.rest != nil {
			return e.member(x, c.rest, pos, k)
		}
		return nil
	case *dictT:
		for i, key := range c.keys {
			if err := e.unifyThen(x, &listT{elems: []term{key, c.vals[i]}}, pos, k); err != nil {
				return err
			}
		}
		return nil
	case string:
		for _, r := range c {
			if err := e.unifyThen(x, string(r), pos, k); err != nil {
				return err
			}
		}
		return nil
	case nil:
		return e.errAt(pos, ast.ErrRuntime, "`in` over nil")
	}
	if isDict(coll) {
		rv := reflect.ValueOf(coll)
		keys := rv.MapKeys()
		names := make([]string, len(keys))
		for i, kk := range keys {
			names[i] = kk.String()
		}
		sortStrings(names)
		for _, kname := range names {
			v, _, _ := e.dictGet(coll, kname)
			if err := e.unifyThen(x, []any{kname, v}, pos, k); err != nil {
				return err
			}
		}
		return nil
	}
	elems, ok := viewList(coll)
	if !ok {
		return e.errAt(pos, ast.ErrRuntime, "`in` over %s, which is not a list, dictionary or string", describeValue(coll))
	}
	return e.memberList(x, elems, pos, k)
}

// memberList is member over a known list (x dereferenced).
func (e *evaluator) memberList(x term, elems listView, pos ast.Pos, k func() error) error {
	// An unknown scalar against a list of known scalars: one `in` condition.
	if u, ok := x.(*unk); ok && u.t.kind == ukScalar {
		var vals []Value
		seen := map[any]bool{}
		all := true
		for i := range elems.n {
			v := e.h.Normalize(elems.at(i))
			if !isScalarValue(v) {
				all = false
				break
			}
			if (v == nil && !u.t.nillable) || (v != nil && catOf(v) != u.t.cat) {
				continue // can never be equal
			}
			if _, isF := v.(float64); !isF && seen[v] {
				continue
			}
			seen[v] = true
			vals = append(vals, Value{V: v})
		}
		if all {
			m := e.mark()
			e.push(&In{L: u.path, Values: vals})
			err := k()
			e.undo(m)
			return err
		}
	}
	// An unknown object against a list of known objects: `key in [...]` on
	// its single-field primary key.
	if u, ok := x.(*unk); ok && u.t.kind == ukObject && elems.n > 0 {
		if pk := PrimaryKey(u.t.typ); len(pk) == 1 {
			var vals []Value
			seen := map[any]bool{}
			all := true
			for i := range elems.n {
				el := elems.at(i)
				if el == nil {
					all = false
					break
				}
				cls, ok := e.h.ClassOf(el)
				if !ok {
					all = false
					break
				}
				if !e.classCompatible(cls, u.t.class) {
					continue
				}
				kv, err := e.h.Lookup(el, pk[0])
				if err != nil {
					all = false
					break
				}
				kv = e.h.Normalize(kv)
				if !isScalarValue(kv) {
					all = false
					break
				}
				if !seen[kv] {
					seen[kv] = true
					vals = append(vals, Value{V: kv})
				}
			}
			if all {
				m := e.mark()
				e.pushNilGuard(u)
				e.push(&In{L: extend(u.path, pk[0]), Values: vals})
				err := k()
				e.undo(m)
				return err
			}
		}
	}
	plain := elems.rv.IsValid() && e.plainElems(elems.rv.Type())
	for i := range elems.n {
		el := elems.at(i)
		if !plain {
			el = e.h.Normalize(el)
		}
		if err := e.unifyThen(x, el, pos, k); err != nil {
			return err
		}
	}
	return nil
}

// plainElems reports whether Normalize returns the elements of a slice of
// type t, as listView.at reads them, unchanged: t's elements are structs
// read by address (a pointer to a struct is an object), and Normalize keeps
// such a pointer (it would not for time.Time or sql.Null*: probed once per
// type on a fresh value; what Normalize does with a non-nil pointer to a
// struct depends on the type only).
func (e *evaluator) plainElems(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && e.normKeeps(t.Elem())
}

// normKeeps reports whether Normalize returns a non-nil pointer to a
// struct of type et unchanged (probed once per type and cached per
// snapshot; false without a snapshot).
func (e *evaluator) normKeeps(et reflect.Type) bool {
	if et.Kind() != reflect.Struct || e.snap == nil {
		return false
	}
	// The snapshot's answers, memoised in the evaluator too (few types: a
	// scan beats the map's hash), reset with the snapshot like fieldOK.
	for i := range e.keeps {
		if m := &e.keeps[i]; sameRType(m.t, et) {
			return m.ok
		}
	}
	v, found := false, false
	if m := e.snap.plain.Load(); m != nil {
		v, found = (*m)[et]
	}
	if !found {
		p := reflect.New(et).Interface()
		n := e.h.Normalize(p)
		v = reflect.TypeOf(n) == reflect.TypeOf(p) && reflect.ValueOf(n).Pointer() == reflect.ValueOf(p).Pointer()
		storeCopy(&e.snap.mu, &e.snap.plain, et, v)
	}
	if len(e.keeps) < maxFieldOK {
		e.keeps = append(e.keeps, keepsMemo{et, v})
	}
	return v
}

// keepsMemo is a normKeeps answer.
type keepsMemo struct {
	t  reflect.Type
	ok bool
}

// listView reads a known list value element by element, as asList does,
// without copying it into a []term.
type listView struct {
	xs []any // a []any, or
	rv reflect.Value
	n  int
	// A slice of structs: element i is read as a pointer to it (what at
	// does through reflect), &base[i], of pointer type ptrTyp, without
	// reflect on every element.
	base   unsafe.Pointer
	size   uintptr
	ptrTyp unsafe.Pointer
}

func viewList(v any) (listView, bool) {
	if l, ok := v.([]any); ok {
		return listView{xs: l, n: len(l)}, true
	}
	if v == nil {
		return listView{}, false
	}
	return viewListValue(reflect.ValueOf(v))
}

// viewListValue is viewList on a reflect.Value (of an interface-able value:
// what boxing it and viewList would see).
func viewListValue(rv reflect.Value) (listView, bool) {
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return listView{}, false
	}
	l := listView{rv: rv, n: rv.Len()}
	if rv.Kind() == reflect.Slice && l.n > 1 && rv.Type().Elem().Kind() == reflect.Struct {
		first := rv.Index(0).Addr().Interface()
		ef := (*eface)(unsafe.Pointer(&first))
		l.base, l.ptrTyp, l.size = ef.data, ef.typ, rv.Type().Elem().Size()
	}
	return l, true
}

// at returns element i as asList does.
func (l listView) at(i int) term {
	if l.ptrTyp != nil {
		e := eface{typ: l.ptrTyp, data: unsafe.Add(l.base, uintptr(i)*l.size)}
		return *(*any)(unsafe.Pointer(&e))
	}
	if !l.rv.IsValid() {
		return l.xs[i]
	}
	el := l.rv.Index(i)
	if el.Kind() == reflect.Struct && el.CanAddr() {
		return el.Addr().Interface()
	}
	return el.Interface()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
