package engine

import (
	"math"
	"reflect"

	"github.com/ursa-authz/ursa/engine/ast"
)

// Typed field reads for comparisons.
//
// `role.Role = name` reads a string field and compares it with a value.
// Through eval, the field is normalised and boxed into an interface (an
// allocation per read for a string). When one side of `=`, `==` or `!=` is
// a plain field read on a variable (fieldDot) and the field's kind is a Go
// scalar that normValue turns into int64, float64, string or bool, the
// field is read into a scalar instead and compared without boxing; the
// result is exactly what equal/unify answer on the normalised value (see
// scalar.eq). Everything else (unbound receivers, nil pointers, other
// kinds, unbound other side for unify) takes the general path or boxes the
// scalar (box) as normValue would have.

// typedFieldReads enables the compile-time marks of the fast paths
// (gUnify.fast, gCmp.fast, gIn.ref); tests turn it off to compare.
var typedFieldReads = true

type scalarKind uint8

const (
	skNone scalarKind = iota
	skString
	skInt
	skFloat
	skBool
)

// scalar is a normalised scalar field value held without an interface.
type scalar struct {
	k scalarKind
	s string
	i int64 // skInt; skBool: 0 or 1
	f float64
}

// box returns the value normValue returns for the field.
func (s *scalar) box() any {
	switch s.k {
	case skString:
		return s.s
	case skInt:
		return s.i
	case skFloat:
		return s.f
	}
	return s.i != 0
}

// eq reports equal(s.box(), o) for a value o that is not an unbound cell
// (o dereferenced).
func (s *scalar) eq(o any) bool {
	switch s.k {
	case skString:
		y, ok := o.(string)
		return ok && y == s.s
	case skInt:
		switch y := o.(type) {
		case int64:
			return y == s.i
		case float64:
			return float64(s.i) == y
		}
		return false
	case skFloat:
		switch y := o.(type) {
		case int64:
			return s.f == float64(y)
		case float64:
			return s.f == y
		}
		return false
	}
	y, ok := o.(bool)
	return ok && y == (s.i != 0)
}

// eqScalar reports equal(a.box(), b.box()).
func (a *scalar) eqScalar(b *scalar) bool {
	switch {
	case a.k == b.k:
		switch a.k {
		case skString:
			return a.s == b.s
		case skFloat:
			return a.f == b.f
		}
		return a.i == b.i
	case a.k == skInt && b.k == skFloat:
		return float64(a.i) == b.f
	case a.k == skFloat && b.k == skInt:
		return a.f == float64(b.i)
	}
	return false
}

// fieldDot reports whether x is a plain field read `v.name` on a variable.
func fieldDot(x expr) (*eDot, *eVar, bool) {
	d, ok := x.(*eDot)
	if !ok || d.call || d.key != nil {
		return nil, nil, false
	}
	v, ok := d.x.(*eVar)
	return d, v, ok
}

// scalarField reads the field of x (a fieldDot) as a scalar. ok is false
// when the general evaluation must be used: the receiver is unbound or not
// a struct (or non-nil pointer to one) with that field, the read fails, or
// the field's kind is not a plain scalar.
func (m *machine) scalarField(x expr, e *env) (s scalar, ok bool) {
	d, v, ok := fieldDot(x)
	if !ok {
		return s, false
	}
	c := &e.cells[v.slot]
	if !c.bound {
		return s, false
	}
	recv := deref(c.val)
	var rv reflect.Value
	var fi *FieldInfo
	if r, isRef := recv.(*elemRef); isRef {
		rv = r.rv
		fi = fieldViaType(&d.fields, d.name, rv.Type())
	} else {
		fi = fieldVia(&d.fields, d.name, recv)
		if fi == nil {
			return s, false
		}
		rv = reflect.ValueOf(recv)
	}
	if fi == nil {
		return s, false
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return s, false
		}
		rv = rv.Elem()
	}
	var f reflect.Value
	if len(fi.Index) == 1 {
		f = rv.Field(fi.Index[0])
	} else {
		var err error
		if f, err = rv.FieldByIndexErr(fi.Index); err != nil {
			return s, false
		}
	}
	return readScalar(f)
}

// readScalar is normValue for the kinds it turns into int64, float64,
// string or bool.
func readScalar(f reflect.Value) (s scalar, ok bool) {
	switch f.Kind() {
	case reflect.String:
		return scalar{k: skString, s: f.String()}, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if f.Type() == durationType {
			return s, false
		}
		return scalar{k: skInt, i: f.Int()}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := f.Uint()
		if u > math.MaxInt64 {
			return scalar{k: skFloat, f: float64(u)}, true
		}
		return scalar{k: skInt, i: int64(u)}, true
	case reflect.Float32, reflect.Float64:
		return scalar{k: skFloat, f: f.Float()}, true
	case reflect.Bool:
		if f.Bool() {
			return scalar{k: skBool, i: 1}, true
		}
		return scalar{k: skBool}, true
	}
	return s, false
}

// evalOperand evaluates one operand of a comparison: a scalar when x is a
// field read that scalarField reads, else the value of eval.
func (m *machine) evalOperand(x expr, e *env, s *scalar) (any, error) {
	if sv, ok := m.scalarField(x, e); ok {
		*s = sv
		return nil, nil
	}
	s.k = skNone
	return m.eval(x, e)
}

// fastUnify runs `l = r` where one side may be a typed field read (see
// fastfield.go). It returns what unify would.
func (m *machine) fastUnify(x *gUnify, e *env) (bool, error) {
	var ls, rs scalar
	l, err := m.evalOperand(x.l, e, &ls)
	if err != nil {
		return false, err
	}
	r, err := m.evalOperand(x.r, e, &rs)
	if err != nil {
		return false, err
	}
	switch {
	case ls.k != skNone && rs.k != skNone:
		return ls.eqScalar(&rs), nil
	case ls.k != skNone:
		return m.unifyScalar(&ls, r), nil
	case rs.k != skNone:
		return m.unifyScalar(&rs, l), nil
	}
	return m.unify(l, r), nil
}

