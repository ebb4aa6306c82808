package engine

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type ffKind string

type ffEmb struct{ Deep string }

type ffVal struct {
	Deep2 int16
	Inner struct{ Deepest uint32 }
}

type ffRole struct {
	*ffEmb
	ffVal
	U8     uint8
	U      uint
	Up     uintptr
	I      int
	I32    int32
	F32    float32
	ID     int64
	Role   string
	Level  uint64
	Score  float64
	On     bool
	Kind   ffKind
	Small  int8
	Wait   time.Duration
	At     time.Time
	Note   *string
	Parent *ffRole
	Null   sql.NullString
}

type ffGroup struct{ Roles []ffRole }

type ffHolder struct{ Held []ffRole }

// FFExp is embedded in ffUser under an exported name.
type FFExp struct{ More []ffRole }

type ffUser struct {
	ffHolder
	FFExp
	Roles    []ffRole
	RolePtrs []*ffRole
	Arr      [2]ffRole
	Times    []time.Time
	Nulls    []sql.NullInt64
	Items    []any
	Nested   []ffGroup
	Empty    []ffRole
	Main     *ffRole
	NilMain  *ffRole
}

const ffPolicy = `
r1(u, name, id) if x in u.Roles and x.Role = name and x.ID = id;
r2(u, id) if x in u.Roles and x.Role == "admin" and id = x.ID;
r3(u, v) if x in u.Roles and x.Level = v;
r4(u, id) if x in u.Roles and x.Score = 1 and id = x.ID;
r5(u, r) if x in u.Roles and x.ID == 1.0 and r = x.Role;
r6(u, k) if x in u.Roles and x.Kind = k;
r7(u, w) if x in u.Roles and x.Wait = w;
r8(u, t) if x in u.Roles and x.At = t;
r9(u, n) if x in u.Roles and x.Note = n;
r10(u, d) if x in u.Roles and x.Deep = d;
r11(u, p) if x in u.Roles and x.Parent.Role = p;
r12(u) if x in u.Roles and x.Nope = 1;
r13(u, s) if x in u.Roles and s = x.Null;
r14(u, r) if x in u.Roles and r = x;
r15(u, r) if g in u.Nested and x in g.Roles and r = x.Role;
r16(u, r) if x in u.RolePtrs and r = x.Role;
r17(u, r) if x in u.Arr and r = x.ID;
r18(u, t) if x in u.Times and t = x.Unix();
r19(u, id) if x in u.Roles and x.On and id = x.ID;
r20(u, r) if x in u.Roles and x.Role != "a" and r = x.ID;
r21(u, id) if x in u.Roles and x.Small == -3 and id = x.ID;
r22(u, y) if x in u.Roles and y.z = x.Role;
r23(u) if x.Role = "a" and x in u.Roles;
r24(u, r) if forall(x in u.Roles, x.ID > 0) and r = 1;
r25(u, r) if x in u.Roles and x.ID < 3 and r = x.Role;
r26(u, id) if x in u.Roles and x.Role = x.Kind and id = x.ID;
r27(u, r) if x in u.Items and r = x.Role;
r28(u, v) if x in u.Roles and v = x.Parent;
r29(u, id) if x in u.Roles and 1 = x.Score and id = x.ID;
r30(u, v) if x in u.Nulls and v = x.Int64;
r31(u, r) if x in u.Roles and x.Role == nil and r = 1;
r32(u, r) if x in u.Roles and x.Role == y and r = 1;
r33(u, r) if x in u.Empty and r = x.Role;
r34(u, v) if x in u.Roles and x.ID = [1] and v = 1;
r35(u, v) if x in u.Roles and x.Role = "a" and x.Role = v;
r36(u, id) if x in u.Roles and x.Level == 18446744073709551615.0 and id = x.ID;
r37(u, id) if x in u.Roles and x.On == true and x.On = true and id = x.ID;
r38(u, v) if x in u.Roles and x.ID = x.Score and v = x.ID;
r39(u, v) if x in u.Roles and x.("Role") = v;
r40(u, v) if x in u.Roles and v = x.ID + 1;
r41(u, v) if x in u.Roles and x.Deep2 = v;
r42(u, v) if x in u.Roles and x.Inner.Deepest = v;
r43(u, a, b) if x in u.Roles and x.U8 = a and x.U = b;
r44(u, a, b) if x in u.Roles and x.Up = a and x.I = b;
r45(u, a, b) if x in u.Roles and x.I32 = a and x.F32 = b;
r46(u, v) if m = u.Main and m.Role = v and m.ID == 1 and m.Deep2 == 7 and m.F32 != 0.5;
r47(u, v) if m = u.NilMain and m.Role = v;
r48(u, v) if m = u.Main and m.Deep = v;
r49(u, v) if x in u.Arr and x.Role = v and x.Deep2 = 0;
r50(u, v) if x in u.Roles and x.U8 == 200 and x.U == 18446744073709551615.0 and v = x.ID;
r51(u, v) if x in u.Held and v = x.ID;
r52(u, v) if x in u.More and v = x.ID;
`

