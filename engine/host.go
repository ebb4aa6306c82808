package engine

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// Built-in class names.
const (
	ClassBoolean    = "Boolean"
	ClassInteger    = "Integer"
	ClassFloat      = "Float"
	ClassString     = "String"
	ClassList       = "List"
	ClassDictionary = "Dictionary"
	ClassActor      = "Actor"
	ClassResource   = "Resource"
)

var builtinClasses = map[string]bool{
	ClassBoolean: true, ClassInteger: true, ClassFloat: true, ClassString: true,
	ClassList: true, ClassDictionary: true,
}

// IsBuiltinClass reports whether name is one of Polar's built-in classes
// (Boolean, Integer, Float, String, List, Dictionary).
func IsBuiltinClass(name string) bool { return builtinClasses[name] }

// Class is a Go type registered under a Polar name.
type Class struct {
	Name string
	// Type is the registered type with pointers removed (a struct type, an
	// interface type, or any other named type).
	Type reflect.Type
	// Ptr records that the type was registered as a pointer; `new` then
	// returns a pointer.
	Ptr bool
	// Ctor is an optional constructor function used by `new`.
	Ctor reflect.Value
}

// Registry holds registered classes and constants. A Registry is mutated only
// before it is handed to a Policy; the root package clones it on every change.
type Registry struct {
	classes map[string]*Class
	byType  map[reflect.Type]*Class
	consts  map[string]any
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{classes: map[string]*Class{}, byType: map[reflect.Type]*Class{}, consts: map[string]any{}}
}

// Clone returns a copy that can be mutated independently.
func (r *Registry) Clone() *Registry {
	c := NewRegistry()
	for k, v := range r.classes {
		c.classes[k] = v
	}
	for k, v := range r.byType {
		c.byType[k] = v
	}
	for k, v := range r.consts {
		c.consts[k] = v
	}
	return c
}

// RegisterClass registers the type of v (a value, a pointer, or a
// reflect.Type) under name ("" means the Go type name). ctor, if not nil, is a
// function used by `new Name(...)`.
func (r *Registry) RegisterClass(v any, name string, ctor any) error {
	var t reflect.Type
	switch x := v.(type) {
	case nil:
		return errors.New("RegisterClass: nil value")
	case reflect.Type:
		t = x
	default:
		t = reflect.TypeOf(v)
	}
	ptr := false
	for t.Kind() == reflect.Pointer {
		ptr = true
		t = t.Elem()
	}
	if name == "" {
		name = t.Name()
		if name == "" {
			return fmt.Errorf("RegisterClass: type %s has no name; pass a name", t)
		}
	}
	if builtinClasses[name] || name == ClassActor || name == ClassResource {
		return fmt.Errorf("RegisterClass: %s is a built-in class name", name)
	}
	if old, ok := r.classes[name]; ok && old.Type != t {
		return fmt.Errorf("RegisterClass: name %s is already registered for %s", name, old.Type)
	}
	if old, ok := r.byType[t]; ok && old.Name != name {
		return fmt.Errorf("RegisterClass: type %s is already registered as %s", t, old.Name)
	}
	if _, ok := r.consts[name]; ok {
		return fmt.Errorf("RegisterClass: name %s is already a constant", name)
	}
	c := &Class{Name: name, Type: t, Ptr: ptr}
	if ctor != nil {
		cv := reflect.ValueOf(ctor)
		if cv.Kind() != reflect.Func || cv.Type().NumOut() < 1 || cv.Type().NumOut() > 2 {
			return fmt.Errorf("RegisterClass: constructor for %s must be a func returning (T) or (T, error)", name)
		}
		c.Ctor = cv
	}
	r.classes[name] = c
	r.byType[t] = c
	return nil
}

// RegisterConstant makes v available in policies under name.
func (r *Registry) RegisterConstant(name string, v any) error {
	if name == "" {
		return errors.New("RegisterConstant: empty name")
	}
	if _, ok := r.classes[name]; ok {
		return fmt.Errorf("RegisterConstant: name %s is already a class", name)
	}
	r.consts[name] = norm(v)
	return nil
}

// Class returns the class registered under name.
func (r *Registry) Class(name string) (*Class, bool) {
	c, ok := r.classes[name]
	return c, ok
}

