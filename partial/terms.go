package partial

import (
	"reflect"
	"time"
	"unsafe"
)

// Terms of the symbolic evaluator. A term is one of
//   - *cell: a logic variable (bound or not);
//   - *unk: an unknown value reached from the resource (or from an
//     existential), with a static type taken from the Go declaration;
//   - *listT / *dictT: a list or dictionary that holds variables or unknowns;
//   - anything else: a known Go value (as the decision engine sees it).
type term = any

// cell is a logic variable. An unbound cell may carry a class from a
// specializer applied before it was bound (`has_relation(org: Org, ...)`
// called with an unbound org); binding it checks the class.
type cell struct {
	val   term
	bound bool
	isa   string
	name  string // Polar variable name, for readable existential names
}

type listT struct {
	elems []term
	rest  term // nil without a rest variable
}

type dictT struct {
	keys []string
	vals []term
}

// kinds of unknowns.
type ukind int

const (
	ukObject ukind = iota + 1 // a struct: compared by primary key, fields can be looked up
	ukScalar                  // a comparable scalar column
	ukColl                    // a to-many relation or a slice: only `x in coll` is allowed
	ukOpaque                  // maps, interfaces, funcs: nothing can be done with it
)

// scalar categories, for static type checks of comparisons.
type scat int

const (
	catNum scat = iota + 1
	catString
	catBool
	catTime
	catDuration
)

// utype is the static type of an unknown.
type utype struct {
	kind     ukind
	class    string       // Polar class (registered) or Go type name
	typ      reflect.Type // pointers removed
	nillable bool         // pointer, slice, ...
	cat      scat         // scalars
	elem     *utype       // collections
}

// unk is an unknown: the value at path, of static type t. Unknowns are
// made per evaluation; their fields and comparisons with values are
// interned (see evaluator.lookup and cmpValue).
type unk struct {
	path Path
	t    *utype
	op   Operand // path as an Operand, boxed once
}

// fieldMemo is field name (as written in the policy) of unknown of: f.
type fieldMemo struct {
	of   *unk
	name string
	f    *unk
}

// cmpMemo is the comparison `u.path op v`.
type cmpMemo struct {
	u  *unk
	op CmpOp
	v  any // a scalar value (comparable, not NaN)
	c  *Compare
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
)

func deref(t term) term {
	for {
		c, ok := t.(*cell)
		if !ok || !c.bound {
			return t
		}
		t = c.val
	}
}

// extend returns p.f as a new path (never aliasing p's slice).
func extend(p Path, f string) Path {
	fs := make([]string, len(p.Fields)+1)
	copy(fs, p.Fields)
	fs[len(p.Fields)] = f
	return Path{Var: p.Var, Fields: fs}
}

// isScalarValue reports whether v is a value the IR can hold.
func isScalarValue(v any) bool {
	switch v.(type) {
	case nil, bool, int64, float64, string, time.Time, time.Duration:
		return true
	}
	return false
}

func catOf(v any) scat {
	switch v.(type) {
	case int64, float64:
		return catNum
	case string:
		return catString
	case bool:
		return catBool
	case time.Time:
		return catTime
	case time.Duration:
		return catDuration
	}
	return 0
}

func isCell(t term) bool {
	_, ok := t.(*cell)
	return ok
}

// isKnown reports whether a dereferenced term is a known value.
func isKnown(t term) bool {
	switch t.(type) {
	case *cell, *unk, *listT, *dictT:
		return false
	}
	return true
}

// resolve turns a term into a known value if it holds no unbound variable and
// no unknown; lists and dictionaries of known values become []any and
// map[string]any.
func resolve(t term) (any, bool) {
	t = deref(t)
	switch x := t.(type) {
	case *cell, *unk:
		return nil, false
	case *listT:
		if x.rest != nil {
			r, ok := resolve(x.rest)
			if !ok {
				return nil, false
			}
			rl, ok := r.([]any)
			if !ok {
				return nil, false
			}
			out := make([]any, 0, len(x.elems)+len(rl))
			for _, el := range x.elems {
				v, ok := resolve(el)
				if !ok {
					return nil, false
				}
				out = append(out, v)
			}
			return append(out, rl...), true
		}
		out := make([]any, len(x.elems))
		for i, el := range x.elems {
			v, ok := resolve(el)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	case *dictT:
		out := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			v, ok := resolve(x.vals[i])
			if !ok {
				return nil, false
			}
			out[k] = v
		}
		return out, true
	}
	return t, true
}

// hasUnknown reports whether t holds an unknown anywhere.
func hasUnknown(t term) bool {
	t = deref(t)
	switch x := t.(type) {
	case *unk:
		return true
	case *listT:
		for _, el := range x.elems {
			if hasUnknown(el) {
				return true
			}
		}
		return x.rest != nil && hasUnknown(x.rest)
	case *dictT:
		for _, v := range x.vals {
			if hasUnknown(v) {
				return true
			}
		}
	}
	return false
}

// boxedString returns *p as an interface value without copying it: the
// interface points at the string header *p, which must never change (a
// literal of the loaded, immutable AST). Literals are read on every rule
// body evaluated; boxing them the ordinary way allocates each time.
func boxedString(p *string) any {
	e := eface{typ: stringType, data: unsafe.Pointer(p)}
	return *(*any)(unsafe.Pointer(&e))
}

// boxedInt is boxedString for an immutable int64.
func boxedInt(p *int64) any {
	e := eface{typ: int64Type, data: unsafe.Pointer(p)}
	return *(*any)(unsafe.Pointer(&e))
}

// boxedValue returns *p as an Operand without copying it: the interface
// points at *p, which must never change afterwards (a Value carved from an
// evaluator's slab for one condition: slab elements are not reused).
func boxedValue(p *Value) Operand {
	i := iface{tab: valueOperandTab, data: unsafe.Pointer(p)}
	return *(*Operand)(unsafe.Pointer(&i))
}

// boxedPath is boxedValue for a Path.
func boxedPath(p *Path) Operand {
	i := iface{tab: pathOperandTab, data: unsafe.Pointer(p)}
	return *(*Operand)(unsafe.Pointer(&i))
}

// iface is the layout of a non-empty interface value.
type iface struct {
	tab, data unsafe.Pointer
}

var (
	valueOperandTab = operandTab(Value{})
	pathOperandTab  = operandTab(Path{})
)

func operandTab(o Operand) unsafe.Pointer { return (*iface)(unsafe.Pointer(&o)).tab }

// eface is the layout of an interface{} value.
type eface struct {
	typ, data unsafe.Pointer
}

var (
	stringType = efaceType("")
	int64Type  = efaceType(int64(0))
)

func efaceType(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// samePointer reports whether a and b hold the same dynamic type and data
// word: for values of pointer type, exactly a == b, without the runtime's
// generic interface comparison (memo scans compare a receiver with every
// entry). For other types it may report false for equal values (a memo
// miss), never true for different ones.
func samePointer(a, b any) bool {
	ea, eb := (*eface)(unsafe.Pointer(&a)), (*eface)(unsafe.Pointer(&b))
	return ea.typ == eb.typ && ea.data == eb.data
}

// sameRType is samePointer for reflect.Type values (all *rtype): a == b.
func sameRType(a, b reflect.Type) bool {
	ia, ib := (*iface)(unsafe.Pointer(&a)), (*iface)(unsafe.Pointer(&b))
	return ia.tab == ib.tab && ia.data == ib.data
}