const ffRules = 52

func ffData() *ffUser {
	note := "n1"
	parent := &ffRole{ID: 9, Role: "root"}
	roles := []ffRole{
		{ID: 1, ffVal: ffVal{Deep2: 7}, U8: 200, U: math.MaxUint, Up: 5, I: -4, I32: -32, F32: 0.25, Role: "a", Level: math.MaxUint64, Score: 1, On: true, Kind: "a", Small: -3, Wait: time.Hour,
			At: time.Unix(5, 0), Note: &note, Parent: parent, Null: sql.NullString{String: "s", Valid: true}, ffEmb: &ffEmb{Deep: "d"}},
		{ID: 2, ffVal: ffVal{Deep2: -2, Inner: struct{ Deepest uint32 }{Deepest: 9}}, F32: 1.5, Role: "admin", Level: 7, Score: 1.5, Kind: "b", Small: 3},
		{ID: 300, Role: "a", Level: 300, Score: 300, Kind: "a", On: true},
	}
	return &ffUser{
		Roles:    roles,
		RolePtrs: []*ffRole{&roles[0], nil},
		Arr:      [2]ffRole{roles[1], roles[2]},
		Times:    []time.Time{time.Unix(7, 0)},
		Nulls:    []sql.NullInt64{{Int64: 4, Valid: true}},
		Items:    []any{roles[1], map[string]any{"Role": "dict"}},
		Nested:   []ffGroup{{Roles: roles[1:]}, {}},
		Main:     &roles[0],
		ffHolder: ffHolder{Held: roles[:1]},
		FFExp:    FFExp{More: roles[1:]},
	}
}

// runFF runs every rule of ffPolicy on ffData and renders the answers (or
// the error) of each, in order.
func runFF(t *testing.T) (map[string]string, *Policy) {
	out, p := runFFOn(t, ffData())
	// The same with the user as a value: its array field is then not
	// addressable.
	val, _ := runFFOn(t, *ffData())
	for k, v := range val {
		out[k+"/value"] = v
	}
	return out, p
}

func runFFOn(t *testing.T, u any) (map[string]string, *Policy) {
	reg := NewRegistry()
	for name, v := range map[string]any{"U": ffUser{}, "R": ffRole{}} {
		if err := reg.RegisterClass(v, name, nil); err != nil {
			t.Fatal(err)
		}
	}
	p, errs := Load([]Source{{Name: "ff.polar", Src: []byte(ffPolicy)}}, reg, nil)
	if errs.Err() != nil {
		t.Fatal(errs)
	}
	out := map[string]string{}
	for i := 1; i <= ffRules; i++ {
		name := fmt.Sprintf("r%d", i)
		pred := p.preds[name+"/2"]
		args := []any{u, Variable("a")}
		if pred == nil {
			pred = p.preds[name+"/3"]
			args = []any{u, Variable("a"), Variable("b")}
		}
		if pred == nil {
			pred = p.preds[name+"/1"]
			args = []any{u}
		}
		if pred == nil {
			t.Fatalf("no rule %s", name)
		}
		var b strings.Builder
		for res, err := range p.QueryRule(context.Background(), nil, name, args...) {
			if err != nil {
				fmt.Fprintf(&b, "error: %v\n", err)
				break
			}
			fmt.Fprintf(&b, "%s\n", FormatBindings(res))
		}
		out[name] = b.String()
	}
	return out, p
}

