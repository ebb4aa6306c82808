package engine

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/ursa-authz/ursa/engine/ast"
)

// Variable is an unbound variable. As a QueryRule argument it stands for a
// fresh variable whose binding is reported under that name; in results it is
// the value of a variable that stayed unbound.
type Variable string

// errFail is the internal "no result, fail quietly" signal of lookups (e.g.
// a missing dictionary key).
var errFail = errors.New("fail")

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
)

// norm returns the canonical form of a scalar Go value: every integer kind
// becomes int64 (an unsigned value above MaxInt64 becomes float64), every
// float kind float64, named string and bool kinds string and bool, nil
// pointers/interfaces nil, pointers to non-struct values (and *time.Time)
// the value they point to, sql.Null* and gorm.DeletedAt their value or nil.
// time.Time and time.Duration stay as they are. Slices, arrays and maps are kept as they are (they are read lazily as lists
// and dictionaries).
func norm(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time, time.Duration, []any, map[string]any, *cell, Variable:
		return v
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		if uint64(x) > math.MaxInt64 {
			return float64(x)
		}
		return int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return float64(x)
		}
		return int64(x)
	case float32:
		return float64(x)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && objPtrType(rv.Type()) {
		// A pointer to an object (an actor, a resource): normValue
		// returns it as it is (rv.Interface() is v), nil when nil.
		if rv.IsNil() {
			return nil
		}
		return v
	}
	return normValue(rv)
}

// objPtrType reports whether pointer type t points to a struct that
// normValue treats as an object: not time.Time, not a NULL-able wrapper.
func objPtrType(t reflect.Type) bool {
	if ok, hit := objPtrTypes.get(t); hit {
		return ok
	}
	et := t.Elem()
	ok := et.Kind() == reflect.Struct && et != timeType && !isNullType(et)
	objPtrTypes.put(t, ok)
	return ok
}

// objPtrTypes caches objPtrType for the first pointer types seen.
var objPtrTypes typeCache[bool]

// normValue is norm on a reflect.Value.
func normValue(rv reflect.Value) any {
	switch rv.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if rv.Type() == durationType {
			return time.Duration(rv.Int())
		}
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return float64(u)
		}
		return int64(u)
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		if rv.Kind() == reflect.Interface {
			return normValue(rv.Elem())
		}
		// Pointers to scalars (*string, *int, *time.Time: nullable columns in
		// GORM models) read as the value they point to; pointers to structs
		// are objects.
		if et := rv.Type().Elem(); et.Kind() != reflect.Struct || et == timeType || isNullType(et) {
			return normValue(rv.Elem())
		}
	case reflect.Struct:
		if isNullType(rv.Type()) && rv.CanInterface() {
			// sql.NullString & co., gorm.DeletedAt: NULL reads as nil.
			v, err := rv.Interface().(driver.Valuer).Value()
			if err != nil {
				return nil
			}
			return norm(v)
		}
	case reflect.Func, reflect.Chan:
		if rv.IsNil() {
			return nil
		}
	}
	if !rv.CanInterface() {
		return nil
	}
	return rv.Interface()
}

var valuerType = reflect.TypeOf((*driver.Valuer)(nil)).Elem()

// isNullType reports whether t is a nullable-column wrapper from
// database/sql (sql.NullString, sql.NullInt64, sql.NullTime, ...) or GORM
// (gorm.DeletedAt): a struct implementing driver.Valuer.
func isNullType(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.NumMethod() == 0 {
		return false
	}
	switch t.PkgPath() {
	case "database/sql", "gorm.io/gorm":
		return t.Implements(valuerType)
	}
	return false
}

// Normalize converts a Go value to the canonical form the engine works on:
// every integer kind becomes int64 (unsigned values above MaxInt64 become
// float64), every float kind float64, named string/bool kinds string/bool,
// nil pointers and interfaces nil, pointers to non-struct values (*string,
// *int, *time.Time: nullable columns) the value they point to, sql.Null*
// and gorm.DeletedAt their value (nil when NULL), slices and arrays []any and
// string-keyed maps map[string]any (both converted deeply, element by
// element). Structs, pointers to structs, time.Time and time.Duration are
// returned as they are.
//
// The VM itself reads slices and maps lazily (without copying); Normalize is
// for callers that want plain values.
func Normalize(v any) any {
	v = norm(v)
	if l, ok := asList(v); ok {
		out := make([]any, l.len())
		for i := range out {
			out[i] = Normalize(l.at(i))
		}
		return out
	}
	if d, ok := asDict(v); ok {
		out := make(map[string]any, d.len())
		for _, k := range d.keys() {
			x, _ := d.get(k)
			out[k] = Normalize(x)
		}
		return out
	}
	return v
}