// Classes returns the registered class names, sorted.
func (r *Registry) Classes() []string {
	out := make([]string, 0, len(r.classes))
	for k := range r.classes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Constant returns the constant registered under name.
func (r *Registry) Constant(name string) (any, bool) {
	v, ok := r.consts[name]
	return v, ok
}

// Known reports whether name is a built-in or registered class (it
// implements loader.Classes).
func (r *Registry) Known(name string) bool {
	if builtinClasses[name] {
		return true
	}
	_, ok := r.classes[name]
	return ok
}

// Subclass reports whether sub equals super or is a subclass of it: sub's Go type
// embeds super's (directly or through other embedded structs), or super is a
// registered interface type that sub (or *sub) implements. (It implements
// loader.Classes.)
func (r *Registry) Subclass(sub, super string) bool {
	if sub == super {
		return r.Known(sub)
	}
	cs, ok1 := r.classes[sub]
	cp, ok2 := r.classes[super]
	if !ok1 || !ok2 {
		return false
	}
	return typeIsA(cs.Type, cp.Type)
}

// ClassOfType returns the class whose registered type is t (pointers removed).
func (r *Registry) ClassOfType(t reflect.Type) (*Class, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	c, ok := r.byType[t]
	return c, ok
}

// typeIsA reports whether a value of type t (pointers removed) is an
// instance of registered type ct: the same type, a struct embedding it, or an
// implementation of an interface type.
func typeIsA(t, ct reflect.Type) bool {
	if t == ct {
		return true
	}
	if ct.Kind() == reflect.Interface {
		return t.Implements(ct) || reflect.PointerTo(t).Implements(ct)
	}
	return embeds(t, ct, 0)
}

func embeds(t, target reflect.Type, depth int) bool {
	if t.Kind() != reflect.Struct || depth > 8 {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.Anonymous {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft == target || embeds(ft, target, depth+1) {
			return true
		}
	}
	return false
}

// FieldInfo describes a struct field reachable from a registered type.
type FieldInfo struct {
	GoName string       // Go field name (canonical)
	Type   reflect.Type // field type
	Index  []int        // index path for reflect.Value.FieldByIndex (promoted fields have several)

	// owner is the struct type the field belongs to when a pointer to it
	// is an object (see normValue: not time.Time nor a NULL-able type;
	// and Lookup refuses a *ClassValue):
	// Policy.ReadField reads through a pointer to owner directly.
	owner reflect.Type
	// direct: the field lies at offset in the struct (no embedded pointer
	// on its path) and is of scalar kind kind (see readScalarAt; not
	// time.Duration): the VM reads it from the struct's address.
	direct bool
	offset uintptr
	kind   reflect.Kind
}

type methodInfo struct {
	name   string
	pindex int // index in the pointer type's method set
	vindex int // index in the value type's method set, -1 if pointer receiver
	typ    reflect.Type
}

// typeInfo is the accessor table of one Go type (pointers removed), computed
// once and cached.
type typeInfo struct {
	t       reflect.Type
	fields  map[string]*FieldInfo
	methods map[string]*methodInfo
}

var typeInfos sync.Map // reflect.Type -> *typeInfo

func infoFor(t reflect.Type) *typeInfo {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if ti, ok := typeInfos.Load(t); ok {
		return ti.(*typeInfo)
	}
	ti := buildInfo(t)
	actual, _ := typeInfos.LoadOrStore(t, ti)
	return actual.(*typeInfo)
}

func buildInfo(t reflect.Type) *typeInfo {
	ti := &typeInfo{t: t, fields: map[string]*FieldInfo{}, methods: map[string]*methodInfo{}}
	if t.Kind() == reflect.Struct {
		type named struct {
			key string
			fi  *FieldInfo
		}
		var byTag, byGo, bySnake, byCol []named
		var owner reflect.Type
		if t != timeType && !isNullType(t) && t != reflect.TypeOf(ClassValue{}) {
			owner = t
		}
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("polar")
			if tag == "-" {
				continue
			}
			fi := &FieldInfo{GoName: f.Name, Type: f.Type, Index: f.Index, owner: owner}
			fi.direct, fi.offset, fi.kind = directScalar(t, f)
			if tag != "" {
				byTag = append(byTag, named{strings.Split(tag, ",")[0], fi})
			}
			byGo = append(byGo, named{f.Name, fi})
			bySnake = append(bySnake, named{SnakeCase(f.Name), fi})
			for _, part := range strings.Split(f.Tag.Get("gorm"), ";") {
				if c, ok := strings.CutPrefix(strings.TrimSpace(part), "column:"); ok {
					byCol = append(byCol, named{c, fi})
				}
			}
		}
		// Lowest priority first; later writes win. Shallower fields come
		// first in VisibleFields, so within a group keep the first.
		for _, group := range [][]named{byCol, bySnake, byGo, byTag} {
			seen := map[string]bool{}
			for _, n := range group {
				if n.key == "" || seen[n.key] {
					continue
				}
				seen[n.key] = true
				ti.fields[n.key] = n.fi
			}
		}
	}
	pt := reflect.PointerTo(t)
	if t.Kind() == reflect.Interface {
		pt = t
	}
	for i := 0; i < pt.NumMethod(); i++ {
		m := pt.Method(i)
		mi := &methodInfo{name: m.Name, pindex: i, vindex: -1, typ: m.Type}
		if t.Kind() != reflect.Interface {
			if vm, ok := t.MethodByName(m.Name); ok {
				mi.vindex = vm.Index
			}
		} else {
			mi.vindex = i
		}
		if _, ok := ti.methods[m.Name]; !ok {
			ti.methods[m.Name] = mi
		}
	}
	for i := 0; i < pt.NumMethod(); i++ {
		m := pt.Method(i)
		s := SnakeCase(m.Name)
		if _, ok := ti.methods[s]; !ok {
			ti.methods[s] = ti.methods[m.Name]
		}
	}
	return ti
}

// lookupField reads field name of a struct or pointer-to-struct value.
// found=false when the type has no such field.
func lookupField(v any, name string) (any, bool, error) {
	rv := reflect.ValueOf(v)
	ti := infoFor(rv.Type())
	fi, ok := ti.fields[name]
	if !ok {
		return nil, false, nil
	}
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, true, fmt.Errorf("cannot look up %s on a nil %s", name, rv.Type())
		}
		rv = rv.Elem()
	}
	f, err := rv.FieldByIndexErr(fi.Index)
	if err != nil {
		return nil, true, fmt.Errorf("cannot look up %s: %v", name, err)
	}
	return normValue(f), true, nil
}