// The typed field reads (fastfield.go) answer exactly what the general
// evaluation answers: every rule gives the same solutions, bindings and
// errors with and without them.
func TestTypedFieldReadsAgree(t *testing.T) {
	fast, p := runFF(t)
	typedFieldReads = false
	slow, _ := runFF(t)
	typedFieldReads = true
	if len(fast) != 2*ffRules || len(slow) != 2*ffRules {
		t.Fatalf("%d and %d answers", len(fast), len(slow))
	}
	for name := range fast {
		if fast[name] != slow[name] {
			t.Errorf("%s:\nfast:\n%s\nslow:\n%s", name, fast[name], slow[name])
		}
	}
	// The fast paths were taken where they apply (else the comparison
	// above proves nothing).
	refs := map[string]bool{}
	for i := 1; i <= ffRules; i++ {
		name := fmt.Sprintf("r%d", i)
		for _, arity := range []int{1, 2, 3} {
			if pr := p.preds[fmt.Sprintf("%s/%d", name, arity)]; pr != nil {
				walkGoal(pr.rules[0].body, func(g goal) {
					if in, ok := g.(*gIn); ok && in.ref {
						refs[name] = true
					}
				})
			}
		}
	}
	for _, name := range []string{"r1", "r2", "r11", "r15", "r16", "r17", "r24", "r27", "r30", "r33"} {
		if !refs[name] {
			t.Errorf("%s: `in` not marked ref", name)
		}
	}
	for _, name := range []string{"r14", "r18", "r39"} {
		if refs[name] {
			t.Errorf("%s: `in` marked ref, but the variable is used as a value", name)
		}
	}
	// Fields read from the struct's address, or not.
	ti := infoFor(reflect.TypeOf(ffRole{}))
	for name, want := range map[string]bool{"ID": true, "Role": true, "Kind": true, "Deep2": true, "U8": true, "F32": true,
		"Deep": false, "Wait": false, "At": false, "Note": false, "Null": false, "Parent": false, "Inner": false} {
		if fi := ti.fields[name]; fi == nil || fi.direct != want {
			t.Errorf("field %s: direct is not %v", name, want)
		}
	}
	// Slice fields `in` reads without reflect, or not.
	ut := reflect.TypeOf(&ffUser{})
	for name, want := range map[string]bool{"Roles": true, "More": true, "Held": false, "RolePtrs": false,
		"Arr": false, "Nulls": false, "Items": false, "Times": false} {
		if sliceFieldOf(ut, name).ok != want {
			t.Errorf("sliceFieldOf(%s).ok is not %v", name, want)
		}
	}
	// A few answers spelled out.
	for name, want := range map[string]string{
		"r1":        "a = \"a\", b = 1\na = \"admin\", b = 2\na = \"a\", b = 300\n",
		"r2":        "a = 2\n",
		"r3":        "a = 1.8446744073709552e+19\na = 7\na = 300\n",
		"r15":       "a = \"admin\"\na = \"a\"\n",
		"r26":       "a = 1\na = 300\n",
		"r33":       "",
		"r37":       "a = 1\na = 300\n",
		"r41":       "a = 7\na = -2\na = 0\n",
		"r42":       "a = 0\na = 9\na = 0\n",
		"r43":       "a = 200, b = 1.8446744073709552e+19\na = 0, b = 0\na = 0, b = 0\n",
		"r45":       "a = -32, b = 0.25\na = 0, b = 1.5\na = 0, b = 0.0\n",
		"r46":       "a = \"a\"\n",
		"r49":       "a = \"a\"\n",
		"r49/value": "a = \"a\"\n",
		"r50":       "a = 1\n",
		"r52":       "a = 2\na = 300\n",
	} {
		if fast[name] != want {
			t.Errorf("%s = %q, want %q", name, fast[name], want)
		}
	}
}

