package engine

import (
	"reflect"
	"unsafe"
)

// DirectField reports whether field fi of v can be compared in place with
// FieldEquals: v is a non-nil pointer to fi's owner struct (a pointer that is
// an object, as Policy.ReadField requires to read by index) and fi is a
// scalar field at a fixed offset (not time.Duration; see FieldInfo.direct).
// Reading such a field cannot fail and has no side effect.
func DirectField(v any, fi *FieldInfo) bool {
	if fi == nil || !fi.direct || fi.owner == nil {
		return false
	}
	if efaceOf(&v).data == nil {
		return false
	}
	rt := reflect.TypeOf(v)
	return rt.Kind() == reflect.Pointer && rt.Elem() == fi.owner
}

// FieldEquals reports Equal(ReadField(v, fi, name), o) for v and fi that
// DirectField accepts and a value o that is not a logic variable, without
// boxing the field's value: the field is read at its offset as the value
// normalisation reads it, and compared as Equal compares.
func FieldEquals(v any, fi *FieldInfo, o any) bool {
	var s scalar
	readScalarAt(unsafe.Add(efaceOf(&v).data, fi.offset), fi.kind, &s)
	return s.eq(o)
}

// FieldList returns, when Policy.ReadField(v, fi, name) would return a Go
// slice or array read from the field as it is (v a non-nil pointer to fi's
// owner struct, the field exported and of slice or array kind), the field
// itself, so that its elements can be visited without boxing the slice into
// an interface; ok is false otherwise (then read the field).
func FieldList(v any, fi *FieldInfo) (reflect.Value, bool) {
	if fi == nil || fi.owner == nil {
		return reflect.Value{}, false
	}
	if k := fi.Type.Kind(); k != reflect.Slice && k != reflect.Array {
		return reflect.Value{}, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Type().Elem() != fi.owner {
		return reflect.Value{}, false
	}
	f, err := rv.Elem().FieldByIndexErr(fi.Index)
	if err != nil || !f.CanInterface() {
		return reflect.Value{}, false
	}
	return f, true
}
