package partial_test

import (
	"testing"

	"github.com/ursa-authz/ursa/partial"
)

func P(v string, fs ...string) partial.Path { return partial.Path{Var: v, Fields: fs} }
func V(v any) partial.Value                 { return partial.Value{V: v} }
func and(cs ...partial.Cond) partial.Branch {
	return partial.Branch{Conds: cs}
}
func or(typ string, bs ...partial.Branch) partial.Filter {
	return partial.Filter{Type: typ, Branches: bs}
}

// canRead is `resource in can_read` with
// can_read(f) := f.OwnerID = 7 or f.Parent in can_read.
func canRead() *partial.Filter {
	f := or("Folder", and(&partial.InSet{Path: P("resource"), Pred: "can_read"}))
	f.Preds = map[string]*partial.Pred{"can_read": {Name: "can_read", Type: "Folder", Param: "f",
		Body: or("Folder",
			and(&partial.Compare{Op: partial.Eq, L: P("f", "OwnerID"), R: V(int64(7))}),
			and(&partial.InSet{Path: P("f", "Parent"), Pred: "can_read"}))}}
	return &f
}

func TestMatchFixpointOnCycles(t *testing.T) {
	p := loadPolicy(t, goldenPolicySource(t, "folders"))
	a := &Folder{ID: 1, OwnerID: 1}
	b := &Folder{ID: 2, OwnerID: 2, Parent: a}
	a.Parent = b // a cycle
	c := &Folder{ID: 3, OwnerID: 3, Parent: a}
	f := canRead()
	for _, x := range []*Folder{a, b, c} {
		ok, err := partial.Match(p, f, x)
		if err != nil || ok {
			t.Errorf("folder %d on a cycle without owner 7: %v %v", x.ID, ok, err)
		}
	}
	b.OwnerID = 7
	for _, x := range []*Folder{a, b, c} {
		ok, err := partial.Match(p, f, x)
		if err != nil || !ok {
			t.Errorf("folder %d reaches owner 7: %v %v", x.ID, ok, err)
		}
	}
	// Negated: the complement, computed to a fixpoint first.
	nf := &partial.Filter{Type: "Folder", Preds: f.Preds, Branches: []partial.Branch{
		and(&partial.Not{C: &partial.InSet{Path: P("resource"), Pred: "can_read"}})}}
	d := &Folder{ID: 4, OwnerID: 4}
	for x, want := range map[*Folder]bool{a: false, c: false, d: true} {
		if ok, err := partial.Match(p, nf, x); err != nil || ok != want {
			t.Errorf("not in can_read, folder %d: got %v %v", x.ID, ok, err)
		}
	}
	// A nil relation is in no set.
	if ok, err := partial.Match(p, or2(&partial.InSet{Path: P("resource", "Parent"), Pred: "can_read"}, f.Preds), d); err != nil || ok {
		t.Errorf("nil parent in set: %v %v", ok, err)
	}
}

func or2(c partial.Cond, preds map[string]*partial.Pred) *partial.Filter {
	return &partial.Filter{Type: "Folder", Preds: preds, Branches: []partial.Branch{and(c)}}
}

func TestMatchConditions(t *testing.T) {
	p := loadPolicy(t, goldenPolicySource(t, "folders"))
	parent := &Folder{ID: 1, OwnerID: 7, Name: "root"}
	x := &Folder{ID: 2, OwnerID: 8, Name: "docs", Parent: parent, ParentID: &parent.ID,
		Shares: []*Share{{ID: 1, UserID: 9}, {ID: 2, UserID: 10}}}
	eq := func(l partial.Operand, r partial.Operand) *partial.Compare {
		return &partial.Compare{Op: partial.Eq, L: l, R: r}
	}
	cases := []struct {
		name string
		c    partial.Cond
		on   *Folder
		want bool
		err  bool
	}{
		{"eq", eq(P("resource", "OwnerID"), V(int64(8))), x, true, false},
		{"eq other", eq(P("resource", "OwnerID"), V(int64(7))), x, false, false},
		{"int eq float", eq(P("resource", "OwnerID"), V(8.0)), x, true, false},
		{"lt", &partial.Compare{Op: partial.Lt, L: P("resource", "OwnerID"), R: V(int64(9))}, x, true, false},
		{"path path", &partial.Compare{Op: partial.Lt, L: P("resource", "Parent", "OwnerID"), R: P("resource", "OwnerID")}, x, true, false},
		{"to-one", eq(P("resource", "Parent", "OwnerID"), V(int64(7))), x, true, false},
		{"nil relation", eq(P("resource", "Parent"), V(nil)), x, false, false},
		{"nil relation holds", eq(P("resource", "Parent"), V(nil)), parent, true, false},
		{"through nil is false", eq(P("resource", "Parent", "OwnerID"), V(int64(7))), parent, false, false},
		{"through nil is false, negated true", &partial.Not{C: eq(P("resource", "Parent", "OwnerID"), V(int64(7)))}, parent, true, false},
		{"in", &partial.In{L: P("resource", "Name"), Values: []partial.Value{V("a"), V("docs")}}, x, true, false},
		{"exists", &partial.Exists{Var: "s", Type: "Share", Over: P("resource", "Shares"),
			Cond: or("Share", and(eq(P("s", "UserID"), V(int64(10)))))}, x, true, false},
		{"exists none", &partial.Exists{Var: "s", Type: "Share", Over: P("resource", "Shares"),
			Cond: or("Share", and(eq(P("s", "UserID"), V(int64(11)))))}, x, false, false},
		{"exists any on empty", &partial.Exists{Var: "s", Type: "Share", Over: P("resource", "Shares"),
			Cond: or("Share", and())}, parent, false, false},
		{"exists correlated", &partial.Exists{Var: "s", Type: "Share", Over: P("resource", "Shares"),
			Cond: or("Share", and(&partial.Compare{Op: partial.Gt, L: P("s", "UserID"), R: P("resource", "OwnerID")}))}, x, true, false},
		{"not", &partial.Not{C: eq(P("resource", "OwnerID"), V(int64(8)))}, x, false, false},
		{"notfilter", &partial.NotFilter{F: or("Folder",
			and(eq(P("resource", "OwnerID"), V(int64(8))), eq(P("resource", "Name"), V("x"))),
			and(eq(P("resource", "ID"), V(int64(3)))))}, x, true, false},
		{"const", &partial.Const{Value: false}, x, false, false},
		{"ordered with a string is an error", &partial.Compare{Op: partial.Lt, L: P("resource", "OwnerID"), R: V("a")}, x, false, true},
	}
	for _, tc := range cases {
		f := &partial.Filter{Type: "Folder", Branches: []partial.Branch{and(tc.c)}}
		got, err := partial.Match(p, f, tc.on)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v (error %v)", tc.name, got, err, tc.want, tc.err)
		}
	}
	// Allow-all and deny-all.
	if ok, _ := partial.Match(p, partial.AllowAll("Folder"), x); !ok {
		t.Error("allow-all")
	}
	if ok, _ := partial.Match(p, partial.DenyAll("Folder"), x); ok {
		t.Error("deny-all")
	}
}