// unifyScalar is unify(s.box(), o).
func (m *machine) unifyScalar(s *scalar, o any) bool {
	o = deref(o)
	if c, ok := o.(*cell); ok {
		m.bind(c, s.box())
		return true
	}
	return s.eq(o)
}

// fastEq runs `l == r` / `l != r` where one side may be a typed field read.
// It returns what evalBound and compare would (errors included).
func (m *machine) fastEq(x *gCmp, e *env) (bool, error) {
	var ls, rs scalar
	l, err := m.evalOperand(x.l, e, &ls)
	if err != nil {
		return false, err
	}
	r, err := m.evalOperand(x.r, e, &rs)
	if err != nil {
		return false, err
	}
	if ls.k == skNone {
		if err := m.checkBound(x.at, x.l, l, x.op.String()); err != nil {
			return false, err
		}
	}
	if rs.k == skNone {
		if err := m.checkBound(x.at, x.r, r, x.op.String()); err != nil {
			return false, err
		}
	}
	var eq bool
	switch {
	case ls.k != skNone && rs.k != skNone:
		eq = ls.eqScalar(&rs)
	case ls.k != skNone:
		eq = ls.eq(deref(r))
	case rs.k != skNone:
		eq = rs.eq(deref(l))
	default:
		eq = equal(l, r)
	}
	return eq == (x.op == ast.OpEq), nil
}

// elemRef is the element of a Go slice of structs that an `in` goal binds
// to a variable read only through fields (see gIn.ref).
type elemRef struct {
	rv reflect.Value
}

// elemRefOK reports whether the elements of a Go slice or array of type t
// are structs that normValue boxes as they are (rv.Interface()): not
// time.Time, not a NULL-able wrapper.
func elemRefOK(t reflect.Type) bool {
	et := t.Elem()
	return et.Kind() == reflect.Struct && et != timeType && !isNullType(et)
}

// value is the element as the VM would otherwise have bound it.
func (r *elemRef) value() any { return normValue(r.rv) }

// markRefIns sets gIn.ref on the `x in list` goals of a rule whose
// variable x occurs nowhere else than as the receiver of plain field reads
// `x.f`: x's value itself is never observed, so the VM may bind x to an
// elemRef into the list instead of a boxed copy of each element (see
// machine.in).
func markRefIns(r *crule) {
	if !typedFieldReads || r.body == nil || r.nslots == 0 {
		return
	}
	inLHS := make([]int, r.nslots)
	other := make([]int, r.nslots)
	var ins []*gIn
	var ex func(x expr, recv bool)
	ex = func(x expr, recv bool) {
		switch x := x.(type) {
		case *eVar:
			if !recv {
				other[x.slot]++
			}
		case *eList:
			for _, el := range x.elems {
				ex(el, false)
			}
			if x.rest != nil {
				ex(x.rest, false)
			}
		case *eDict:
			for _, v := range x.vals {
				ex(v, false)
			}
		case *eDot:
			_, _, plain := fieldDot(x)
			ex(x.x, plain)
			for _, a := range x.args {
				ex(a, false)
			}
			for _, a := range x.kwvals {
				ex(a, false)
			}
			if x.key != nil {
				ex(x.key, false)
			}
		case *eArith:
			ex(x.l, false)
			ex(x.r, false)
		case *eNeg:
			ex(x.x, false)
		case *eNew:
			for _, a := range x.args {
				ex(a, false)
			}
			for _, a := range x.kwvals {
				ex(a, false)
			}
		}
	}
	specEx := func(s *spec) {
		if s == nil {
			return
		}
		for i := range s.fields {
			ex(s.fields[i].val, false)
		}
	}
	var gl func(g goal)
	gl = func(g goal) {
		switch g := g.(type) {
		case *gCall:
			for _, a := range g.args {
				ex(a, false)
			}
		case *gAnd:
			for _, s := range g.goals {
				gl(s)
			}
		case *gOr:
			for _, s := range g.goals {
				gl(s)
			}
		case *gNot:
			gl(g.g)
		case *gUnify:
			ex(g.l, false)
			ex(g.r, false)
		case *gAssign:
			other[g.slot]++
			ex(g.r, false)
		case *gCmp:
			ex(g.l, false)
			ex(g.r, false)
		case *gIn:
			if v, ok := g.l.(*eVar); ok {
				inLHS[v.slot]++
				ins = append(ins, g)
			} else {
				ex(g.l, false)
			}
			ex(g.r, false)
		case *gMatches:
			ex(g.l, false)
			specEx(g.spec)
		case *gPrint:
			for _, a := range g.args {
				ex(a, false)
			}
		case *gDebug:
			for _, a := range g.args {
				ex(a, false)
			}
		case *gExpr:
			ex(g.e, false)
		}
	}
	for i := range r.params {
		p := &r.params[i]
		if p.slot >= 0 {
			other[p.slot]++
		}
		ex(p.term, false)
		specEx(p.spec)
	}
	gl(r.body)
	for _, g := range ins {
		s := g.l.(*eVar).slot
		g.ref = inLHS[s] == 1 && other[s] == 0
	}
}

// fieldViaTypeIf is fieldViaType for a plain field read x, nil otherwise.
func fieldViaTypeIf(x *eDot, t reflect.Type) *FieldInfo {
	if x.key != nil || x.call {
		return nil
	}
	return fieldViaType(&x.fields, x.name, t)
}