// listView reads a list: a []any (whose elements may be unbound cells inside
// the VM) or any Go slice or array, element by element.
type listView struct {
	s     []any
	rv    reflect.Value
	isAny bool
}

func asList(v any) (listView, bool) {
	switch x := v.(type) {
	case []any:
		return listView{s: x, isAny: true}, true
	case nil, string, int64, float64, bool, time.Time, time.Duration, map[string]any, *cell:
		return listView{}, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return listView{rv: rv}, true
	}
	return listView{}, false
}

func (l listView) len() int {
	if l.isAny {
		return len(l.s)
	}
	return l.rv.Len()
}

func (l listView) at(i int) any {
	if l.isAny {
		return norm(l.s[i])
	}
	return normValue(l.rv.Index(i))
}

// slice returns the list from index i on, as a value.
func (l listView) slice(i int) any {
	if l.isAny {
		return l.s[i:]
	}
	if l.rv.Kind() == reflect.Array {
		out := make([]any, 0, l.rv.Len()-i)
		for j := i; j < l.rv.Len(); j++ {
			out = append(out, normValue(l.rv.Index(j)))
		}
		return out
	}
	return l.rv.Slice(i, l.rv.Len()).Interface()
}

// dictView reads a dictionary: a map[string]any or any Go map with a string
// key kind. Keys are iterated in sorted order.
type dictView struct {
	m  map[string]any
	rv reflect.Value
}

func asDict(v any) (dictView, bool) {
	switch x := v.(type) {
	case map[string]any:
		return dictView{m: x}, true
	case nil, string, int64, float64, bool, []any, *cell:
		return dictView{}, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
		return dictView{rv: rv}, true
	}
	return dictView{}, false
}

func (d dictView) len() int {
	if d.m != nil || !d.rv.IsValid() {
		return len(d.m)
	}
	return d.rv.Len()
}

func (d dictView) get(k string) (any, bool) {
	if d.m != nil || !d.rv.IsValid() {
		v, ok := d.m[k]
		return norm(v), ok
	}
	kv := reflect.ValueOf(k).Convert(d.rv.Type().Key())
	x := d.rv.MapIndex(kv)
	if !x.IsValid() {
		return nil, false
	}
	return normValue(x), true
}

func (d dictView) keys() []string {
	var ks []string
	if d.m != nil || !d.rv.IsValid() {
		ks = make([]string, 0, len(d.m))
		for k := range d.m {
			ks = append(ks, k)
		}
	} else {
		ks = make([]string, 0, d.rv.Len())
		for _, k := range d.rv.MapKeys() {
			ks = append(ks, k.String())
		}
	}
	sort.Strings(ks)
	return ks
}

// Equal reports whether a and b are equal under Polar's ==:
//   - numbers compare numerically across int64 and float64 (1 == 1.0);
//   - nil equals only nil;
//   - strings, booleans compare by value; time.Time by Time.Equal;
//     time.Duration by value;
//   - lists element-wise, dictionaries by equal key sets and values;
//   - other Go values (structs, pointers): a type with a method
//     `Equal(T) bool` (like time.Time) uses it; two pointers are equal when
//     they are the same pointer or point to deeply equal values
//     (reflect.DeepEqual), as the oso Go host did; other values by
//     reflect.DeepEqual.
func Equal(a, b any) bool {
	return equal(norm(a), norm(b))
}

// equal compares two normalised values (cells are dereferenced).
func equal(a, b any) bool {
	a, b = deref(a), deref(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y
		}
		return false
	case float64:
		switch y := b.(type) {
		case int64:
			return x == float64(y)
		case float64:
			return x == y
		}
		return false
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case time.Duration:
		y, ok := b.(time.Duration)
		return ok && x == y
	case *cell:
		return x == b
	}
	if b == nil {
		return false
	}
	switch b.(type) {
	case int64, float64, string, bool, time.Time, time.Duration, *cell:
		return false
	}
	if eq, ok := structEqual(a, b, equal); ok {
		return eq
	}
	if _, ok := b.([]any); ok {
		return false
	}
	return hostEqual(a, b)
}

// structEqual compares a list or dictionary a with b element-wise using
// elem (equal or unify). ok is false when a is neither.
func structEqual(a, b any, elem func(x, y any) bool) (eq, ok bool) {
	if la, isList := asList(a); isList {
		lb, ok := asList(b)
		if !ok || la.len() != lb.len() {
			return false, true
		}
		for i := 0; i < la.len(); i++ {
			if !elem(la.at(i), lb.at(i)) {
				return false, true
			}
		}
		return true, true
	}
	if da, isDict := asDict(a); isDict {
		db, ok := asDict(b)
		if !ok || da.len() != db.len() {
			return false, true
		}
		for _, k := range da.keys() {
			va, _ := da.get(k)
			vb, ok := db.get(k)
			if !ok || !elem(va, vb) {
				return false, true
			}
		}
		return true, true
	}
	return false, false
}

