package partial

import (
	"fmt"
	"reflect"
	"testing"
)

// The boxing helpers of terms.go build interface values by hand (unsafe).
// These tests check that what they build is indistinguishable from ordinary
// boxing, so a change of the Go runtime's interface layout fails here
// instead of corrupting filters.

func TestBoxedStringIsOrdinaryBoxing(t *testing.T) {
	for _, s := range []string{"", "read", "a longer string with spaces and ünïcode"} {
		s := s
		got := boxedString(&s)
		var want any = s
		checkSameEface(t, got, want)
		v, ok := got.(string)
		if !ok || v != s {
			t.Fatalf("boxedString(%q).(string) = %q, %v", s, v, ok)
		}
		switch x := got.(type) {
		case string:
			if x != s {
				t.Fatalf("type switch: %q, want %q", x, s)
			}
		default:
			t.Fatalf("type switch: %T, want string", got)
		}
		if _, ok := got.(int64); ok {
			t.Fatalf("boxedString(%q) asserts to int64", s)
		}
	}
}

func TestBoxedIntIsOrdinaryBoxing(t *testing.T) {
	for _, n := range []int64{0, 1, -7, 1 << 62} {
		n := n
		got := boxedInt(&n)
		var want any = n
		checkSameEface(t, got, want)
		v, ok := got.(int64)
		if !ok || v != n {
			t.Fatalf("boxedInt(%d).(int64) = %d, %v", n, v, ok)
		}
		switch x := got.(type) {
		case int64:
			if x != n {
				t.Fatalf("type switch: %d, want %d", x, n)
			}
		default:
			t.Fatalf("type switch: %T, want int64", got)
		}
		if _, ok := got.(int); ok {
			t.Fatalf("boxedInt(%d) asserts to int", n)
		}
		if got == any(int(n)) || got == any(float64(n)) {
			t.Fatalf("boxedInt(%d) equals another type's boxing", n)
		}
	}
}

func checkSameEface(t *testing.T, got, want any) {
	t.Helper()
	if got != want {
		t.Fatalf("boxed %#v != ordinary %#v", got, want)
	}
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		t.Fatalf("reflect.TypeOf: %v, want %v", reflect.TypeOf(got), reflect.TypeOf(want))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reflect.DeepEqual(%#v, %#v) = false", got, want)
	}
	for _, f := range []string{"%v", "%#v", "%T"} {
		if g, w := fmt.Sprintf(f, got), fmt.Sprintf(f, want); g != w {
			t.Fatalf("%s: %s, want %s", f, g, w)
		}
	}
}

func TestBoxedValueIsOrdinaryBoxing(t *testing.T) {
	for _, v := range []Value{{}, {V: "read"}, {V: int64(3)}, {V: true}, {V: 2.5}} {
		v := v
		got := boxedValue(&v)
		var want Operand = v
		if got != want {
			t.Fatalf("boxed %#v != ordinary %#v", got, want)
		}
		checkSameOperand(t, got, want)
		x, ok := got.(Value)
		if !ok || x != v {
			t.Fatalf("boxedValue(%#v).(Value) = %#v, %v", v, x, ok)
		}
		switch y := got.(type) {
		case Path:
			t.Fatalf("type switch: Path %#v, want Value", y)
		case Value:
			if y != v {
				t.Fatalf("type switch: %#v, want %#v", y, v)
			}
		default:
			t.Fatalf("type switch: %T, want Value", got)
		}
	}
}

func TestBoxedPathIsOrdinaryBoxing(t *testing.T) {
	for _, p := range []Path{{Var: "resource"}, {Var: "resource", Fields: []string{"Org", "ID"}}} {
		p := p
		got := boxedPath(&p)
		var want Operand = p
		checkSameOperand(t, got, want)
		x, ok := got.(Path)
		if !ok || !reflect.DeepEqual(x, p) {
			t.Fatalf("boxedPath(%#v).(Path) = %#v, %v", p, x, ok)
		}
		switch y := got.(type) {
		case Value:
			t.Fatalf("type switch: Value %#v, want Path", y)
		case Path:
			if y.Var != p.Var || len(y.Fields) != len(p.Fields) {
				t.Fatalf("type switch: %#v, want %#v", y, p)
			}
		default:
			t.Fatalf("type switch: %T, want Path", got)
		}
		// The interface points at p itself (no copy): the path it holds
		// is the same slice.
		if len(p.Fields) > 0 && &got.(Path).Fields[0] != &p.Fields[0] {
			t.Fatalf("boxedPath copied the fields")
		}
	}
}

func checkSameOperand(t *testing.T, got, want Operand) {
	t.Helper()
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		t.Fatalf("reflect.TypeOf: %v, want %v", reflect.TypeOf(got), reflect.TypeOf(want))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reflect.DeepEqual(%#v, %#v) = false", got, want)
	}
	if _, ok := got.(interface{ operand() }); !ok {
		t.Fatalf("%#v does not implement Operand's method set", got)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%T"} {
		if g, w := fmt.Sprintf(f, got), fmt.Sprintf(f, want); g != w {
			t.Fatalf("%s: %s, want %s", f, g, w)
		}
	}
	// Through an empty interface as well (what fmt and reflect see).
	var ga, wa any = got, want
	if reflect.TypeOf(ga) != reflect.TypeOf(wa) {
		t.Fatalf("as any: %v, want %v", reflect.TypeOf(ga), reflect.TypeOf(wa))
	}
}

// listView.at builds pointers to slice elements by hand; they must be the
// pointers reflect gives (same type, same address), for every element.
func TestListViewAtIsReflectAddr(t *testing.T) {
	type role struct {
		ID   int64
		Name string
	}
	type empty struct{}
	for _, v := range []any{
		[]role{{1, "a"}, {2, "b"}, {3, "c"}},
		[]role{{7, "x"}},
		[]empty{{}, {}},
		[]*role{{4, "d"}, nil},
		[]int64{5, 6},
		[2]role{{8, "e"}, {9, "f"}},
	} {
		l, ok := viewList(v)
		if !ok {
			t.Fatalf("viewList(%T) not a list", v)
		}
		rv := reflect.ValueOf(v)
		if l.n != rv.Len() {
			t.Fatalf("viewList(%T).n = %d, want %d", v, l.n, rv.Len())
		}
		for i := range l.n {
			el := rv.Index(i)
			var want any
			if el.Kind() == reflect.Struct && el.CanAddr() {
				want = el.Addr().Interface()
			} else {
				want = el.Interface()
			}
			got := l.at(i)
			if got != want || reflect.TypeOf(got) != reflect.TypeOf(want) {
				t.Fatalf("%T element %d: at = %#v (%T), want %#v (%T)", v, i, got, got, want, want)
			}
			if p, ok := got.(*role); ok && el.Kind() == reflect.Struct && p.ID != el.Interface().(role).ID {
				t.Fatalf("%T element %d: at points at ID %d", v, i, p.ID)
			}
		}
	}
}
