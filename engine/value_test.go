package engine

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/ursa-authz/ursa/engine/ast"
)

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"CreatorID": "creator_id", "OrgID": "org_id", "ID": "id", "HTTPServer": "http_server",
		"Name": "name", "UserAPIKey": "user_api_key", "CreatedAt": "created_at", "URL": "url",
		"OAuth2Token": "o_auth2_token", "X": "x",
	} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

type version struct{ major, minor int }

func (v version) Compare(o version) int {
	if v.major != o.major {
		return v.major - o.major
	}
	return v.minor - o.minor
}

type myInt int
type myStr string

func TestNormalize(t *testing.T) {
	var nilPtr *Person
	sval, ival := "s", 5
	cases := []struct {
		in, want any
	}{
		{int(3), int64(3)}, {int8(-3), int64(-3)}, {uint16(7), int64(7)}, {uint64(math.MaxUint64), float64(math.MaxUint64)},
		{float32(1.5), 1.5}, {myInt(4), int64(4)}, {myStr("s"), "s"}, {nilPtr, nil},
		{[]int{1, 2}, []any{int64(1), int64(2)}}, {[2]string{"a", "b"}, []any{"a", "b"}},
		{map[string]int{"a": 1}, map[string]any{"a": int64(1)}}, {time.Second, time.Second},
		{&sval, "s"}, {&ival, int64(5)}, {(*string)(nil), nil}, {&t0, t0},
		{sql.NullString{String: "x", Valid: true}, "x"}, {sql.NullInt64{}, nil}, {&sql.NullInt64{Int64: 3, Valid: true}, int64(3)},
	}
	for _, c := range cases {
		if got := Normalize(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Normalize(%#v) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestEqualCompareArith(t *testing.T) {
	p1, p2 := &Person{ID: 1}, &Person{ID: 1}
	eq := []struct {
		a, b any
		want bool
	}{
		{1, 1.0, true}, {int32(2), int64(2), true}, {1, "1", false}, {nil, nil, true}, {nil, 0, false},
		{"a", "a", true}, {true, true, true}, {[]int{1, 2}, []any{1, 2.0}, true}, {[]int{1}, []int{1, 2}, false},
		{map[string]any{"a": 1}, map[string]int{"a": 1}, true}, {p1, p1, true}, {p1, p2, true},
		{p1, &Person{ID: 2}, false}, {t0, t0.In(time.FixedZone("x", 3600)), true}, {time.Second, time.Second, true},
		{math.NaN(), math.NaN(), false},
	}
	for _, c := range eq {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%v, %v) = %v", c.a, c.b, got)
		}
	}
	cmp := []struct {
		op   ast.Op
		a, b any
		want bool
		err  bool
	}{
		{ast.OpLt, 1, 1.5, true, false}, {ast.OpGeq, 2.0, 2, true, false}, {ast.OpLt, "a", "b", true, false},
		{ast.OpGt, t0.Add(time.Hour), t0, true, false}, {ast.OpLeq, time.Minute, time.Hour, true, false},
		{ast.OpLt, nil, 1, false, false}, {ast.OpGt, 1, nil, false, false}, {ast.OpLt, 1, "a", false, true},
		{ast.OpLt, true, false, false, true}, {ast.OpNeq, nil, 1, true, false}, {ast.OpLt, math.NaN(), 1, false, false},
		{ast.OpGeq, math.NaN(), 1, false, false}, {ast.OpLt, version{1, 2}, version{1, 10}, true, false},
		{ast.OpGt, version{2, 0}, version{1, 10}, true, false}, {ast.OpLt, version{1, 0}, &Person{}, false, true},
	}
	for _, c := range cmp {
		got, err := Compare(c.op, c.a, c.b)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("Compare(%v %s %v) = %v, %v", c.a, c.op, c.b, got, err)
		}
	}
	ar := []struct {
		op   ast.Op
		a, b any
		want any
		err  bool
	}{
		{ast.OpAdd, 1, 2, int64(3), false}, {ast.OpAdd, math.MaxInt64, 1, nil, true},
		{ast.OpSub, math.MinInt64, 1, nil, true}, {ast.OpMul, math.MaxInt64, 2, nil, true},
		{ast.OpMul, int64(math.MinInt64), -1, nil, true}, {ast.OpDiv, int64(math.MinInt64), -1, nil, true},
		{ast.OpDiv, 7, 2, 3.5, false}, {ast.OpDiv, 8, 2, int64(4), false}, {ast.OpDiv, 1, 0, nil, true},
		{ast.OpDiv, 1.0, 0, nil, true}, {ast.OpMod, -7, 3, int64(2), false}, {ast.OpRem, -7, 3, int64(-1), false},
		{ast.OpMod, 7, -3, int64(-2), false}, {ast.OpAdd, 1, 0.5, 1.5, false},
		{ast.OpAdd, t0, time.Hour, t0.Add(time.Hour), false}, {ast.OpSub, t0.Add(time.Hour), t0, time.Hour, false},
		{ast.OpMul, time.Hour, 2, 2 * time.Hour, false}, {ast.OpAdd, "a", "b", nil, true},
		{ast.OpMul, time.Duration(math.MaxInt64), 2, nil, true},
	}
	for _, c := range ar {
		got, err := Arith(c.op, c.a, c.b)
		if (err != nil) != c.err || (!c.err && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("Arith(%v %s %v) = %#v, %v; want %#v", c.a, c.op, c.b, got, err, c.want)
		}
	}
}

