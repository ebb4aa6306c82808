package partial

import "testing"

func p(v string, fields ...string) Path { return Path{Var: v, Fields: fields} }
func val(v any) Value                   { return Value{V: v} }
func eq(l Operand, r Operand) *Compare  { return &Compare{Op: Eq, L: l, R: r} }
func br(cs ...Cond) Branch              { return Branch{Conds: cs} }
func flt(bs ...Branch) *Filter          { return &Filter{Type: "Repo", Branches: bs} }

var (
	tru = &Const{Value: true}
	fls = &Const{Value: false}
)

func TestSimplifyAndPrint(t *testing.T) {
	owner := eq(p("resource", "OwnerID"), val(int64(7)))
	public := eq(p("resource", "Public"), val(true))
	tests := []struct {
		name string
		in   *Filter
		want string
	}{
		{"deny", flt(), "false"},
		{"allow", flt(br()), "true"},
		{"and true dropped", flt(br(owner, tru)), "resource.OwnerID = 7"},
		{"false branch dropped", flt(br(owner, fls), br(public)), "resource.Public = true"},
		{"true branch is allow-all", flt(br(owner), br(tru)), "true"},
		{"all false is deny-all", flt(br(fls), br(owner, fls)), "false"},
		{"duplicate branches merged", flt(br(owner), br(public), br(owner)), "resource.OwnerID = 7 or resource.Public = true"},
		{"duplicate conds merged", flt(br(owner, owner, public)), "resource.OwnerID = 7 and resource.Public = true"},
		{"subsumed branch dropped", flt(br(owner, public), br(owner)), "resource.OwnerID = 7"},
		{"or of ands", flt(br(owner, public), br(eq(p("resource", "Org", "Name"), val("acme")))), `(resource.OwnerID = 7 and resource.Public = true) or resource.Org.Name = "acme"`},
		{"not eq is neq", flt(br(&Not{C: public})), "resource.Public != true"},
		{"not not", flt(br(&Not{C: &Not{C: &InSet{Path: p("resource"), Pred: "P"}}})), "resource in P"},
		{"not const", flt(br(&Not{C: fls}, owner)), "resource.OwnerID = 7"},
		{"in empty", flt(br(&In{L: p("resource", "OrgID")}), br(owner)), "resource.OwnerID = 7"},
		{"in one", flt(br(&In{L: p("resource", "OrgID"), Values: []Value{val(int64(1))}})), "resource.OrgID = 1"},
		{"in many", flt(br(&In{L: p("resource", "OrgID"), Values: []Value{val(int64(1)), val(int64(2))}})), "resource.OrgID in [1, 2]"},
		{"exists", flt(br(&Exists{Var: "m", Type: "Membership", Over: p("resource", "Memberships"),
			Cond: *flt(br(eq(p("m", "UserID"), val(int64(7))), eq(p("m", "Role"), val("admin")), tru))})),
			`exists m in resource.Memberships: (m.UserID = 7 and m.Role = "admin")`},
		{"exists deny", flt(br(&Exists{Var: "m", Over: p("resource", "Memberships"), Cond: *flt()}), br(owner)), "resource.OwnerID = 7"},
		{"exists any", flt(br(&Exists{Var: "m", Over: p("resource", "Memberships"), Cond: *flt(br(tru))})), "exists m in resource.Memberships"},
		{"notfilter single", flt(br(&NotFilter{F: *flt(br(owner))})), "resource.OwnerID != 7"},
		{"notfilter deny", flt(br(&NotFilter{F: *flt()})), "true"},
		{"notfilter allow", flt(br(&NotFilter{F: *flt(br())}), br(owner)), "resource.OwnerID = 7"},
		{"notfilter compound", flt(br(&NotFilter{F: *flt(br(owner, public), br(&Compare{Op: Lt, L: p("resource", "N"), R: val(3.5)}))})),
			"not ((resource.OwnerID = 7 and resource.Public = true) or resource.N < 3.5)"},
		{"path compare", flt(br(eq(p("resource", "OrgID"), p("resource", "Owner", "OrgID")))), "resource.OrgID = resource.Owner.OrgID"},
		{"values", flt(br(eq(p("resource", "A"), val(nil)), eq(p("resource", "B"), val("q\"x")), eq(p("resource", "C"), val(2.0)))), `resource.A = nil and resource.B = "q\"x" and resource.C = 2.0`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.Simplify().String()
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestSimplifyPreds(t *testing.T) {
	body := flt(br(eq(p("x", "OwnerID"), val(int64(7)))), br(&InSet{Path: p("x", "Parent"), Pred: "can_read"}))
	f := &Filter{Type: "Folder", Branches: []Branch{br(&InSet{Path: p("resource"), Pred: "can_read"})},
		Preds: map[string]*Pred{
			"can_read": {Name: "can_read", Type: "Folder", Param: "x", Body: *body},
			"unused":   {Name: "unused", Type: "Folder", Param: "x", Body: *flt(br())},
		}}
	want := "resource in can_read\nwhere can_read(x: Folder) := x.OwnerID = 7 or x.Parent in can_read"
	if got := f.Simplify().String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A predicate with no base case is empty: its InSet is false.
	f.Preds["can_read"].Body = *flt(br(&InSet{Path: p("x", "Parent"), Pred: "can_read"}, eq(p("x", "A"), val(int64(1)))), br(fls))
	if got := f.Simplify().String(); got != "false" {
		t.Errorf("pred without base case: got %s", got)
	}
	f.Preds["can_read"].Body = *flt(br(fls))
	if got := f.Simplify().String(); got != "false" {
		t.Errorf("empty pred: got %s", got)
	}
}