// methodOf returns the bound method name of v, or ok=false.
func methodOf(v any, name string) (reflect.Value, bool) {
	rv := reflect.ValueOf(v)
	ti := infoFor(rv.Type())
	mi, ok := ti.methods[name]
	if !ok {
		return reflect.Value{}, false
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return reflect.Value{}, false
		}
		return rv.Method(mi.pindex), true
	}
	if mi.vindex >= 0 {
		return rv.Method(mi.vindex), true
	}
	p := reflect.New(rv.Type())
	p.Elem().Set(rv)
	return p.Method(mi.pindex), true
}

var (
	errorType = reflect.TypeOf((*error)(nil)).Elem()
	anyType   = reflect.TypeOf((*any)(nil)).Elem()
	kwMapType = reflect.TypeOf(map[string]any(nil))
)

// callFunc calls a Go function (bound method or constructor) with Polar
// arguments. Keyword arguments go to a trailing map[string]any parameter or
// to a trailing struct (or *struct) parameter whose fields they set by name.
func callFunc(fn reflect.Value, what string, args []any, kwargs map[string]any) (any, error) {
	ft := fn.Type()
	nin := ft.NumIn()
	variadic := ft.IsVariadic()
	fixed := nin
	if variadic {
		fixed--
	}
	in := make([]reflect.Value, 0, nin)
	if len(kwargs) > 0 {
		if variadic || nin == 0 {
			return nil, fmt.Errorf("%s does not take keyword arguments", what)
		}
		last := ft.In(nin - 1)
		if len(args) != nin-1 {
			return nil, fmt.Errorf("%s takes %d positional arguments, got %d", what, nin-1, len(args))
		}
		for i, a := range args {
			x, err := toGo(a, ft.In(i))
			if err != nil {
				return nil, fmt.Errorf("%s: argument %d: %v", what, i+1, err)
			}
			in = append(in, x)
		}
		kv, err := kwargsValue(kwargs, last)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", what, err)
		}
		in = append(in, kv)
	} else {
		if len(args) < fixed || (!variadic && len(args) > fixed) {
			if variadic {
				return nil, fmt.Errorf("%s takes at least %d arguments, got %d", what, fixed, len(args))
			}
			return nil, fmt.Errorf("%s takes %d arguments, got %d", what, fixed, len(args))
		}
		for i, a := range args {
			var t reflect.Type
			if i < fixed {
				t = ft.In(i)
			} else {
				t = ft.In(nin - 1).Elem()
			}
			x, err := toGo(a, t)
			if err != nil {
				return nil, fmt.Errorf("%s: argument %d: %v", what, i+1, err)
			}
			in = append(in, x)
		}
	}
	out, err := safeCall(fn, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	switch len(out) {
	case 0:
		return nil, nil
	case 1:
		if ft.Out(0) == errorType {
			if !out[0].IsNil() {
				return nil, fmt.Errorf("%s: %w", what, out[0].Interface().(error))
			}
			return nil, nil
		}
		return normValue(out[0]), nil
	default:
		if ft.Out(len(out)-1) == errorType && !out[len(out)-1].IsNil() {
			return nil, fmt.Errorf("%s: %w", what, out[len(out)-1].Interface().(error))
		}
		if ft.Out(len(out)-1).Kind() == reflect.Bool && len(out) == 2 && !out[1].Bool() {
			return nil, errFail // (value, ok) with ok == false: no result
		}
		return normValue(out[0]), nil
	}
}