// An elemRef never shows: resolve (bindings, debugger) gives the element.
func TestElemRefResolves(t *testing.T) {
	u := ffData()
	r := &elemRef{rv: reflect.ValueOf(u.Roles).Index(1)}
	got := resolve(&cell{val: r, bound: true})
	if _, ok := got.(ffRole); !ok || !Equal(got, u.Roles[1]) {
		t.Fatalf("resolve(elemRef) = %#v", got)
	}
}

// Calls with a constant at the predicate's index position use the
// candidate set precomputed for it (gCall.cands), in rules and in queries
// compiled later, and answer as the lookup at run time does.
func TestCallCands(t *testing.T) {
	p := mustLoad(t, `
f(x, "a") if x = 1;
f(x, "b") if x = 2;
f(x, "a") if x = 3;
f(x, y) if x = 4 and y = y;
f(x, 1) if x = 5;
g(x) if f(x, "a");
h(x, k) if f(x, k);
`)
	pred := p.preds["f/2"]
	if pred.idxPos != 1 {
		t.Fatalf("f/2 idxPos = %d", pred.idxPos)
	}
	var call *gCall
	walkGoal(p.preds["g/1"].rules[0].body, func(g goal) {
		if c, ok := g.(*gCall); ok {
			call = c
		}
	})
	if call == nil || call.cands != pred.idx["a"] {
		t.Fatalf("g's call of f: cands not the index entry of \"a\"")
	}
	walkGoal(p.preds["h/2"].rules[0].body, func(g goal) {
		if c, ok := g.(*gCall); ok && c.cands != nil {
			t.Errorf("h's call of f with a variable has cands")
		}
	})
	for src, want := range map[string]string{
		`g(x)`:       "x = 1\nx = 3\nx = 4\n",
		`h(x, "a")`:  "x = 1\nx = 3\nx = 4\n",
		`f(x, "b")`:  "x = 2\nx = 4\n",
		`f(x, "zz")`: "x = 4\n",
		`f(x, 1)`:    "x = 4\nx = 5\n",
		`f(x, 1.0)`:  "x = 4\nx = 5\n",
		`h(x, 1)`:    "x = 4\nx = 5\n",
		`f(x, true)`: "x = 4\n",
		`f(x, [1])`:  "x = 4\n",
	} {
		var b strings.Builder
		for res, err := range p.Query(context.Background(), nil, src) {
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			fmt.Fprintf(&b, "%s\n", FormatBindings(res))
		}
		if b.String() != want {
			t.Errorf("%s:\n%s\nwant:\n%s", src, b.String(), want)
		}
	}
}

// norm's shortcut for pointers to objects answers what normValue does, for
// every kind of pointer, with the type cache cold and warm.
func TestNormPointers(t *testing.T) {
	now := time.Unix(9, 0)
	s := "x"
	n := 3
	var nilRole *ffRole
	var nilTime *time.Time
	vals := []any{
		&ffRole{ID: 1}, nilRole, &now, nilTime, &s, &n, &sql.NullString{String: "v", Valid: true},
		&sql.NullString{}, &ClassValue{Name: "C"}, &[]int{1}, &map[string]any{"a": 1},
	}
	for round := 0; round < 2; round++ {
		for _, v := range vals {
			got, want := norm(v), normValue(reflect.ValueOf(v))
			if fmt.Sprintf("%T %#v", got, got) != fmt.Sprintf("%T %#v", want, want) {
				t.Errorf("norm(%T) = %#v, normValue = %#v", v, got, want)
			}
		}
	}
	r := &ffRole{ID: 2}
	if norm(r) != any(r) {
		t.Errorf("norm(*ffRole) is not the same pointer")
	}
}