func hostEqual(a, b any) bool {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Type() != rb.Type() {
		return false
	}
	if m := ra.MethodByName("Equal"); m.IsValid() {
		mt := m.Type()
		if mt.NumIn() == 1 && mt.NumOut() == 1 && mt.In(0) == ra.Type() && mt.Out(0).Kind() == reflect.Bool {
			return m.Call([]reflect.Value{rb})[0].Bool()
		}
	}
	if ra.Kind() == reflect.Pointer && ra.Pointer() == rb.Pointer() {
		return true
	}
	if ra.Type().Comparable() && ra.Kind() != reflect.Interface {
		if safeEq(ra, rb) {
			return true
		}
	}
	return reflect.DeepEqual(a, b)
}

func safeEq(a, b reflect.Value) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return a.Equal(b)
}

func opErr(op ast.Op, a, b any) error {
	return fmt.Errorf("cannot apply %s to %s and %s", op, describe(a), describe(b))
}

// describe renders a value with its type for messages.
func describe(v any) string {
	v = deref(v)
	switch v.(type) {
	case nil:
		return "nil"
	case *cell:
		return "an unbound variable"
	}
	return fmt.Sprintf("%s (%s)", FormatValue(v), typeName(v))
}

// typeName is the Polar-ish type name of a value for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case int64:
		return "Integer"
	case float64:
		return "Float"
	case string:
		return "String"
	case bool:
		return "Boolean"
	case *cell:
		return "unbound variable"
	}
	if _, ok := asList(v); ok {
		return "List"
	}
	if _, ok := asDict(v); ok {
		return "Dictionary"
	}
	return reflect.TypeOf(v).String()
}

// Compare applies a comparison operator (== != < <= > >=) with Polar
// semantics: numbers numerically across int64/float64, strings
// lexicographically (bytewise), time.Time chronologically, time.Duration by
// length, two Go values of one type with a `Compare(T) int` method by it. == and != follow Equal. An ordered comparison with nil on either side
// is false (not an error), matching SQL's treatment of NULL in the filter path.
// Other ordered comparisons (booleans, lists, structs, mixed types) are errors.
func Compare(op ast.Op, a, b any) (bool, error) {
	return compare(op, norm(a), norm(b))
}

func compare(op ast.Op, a, b any) (bool, error) {
	a, b = deref(a), deref(b)
	switch op {
	case ast.OpEq:
		return equal(a, b), nil
	case ast.OpNeq:
		return !equal(a, b), nil
	case ast.OpLt, ast.OpLeq, ast.OpGt, ast.OpGeq:
	default:
		return false, fmt.Errorf("%s is not a comparison", op)
	}
	if a == nil || b == nil {
		return false, nil
	}
	c, err := order(a, b)
	if err != nil {
		return false, fmt.Errorf("cannot compare %s %s %s", describe(a), op, describe(b))
	}
	if c == 2 { // NaN
		return false, nil
	}
	switch op {
	case ast.OpLt:
		return c < 0, nil
	case ast.OpLeq:
		return c <= 0, nil
	case ast.OpGt:
		return c > 0, nil
	default:
		return c >= 0, nil
	}
}

var errUnordered = errors.New("unordered")

// order returns -1, 0 or 1. NaN compares unordered as false for every
// operator by returning 2 (no op accepts it).
func order(a, b any) (int, error) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x, y), nil
		case float64:
			return fcmp(float64(x), y), nil
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return fcmp(x, float64(y)), nil
		case float64:
			return fcmp(x, y), nil
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), nil
		}
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			return cmp3(x, y), nil
		}
	}
	return hostOrder(a, b)
}

// hostOrder orders two Go values of the same type with a `Compare(T) int`
// method (like decimal or version types).
func hostOrder(a, b any) (int, error) {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !ra.IsValid() || !rb.IsValid() || ra.Type() != rb.Type() {
		return 0, errUnordered
	}
	m := ra.MethodByName("Compare")
	if !m.IsValid() {
		return 0, errUnordered
	}
	mt := m.Type()
	if mt.NumIn() != 1 || mt.NumOut() != 1 || mt.In(0) != ra.Type() || mt.Out(0).Kind() != reflect.Int {
		return 0, errUnordered
	}
	out, err := safeCall(m, []reflect.Value{rb})
	if err != nil {
		return 0, err
	}
	switch c := out[0].Int(); {
	case c < 0:
		return -1, nil
	case c > 0:
		return 1, nil
	}
	return 0, nil
}