func safeCall(fn reflect.Value, in []reflect.Value) (out []reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn.Call(in), nil
}

func kwargsValue(kwargs map[string]any, t reflect.Type) (reflect.Value, error) {
	if t == kwMapType {
		m := make(map[string]any, len(kwargs))
		for k, v := range kwargs {
			m[k] = resolve(v)
		}
		return reflect.ValueOf(m), nil
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() != reflect.Struct {
		return reflect.Value{}, errors.New("keyword arguments need a trailing map[string]any or struct parameter")
	}
	p := reflect.New(st)
	if err := setFields(p.Elem(), kwargs); err != nil {
		return reflect.Value{}, err
	}
	if t.Kind() == reflect.Pointer {
		return p, nil
	}
	return p.Elem(), nil
}

func setFields(sv reflect.Value, kwargs map[string]any) error {
	ti := infoFor(sv.Type())
	keys := make([]string, 0, len(kwargs))
	for k := range kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fi, ok := ti.fields[k]
		if !ok {
			return fmt.Errorf("%s has no field %s", sv.Type(), k)
		}
		f, err := sv.FieldByIndexErr(fi.Index)
		if err != nil || !f.CanSet() {
			return fmt.Errorf("cannot set field %s of %s", k, sv.Type())
		}
		x, err := toGo(kwargs[k], f.Type())
		if err != nil {
			return fmt.Errorf("field %s: %v", k, err)
		}
		f.Set(x)
	}
	return nil
}

// toGo converts a Polar value to a Go value of type t.
func toGo(v any, t reflect.Type) (reflect.Value, error) {
	v = resolve(v)
	if v == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
			return reflect.Zero(t), nil
		}
		return reflect.Value{}, fmt.Errorf("cannot use nil as %s", t)
	}
	rv := reflect.ValueOf(v)
	if rv.Type().AssignableTo(t) {
		x := reflect.New(t).Elem()
		x.Set(rv)
		return x, nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if i, ok := v.(int64); ok {
			x := reflect.New(t).Elem()
			if x.OverflowInt(i) {
				return reflect.Value{}, fmt.Errorf("%d overflows %s", i, t)
			}
			x.SetInt(i)
			return x, nil
		}
		if d, ok := v.(time.Duration); ok {
			x := reflect.New(t).Elem()
			x.SetInt(int64(d))
			return x, nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if i, ok := v.(int64); ok && i >= 0 {
			x := reflect.New(t).Elem()
			if x.OverflowUint(uint64(i)) {
				return reflect.Value{}, fmt.Errorf("%d overflows %s", i, t)
			}
			x.SetUint(uint64(i))
			return x, nil
		}
	case reflect.Float32, reflect.Float64:
		x := reflect.New(t).Elem()
		switch n := v.(type) {
		case int64:
			x.SetFloat(float64(n))
			return x, nil
		case float64:
			x.SetFloat(n)
			return x, nil
		}
	case reflect.String:
		if s, ok := v.(string); ok {
			x := reflect.New(t).Elem()
			x.SetString(s)
			return x, nil
		}
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			x := reflect.New(t).Elem()
			x.SetBool(b)
			return x, nil
		}
	case reflect.Slice:
		if l, ok := asList(v); ok {
			x := reflect.MakeSlice(t, l.len(), l.len())
			for i := 0; i < l.len(); i++ {
				e, err := toGo(l.at(i), t.Elem())
				if err != nil {
					return reflect.Value{}, err
				}
				x.Index(i).Set(e)
			}
			return x, nil
		}
	case reflect.Map:
		if d, ok := asDict(v); ok && t.Key().Kind() == reflect.String {
			x := reflect.MakeMapWithSize(t, d.len())
			for _, k := range d.keys() {
				dv, _ := d.get(k)
				e, err := toGo(dv, t.Elem())
				if err != nil {
					return reflect.Value{}, err
				}
				x.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e)
			}
			return x, nil
		}
	case reflect.Pointer:
		if rv.Kind() != reflect.Pointer && rv.Type().AssignableTo(t.Elem()) {
			p := reflect.New(t.Elem())
			p.Elem().Set(rv)
			return p, nil
		}
	}
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Type().AssignableTo(t) {
		return rv.Elem(), nil
	}
	if rv.Type().ConvertibleTo(t) && rv.Kind() == t.Kind() {
		return rv.Convert(t), nil
	}
	return reflect.Value{}, fmt.Errorf("cannot use %s as %s", describe(v), t)
}
