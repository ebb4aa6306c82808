package engine

import (
	"math"
	"reflect"
	"unsafe"

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

// scalarField reads the field of x (a fieldDot) as a scalar into s. ok is
// false when the general evaluation must be used: the receiver is unbound
// or not a struct (or non-nil pointer to one) with that field, the read
// fails, or the field's kind is not a plain scalar.
func (m *machine) scalarField(x expr, e *env, s *scalar) bool {
	d, v, ok := fieldDot(x)
	if !ok {
		return false
	}
	c := &e.cells[v.slot]
	if !c.bound {
		return false
	}
	recv := deref(c.val)
	var rv reflect.Value
	var fi *FieldInfo
	if r, isRef := recv.(*elemRef); isRef {
		fi = fieldViaType(&d.fields, d.name, r.t)
		if fi == nil {
			return false
		}
		if r.p != nil && fi.direct {
			readScalarAt(unsafe.Add(r.p, fi.offset), fi.kind, s)
			return true
		}
		rv = r.val()
	} else {
		fi = fieldVia(&d.fields, d.name, recv)
		if fi == nil {
			return false
		}
		if fi.direct {
			if ef := efaceOf(&recv); reflect.TypeOf(recv).Kind() == reflect.Pointer {
				if ef.data == nil {
					return false
				}
				readScalarAt(unsafe.Add(ef.data, fi.offset), fi.kind, s)
				return true
			}
		}
		rv = reflect.ValueOf(recv)
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return false
		}
		rv = rv.Elem()
	}
	f, err := rv.FieldByIndexErr(fi.Index)
	if err != nil {
		return false
	}
	return readScalar(f, s)
}

// directScalar reports whether field f of struct type t is at a fixed
// offset from the struct's address (no embedded pointer on its path) and of
// a kind readScalarAt reads.
func directScalar(t reflect.Type, f reflect.StructField) (bool, uintptr, reflect.Kind) {
	switch f.Type.Kind() {
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
	default:
		return false, 0, 0
	}
	if f.Type == durationType {
		return false, 0, 0
	}
	var off uintptr
	st := t
	for i, x := range f.Index {
		sf := st.Field(x)
		off += sf.Offset
		if i < len(f.Index)-1 {
			if sf.Type.Kind() != reflect.Struct {
				return false, 0, 0 // an embedded pointer
			}
			st = sf.Type
		}
	}
	return true, off, f.Type.Kind()
}

// readScalarAt reads the scalar of kind k at p as normValue would
// normalise it.
func readScalarAt(p unsafe.Pointer, k reflect.Kind, s *scalar) {
	switch k {
	case reflect.String:
		s.k, s.s = skString, *(*string)(p)
	case reflect.Bool:
		s.k, s.i = skBool, 0
		if *(*bool)(p) {
			s.i = 1
		}
	case reflect.Int:
		s.k, s.i = skInt, int64(*(*int)(p))
	case reflect.Int8:
		s.k, s.i = skInt, int64(*(*int8)(p))
	case reflect.Int16:
		s.k, s.i = skInt, int64(*(*int16)(p))
	case reflect.Int32:
		s.k, s.i = skInt, int64(*(*int32)(p))
	case reflect.Int64:
		s.k, s.i = skInt, *(*int64)(p)
	case reflect.Float32:
		s.k, s.f = skFloat, float64(*(*float32)(p))
	case reflect.Float64:
		s.k, s.f = skFloat, *(*float64)(p)
	default:
		var u uint64
		switch k {
		case reflect.Uint:
			u = uint64(*(*uint)(p))
		case reflect.Uint8:
			u = uint64(*(*uint8)(p))
		case reflect.Uint16:
			u = uint64(*(*uint16)(p))
		case reflect.Uint32:
			u = uint64(*(*uint32)(p))
		case reflect.Uint64:
			u = *(*uint64)(p)
		case reflect.Uintptr:
			u = uint64(*(*uintptr)(p))
		}
		if u > math.MaxInt64 {
			s.k, s.f = skFloat, float64(u)
		} else {
			s.k, s.i = skInt, int64(u)
		}
	}
}

// readScalar is normValue for the kinds it turns into int64, float64,
// string or bool.
func readScalar(f reflect.Value, s *scalar) bool {
	switch f.Kind() {
	case reflect.String:
		s.k, s.s = skString, f.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if f.Type() == durationType {
			return false
		}
		s.k, s.i = skInt, f.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := f.Uint()
		if u > math.MaxInt64 {
			s.k, s.f = skFloat, float64(u)
		} else {
			s.k, s.i = skInt, int64(u)
		}
	case reflect.Float32, reflect.Float64:
		s.k, s.f = skFloat, f.Float()
	case reflect.Bool:
		s.k, s.i = skBool, 0
		if f.Bool() {
			s.i = 1
		}
	default:
		return false
	}
	return true
}