// The exports partial evaluation builds on.
func TestPolicyHostExports(t *testing.T) {
	p := mustLoad(t, `actor Person {} resource Node {} allow(_, _, _: Node);`)
	pt := reflect.TypeOf(Person{})
	if got, ok := p.ClassType("Person"); !ok || got != pt {
		t.Fatalf("ClassType = %v %v", got, ok)
	}
	for _, c := range []struct {
		v    any
		want string
	}{{&Person{}, "Person"}, {Person{}, "Person"}, {&Dog{}, "Dog"}, {1, "Integer"}, {"s", "String"}, {[]int{}, "List"}, {map[string]int{}, "Dictionary"}} {
		if got, _ := p.ClassOf(c.v); got != c.want {
			t.Errorf("ClassOf(%T) = %q, want %q", c.v, got, c.want)
		}
	}
	isa := []struct {
		v     any
		class string
		want  bool
	}{
		{&Dog{}, "Animal", true}, {&Dog{}, "Dog", true}, {Animal{}, "Dog", false}, {Animal{}, "Named", true},
		{&Person{}, "Actor", true}, {&Node{}, "Resource", true}, {&Node{}, "Actor", false}, {1, "Integer", true},
		{1.5, "Integer", false}, {"x", "List", false}, {[]int{}, "List", true},
	}
	for _, c := range isa {
		if got := p.IsA(c.v, c.class); got != c.want {
			t.Errorf("IsA(%T, %s) = %v", c.v, c.class, got)
		}
	}
	if !p.SubclassOf("Dog", "Animal") || p.SubclassOf("Animal", "Dog") || !p.SubclassOf("Person", "Actor") || !p.SubclassOf("Animal", "Named") {
		t.Error("SubclassOf")
	}
	for name, goName := range map[string]string{"creator_id": "CreatorID", "CreatorID": "CreatorID", "port": "HTTPPort", "nickname": "Nick", "boss": "Boss"} {
		fi, ok := p.Field(pt, name)
		if !ok || fi.GoName != goName {
			t.Errorf("Field(%s) = %+v %v", name, fi, ok)
		}
	}
	if fi, ok := p.Field(reflect.TypeOf(Dog{}), "genus"); !ok || fi.GoName != "Genus" || len(fi.Index) != 2 {
		t.Errorf("promoted field: %+v %v", fi, ok)
	}
	alice := &Person{ID: 2, Name: "alice", Boss: &Person{Name: "b"}}
	if v, err := p.Lookup(alice, "id"); err != nil || v != int64(2) {
		t.Errorf("Lookup id = %v %v", v, err)
	}
	if v, err := p.Lookup(alice, "is_admin"); err != nil || v != false {
		t.Errorf("Lookup is_admin = %v %v", v, err)
	}
	if _, err := p.Lookup(map[string]any{}, "x"); !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("Lookup missing key: %v", err)
	}
	if v, err := p.CallMethod(alice, "greet", []any{"hi", "x"}, nil); err != nil || v != "hi x from alice" {
		t.Errorf("CallMethod = %v %v", v, err)
	}
	if v, err := p.New("Person", nil, map[string]any{"name": "n", "id": 4}); err != nil || v.(*Person).ID != 4 {
		t.Errorf("New = %v %v", v, err)
	}
	if v, ok := p.Constant("HOUR"); !ok || v != time.Hour {
		t.Errorf("Constant = %v", v)
	}
	if p.Version() == 0 || p.Program() == nil {
		t.Error("Version/Program")
	}
	p2 := mustLoad(t, `allow(_, _, _);`)
	if p2.Version() <= p.Version() {
		t.Error("Version not increasing")
	}
}

// `x in v.field` over a Go slice field of a variable reads the field in
// place; results and errors are those of the general path.
func TestInFieldOfVariable(t *testing.T) {
	p := mustLoad(t, `
tags(p, t) if t in p.tags;
has(p, t) if t in p.tags;
nope(p, t) if t in p.nope;
arr(h, x) if x in h.arr;
`)
	ctx := context.Background()
	ann := &Person{Name: "ann", Tags: []string{"a", "b", "a"}}
	var got []any
	for b, err := range p.QueryRule(ctx, nil, "tags", ann, Variable("t")) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b["t"])
	}
	if FormatValue(got) != `["a", "b", "a"]` {
		t.Fatalf("pointer receiver: %s", FormatValue(got))
	}
	for _, recv := range []any{ann, *ann, map[string]any{"tags": []any{"a"}}} {
		if ok, err := p.Decide(ctx, nil, "has", recv, "a"); !ok || err != nil {
			t.Errorf("has(%T, a): %v %v", recv, ok, err)
		}
		if ok, err := p.Decide(ctx, nil, "has", recv, "z"); ok || err != nil {
			t.Errorf("has(%T, z): %v %v", recv, ok, err)
		}
	}
	if ok, err := p.Decide(ctx, nil, "has", &Person{}, "a"); ok || err != nil {
		t.Errorf("nil slice: %v %v", ok, err)
	}
	if ok, err := p.Decide(ctx, nil, "has", (*Person)(nil), "a"); ok || err == nil {
		t.Errorf("nil receiver: %v %v", ok, err)
	}
	if ok, err := p.Decide(ctx, nil, "nope", ann, "a"); ok || err == nil {
		t.Errorf("unknown field: %v %v", ok, err)
	}
	type holder struct{ Arr [2]int }
	if ok, err := p.Decide(ctx, nil, "arr", holder{Arr: [2]int{4, 5}}, 5); !ok || err != nil {
		t.Errorf("array field: %v %v", ok, err)
	}
}