func cmp3[T int64 | time.Duration](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func fcmp(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	return 2 // NaN: makes < <= > >= all false except... see compare
}

// Arith applies + - * / mod rem with Polar semantics:
//   - Integer op Integer stays Integer; overflow is an error (no wrap);
//   - a Float on either side gives Float;
//   - Integer / Integer is an Integer when the division is exact, else a Float;
//     division by zero is an error (for Floats too);
//   - mod takes the sign of the divisor, rem the sign of the dividend;
//   - time.Time ± time.Duration is a time.Time, time.Time - time.Time a
//     time.Duration, Duration ± Duration a Duration, Duration * Integer a
//     Duration (overflow is an error).
func Arith(op ast.Op, a, b any) (any, error) {
	return arith(op, norm(a), norm(b))
}

var errOverflow = errors.New("integer overflow")

func arith(op ast.Op, a, b any) (any, error) {
	a, b = deref(a), deref(b)
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return intArith(op, x, y)
		case float64:
			return floatArith(op, float64(x), y)
		case time.Duration:
			if op == ast.OpMul {
				r, err := intArith(op, x, int64(y))
				if err != nil {
					return nil, err
				}
				return time.Duration(r.(int64)), nil
			}
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return floatArith(op, x, float64(y))
		case float64:
			return floatArith(op, x, y)
		}
	case time.Time:
		switch y := b.(type) {
		case time.Duration:
			switch op {
			case ast.OpAdd:
				return x.Add(y), nil
			case ast.OpSub:
				return x.Add(-y), nil
			}
		case time.Time:
			if op == ast.OpSub {
				return x.Sub(y), nil
			}
		}
	case time.Duration:
		switch y := b.(type) {
		case time.Duration:
			if op == ast.OpAdd || op == ast.OpSub {
				r, err := intArith(op, int64(x), int64(y))
				if err != nil {
					return nil, err
				}
				return time.Duration(r.(int64)), nil
			}
		case time.Time:
			if op == ast.OpAdd {
				return y.Add(x), nil
			}
		case int64:
			if op == ast.OpMul || op == ast.OpDiv {
				r, err := intArith(op, int64(x), y)
				if err != nil {
					return nil, err
				}
				if i, ok := r.(int64); ok {
					return time.Duration(i), nil
				}
				return time.Duration(r.(float64)), nil
			}
		}
	}
	return nil, opErr(op, a, b)
}

func intArith(op ast.Op, x, y int64) (any, error) {
	switch op {
	case ast.OpAdd:
		r := x + y
		if (r > x) != (y > 0) {
			return nil, errOverflow
		}
		return r, nil
	case ast.OpSub:
		r := x - y
		if (r < x) != (y > 0) {
			return nil, errOverflow
		}
		return r, nil
	case ast.OpMul:
		if x == 0 || y == 0 {
			return int64(0), nil
		}
		r := x * y
		if r/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
			return nil, errOverflow
		}
		return r, nil
	case ast.OpDiv:
		if y == 0 {
			return nil, errors.New("division by zero")
		}
		if x == math.MinInt64 && y == -1 {
			return nil, errOverflow
		}
		if x%y == 0 {
			return x / y, nil
		}
		return float64(x) / float64(y), nil
	case ast.OpMod, ast.OpRem:
		if y == 0 {
			return nil, errors.New("division by zero")
		}
		if y == -1 {
			return int64(0), nil
		}
		r := x % y
		if op == ast.OpMod && r != 0 && (r < 0) != (y < 0) {
			r += y
		}
		return r, nil
	}
	return nil, fmt.Errorf("%s is not an arithmetic operator", op)
}

func floatArith(op ast.Op, x, y float64) (any, error) {
	switch op {
	case ast.OpAdd:
		return x + y, nil
	case ast.OpSub:
		return x - y, nil
	case ast.OpMul:
		return x * y, nil
	case ast.OpDiv:
		if y == 0 {
			return nil, errors.New("division by zero")
		}
		return x / y, nil
	case ast.OpMod, ast.OpRem:
		if y == 0 {
			return nil, errors.New("division by zero")
		}
		r := math.Mod(x, y)
		if op == ast.OpMod && r != 0 && (r < 0) != (y < 0) {
			r += y
		}
		return r, nil
	}
	return nil, fmt.Errorf("%s is not an arithmetic operator", op)
}