// evalOperand evaluates one operand of a comparison: a scalar when x is a
// field read that scalarField reads, else the value of eval.
func (m *machine) evalOperand(x expr, e *env, s *scalar) (any, error) {
	s.k = skNone
	switch v := x.(type) {
	case *eVar:
		c := &e.cells[v.slot]
		if c.bound {
			return deref(c.val), nil
		}
		return c, nil
	case *eConst:
		return v.v, nil
	case *eDot:
		if m.scalarField(x, e, s) {
			return nil, nil
		}
		s.k = skNone
	}
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
// to a variable read only through fields (see gIn.ref): its address p
// (elements of slices and of addressable arrays) or, for other arrays, its
// reflect.Value rv.
type elemRef struct {
	t  reflect.Type // the element (struct) type
	p  unsafe.Pointer
	rv reflect.Value // when p is nil
	// base, size: the first element's address and the element size (p of
	// element i is base + i*size); base nil: elements by rv.Index.
	base unsafe.Pointer
	size uintptr
}

// val is the element as a reflect.Value (addressable when p is set).
func (r *elemRef) val() reflect.Value {
	if r.p != nil {
		return reflect.NewAt(r.t, r.p).Elem()
	}
	return r.rv
}

// set points r at element i of list.
func (r *elemRef) set(list reflect.Value, i int) {
	if r.base != nil {
		r.p = unsafe.Add(r.base, uintptr(i)*r.size)
		return
	}
	r.rv = list.Index(i)
}

// newElemRef prepares r for the elements of list.
func (r *elemRef) init(list reflect.Value) {
	r.t = list.Type().Elem()
	r.size = r.t.Size()
	switch {
	case list.Kind() == reflect.Slice:
		r.base = list.UnsafePointer()
	case list.CanAddr():
		r.base = unsafe.Pointer(list.UnsafeAddr())
	}
	if r.base == nil || r.size == 0 {
		r.base = nil
	}
}

// elemRefOK reports whether the elements of a Go slice or array of type t
// are structs that normValue boxes as they are (rv.Interface()): not
// time.Time, not a NULL-able wrapper.
func elemRefOK(t reflect.Type) bool {
	et := t.Elem()
	return et.Kind() == reflect.Struct && et != timeType && !isNullType(et)
}

// value is the element as the VM would otherwise have bound it.
func (r *elemRef) value() any { return normValue(r.val()) }

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

// sliceField describes field r.f of an `in` over a receiver type: when ok,
// the field is a Go slice of plain structs (elemRefOK) at offset off from
// the struct's address, reached through exported fields only (reflect
// reads it as an interfaceable value; paths through unexported embedded
// structs are left to reflect, conservatively).
type sliceField struct {
	ok   bool
	off  uintptr
	et   reflect.Type
	size uintptr
}

// sliceHeader is the layout of a Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// inFieldSlice starts `x in v.f` (x.ref: x is read only through fields)
// without reflect when x is unbound, v is bound to a non-nil pointer to a
// struct (or an elemRef) and f is a slice of plain structs (sliceField):
// it returns the state of the choice point, its elements bound through an
// elemRef to their addresses. nil: the caller takes the general path
// (which answers the same, through reflect).
func (m *machine) inFieldSlice(x *gIn, e *env) *inState {
	d, v, ok := fieldDot(x.r)
	if !ok {
		return nil
	}
	lv, ok := x.l.(*eVar)
	if !ok {
		return nil
	}
	lc := &e.cells[lv.slot]
	c := &e.cells[v.slot]
	if lc.bound || !c.bound {
		return nil
	}
	recv := deref(c.val)
	var t reflect.Type
	var p unsafe.Pointer
	if r, isRef := recv.(*elemRef); isRef {
		if r.p == nil {
			return nil
		}
		t, p = r.t, r.p
	} else {
		t = reflect.TypeOf(recv)
		if t == nil || t.Kind() != reflect.Pointer {
			return nil
		}
		if p = efaceOf(&recv).data; p == nil {
			return nil
		}
	}
	sf, hit := x.slices.get(t)
	if !hit {
		sf = sliceFieldOf(t, d.name)
		x.slices.put(t, sf)
	}
	if !sf.ok {
		return nil
	}
	h := (*sliceHeader)(unsafe.Add(p, sf.off))
	ref := m.refs.alloc()
	ref.t, ref.size, ref.base = sf.et, sf.size, h.data
	st := m.ins.alloc()
	st.lhs, st.ref = lc, ref
	st.coll = inColl{kind: 4, n: h.len}
	return st
}

// sliceFieldOf computes the sliceField of field name on receiver type t (a
// pointer to a struct, or a struct).
func sliceFieldOf(t reflect.Type, name string) *sliceField {
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() != reflect.Struct {
		return &sliceField{}
	}
	fi := infoFor(st).fields[name]
	if fi == nil || fi.Type.Kind() != reflect.Slice || !elemRefOK(fi.Type) {
		return &sliceField{}
	}
	var off uintptr
	cur := st
	for i, x := range fi.Index {
		f := cur.Field(x)
		if !f.IsExported() {
			return &sliceField{}
		}
		off += f.Offset
		if i < len(fi.Index)-1 {
			if f.Type.Kind() != reflect.Struct {
				return &sliceField{} // an embedded pointer
			}
			cur = f.Type
		}
	}
	et := fi.Type.Elem()
	if et.Size() == 0 {
		return &sliceField{}
	}
	return &sliceField{ok: true, off: off, et: et, size: et.Size()}
}
