package engine

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// FieldEquals answers what Equal(ReadField(...), o) answers, for every
// field DirectField accepts, over values of every scalar kind (and fields it
// refuses are left to ReadField).
func TestFieldEqualsAgreesWithReadField(t *testing.T) {
	p := loadWithClass(t, &ffRole{})
	note := "n"
	roles := []*ffRole{
		{ffEmb: &ffEmb{Deep: "d"}, U8: 200, U: 7, Up: 9, I: -3, I32: 5, F32: 1.5, ID: 42, Role: "admin",
			Level: math.MaxUint64, Score: 2.5, On: true, Kind: "k", Small: -8, Wait: time.Second, Note: &note},
		{ID: 1, Role: "", Level: 3, Score: 3, F32: 3},
		{ID: math.MaxInt64, Role: "reader", Small: 1, I: 1, U: 1},
	}
	others := []any{nil, "", "admin", "reader", "k", "d", int64(0), int64(1), int64(-3), int64(3), int64(42),
		int64(math.MaxInt64), int64(200), float64(1.5), float64(3), float64(2.5), float64(math.MaxUint64), true, false,
		[]any{"admin"}, time.Second, int64(time.Second)}
	rt := reflect.TypeOf(ffRole{})
	direct := 0
	for i := range rt.NumField() {
		name := rt.Field(i).Name
		fi, ok := p.Field(rt, name)
		if !ok {
			continue
		}
		for _, r := range roles {
			if !DirectField(r, &fi) {
				continue
			}
			direct++
			v, err := p.ReadField(r, &fi, name)
			if err != nil {
				t.Fatalf("%s: ReadField: %v", name, err)
			}
			for _, o := range others {
				if got, want := FieldEquals(r, &fi, o), Equal(v, o); got != want {
					t.Errorf("%s = %#v against %#v: FieldEquals %v, Equal(ReadField) %v", name, v, o, got, want)
				}
			}
		}
	}
	if direct < 3*10 {
		t.Fatalf("only %d direct (field, value) pairs: the test covers too little", direct)
	}
	// Refused: nil pointers, values instead of pointers, another owner.
	fi, _ := p.Field(rt, "Role")
	for _, v := range []any{(*ffRole)(nil), ffRole{}, &ffUser{}, nil, "x"} {
		if DirectField(v, &fi) {
			t.Errorf("DirectField(%T) = true", v)
		}
	}
	if fw, _ := p.Field(rt, "Wait"); DirectField(roles[0], &fw) {
		t.Errorf("DirectField accepts a time.Duration field")
	}
}

// FieldList gives the field ReadField returns (the same slice: same length,
// same backing array) for slice and array fields, and refuses other fields
// and receivers.
func TestFieldListAgreesWithReadField(t *testing.T) {
	p := loadWithClass(t, &ffUser{})
	u := &ffUser{Roles: []ffRole{{ID: 1}, {ID: 2}}, RolePtrs: []*ffRole{{ID: 3}}, Arr: [2]ffRole{{ID: 4}, {ID: 5}},
		Items: []any{"a", int64(1)}, Main: &ffRole{ID: 6}}
	rt := reflect.TypeOf(ffUser{})
	lists := 0
	for i := range rt.NumField() {
		name := rt.Field(i).Name
		fi, ok := p.Field(rt, name)
		if !ok {
			continue
		}
		want, err := p.ReadField(u, &fi, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, ok := FieldList(u, &fi)
		if k := reflect.TypeOf(want); k == nil || (k.Kind() != reflect.Slice && k.Kind() != reflect.Array) {
			if ok {
				t.Errorf("%s (%T): FieldList accepts a field that does not read as a list", name, want)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: FieldList refuses a list field", name)
			continue
		}
		lists++
		w := reflect.ValueOf(want)
		if f.Type() != w.Type() || f.Len() != w.Len() {
			t.Fatalf("%s: FieldList %v len %d, ReadField %v len %d", name, f.Type(), f.Len(), w.Type(), w.Len())
		}
		for j := range f.Len() {
			if !reflect.DeepEqual(f.Index(j).Interface(), w.Index(j).Interface()) {
				t.Fatalf("%s[%d]: FieldList %v, ReadField %v", name, j, f.Index(j), w.Index(j))
			}
		}
		if f.Kind() == reflect.Slice && f.Len() > 0 && f.Pointer() != w.Pointer() {
			t.Fatalf("%s: FieldList and ReadField read different backing arrays", name)
		}
	}
	if lists < 5 {
		t.Fatalf("only %d list fields: the test covers too little", lists)
	}
	fi, _ := p.Field(rt, "Roles")
	for _, v := range []any{(*ffUser)(nil), ffUser{}, &ffRole{}, nil} {
		if _, ok := FieldList(v, &fi); ok {
			t.Errorf("FieldList(%T) accepted", v)
		}
	}
}

// loadWithClass loads a trivial policy with the class of v registered.
func loadWithClass(t *testing.T, v any) *Policy {
	t.Helper()
	reg := NewRegistry()
	if err := reg.RegisterClass(v, "", nil); err != nil {
		t.Fatal(err)
	}
	p, errs := Load([]Source{{Name: "p.polar", Src: []byte("allow(_, _, _);")}}, reg, nil)
	if err := errs.Err(); err != nil {
		t.Fatal(err)
	}
	return p
}

// ScalarIsA answers what Policy.IsA answers on normalised scalars, for the
// built-in classes, the unions and a registered class, and declines other
// values.
func TestScalarIsAAgreesWithIsA(t *testing.T) {
	p := loadWithClass(t, &ffRole{})
	classes := []string{ClassBoolean, ClassInteger, ClassFloat, ClassString, ClassList, ClassDictionary,
		ClassActor, ClassResource, "ffRole", "Nope"}
	for _, v := range []any{"", "x", int64(0), int64(-7), 1.5, true, false} {
		for _, c := range classes {
			got, ok := ScalarIsA(v, c)
			if !ok {
				t.Fatalf("ScalarIsA(%#v, %s) declined a scalar", v, c)
			}
			if want := p.IsA(v, c); got != want {
				t.Errorf("ScalarIsA(%#v, %s) = %v, IsA %v", v, c, got, want)
			}
		}
	}
	for _, v := range []any{nil, []any{"x"}, map[string]any{}, &ffRole{}, int32(1), time.Second} {
		if _, ok := ScalarIsA(v, ClassString); ok {
			t.Errorf("ScalarIsA(%#v) accepted a value that is not a normalised scalar", v)
		}
	}
}
