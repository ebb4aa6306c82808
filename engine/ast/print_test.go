package ast_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/parser"
)

func v(name string) *ast.Var    { return &ast.Var{Name: name} }
func i(n int64) *ast.IntLit     { return &ast.IntLit{Value: n} }
func f(x float64) *ast.FloatLit { return &ast.FloatLit{Value: x} }
func s(x string) *ast.StringLit { return &ast.StringLit{Value: x} }
func bin(op ast.Op, l, r ast.Expr) *ast.Binary {
	return &ast.Binary{Op: op, L: l, R: r}
}

// TestPrintConstructed prints trees built by code (as the loader builds them
// when expanding resource blocks), which have no *Paren nodes: the printer
// must add the parentheses precedence requires, and the output must parse
// back to the same meaning.
func TestPrintConstructed(t *testing.T) {
	tests := []struct {
		e    ast.Expr
		want string
	}{
		{bin(ast.OpMul, bin(ast.OpAdd, v("a"), v("b")), v("c")), "(a + b) * c"},
		{bin(ast.OpAdd, v("a"), bin(ast.OpMul, v("b"), v("c"))), "a + b * c"},
		{bin(ast.OpSub, v("a"), bin(ast.OpSub, v("b"), v("c"))), "a - (b - c)"},
		{bin(ast.OpSub, bin(ast.OpSub, v("a"), v("b")), v("c")), "a - b - c"},
		{bin(ast.OpEq, bin(ast.OpEq, v("a"), v("b")), v("c")), "(a == b) == c"},
		{bin(ast.OpUnify, v("x"), bin(ast.OpEq, v("a"), v("b"))), "x = a == b"},
		{bin(ast.OpGt, bin(ast.OpIn, v("x"), v("y")), i(0)), "(x in y) > 0"},
		{bin(ast.OpUnify, bin(ast.OpMatches, v("x"), &ast.ClassRef{Name: "Foo"}), &ast.BoolLit{Value: true}), "(x matches Foo) = true"},
		{bin(ast.OpIn, bin(ast.OpAdd, v("a"), v("b")), v("c")), "(a + b) in c"},
		{bin(ast.OpIn, v("x"), bin(ast.OpIn, v("y"), v("z"))), "x in (y in z)"},
		{&ast.And{Goals: []ast.Expr{v("a"), &ast.Or{Goals: []ast.Expr{v("b"), v("c")}}}}, "a and (b or c)"},
		{&ast.And{Goals: []ast.Expr{v("a"), &ast.And{Goals: []ast.Expr{v("b"), v("c")}}}}, "a and (b and c)"},
		{&ast.Or{Goals: []ast.Expr{v("a"), &ast.Or{Goals: []ast.Expr{v("b"), v("c")}}}}, "a or (b or c)"},
		{&ast.Not{Goal: &ast.And{Goals: []ast.Expr{v("a"), v("b")}}}, "not (a and b)"},
		{&ast.Not{Goal: bin(ast.OpUnify, v("a"), v("b"))}, "not a = b"},
		{bin(ast.OpUnify, &ast.Not{Goal: v("a")}, v("b")), "(not a) = b"},
		{&ast.Neg{X: i(1)}, "-(1)"},
		{&ast.Neg{X: f(1.5)}, "-(1.5)"},
		{&ast.Neg{X: i(-1)}, "--1"},
		{&ast.Neg{X: i(0)}, "--0"},
		{&ast.Neg{X: f(math.NaN())}, "--nan"},
		{&ast.Neg{X: f(0)}, "-(0.0)"},
		{&ast.Neg{X: f(math.Copysign(0, -1))}, "--0.0"},
		{&ast.Neg{X: &ast.Dot{X: i(0), Name: "x"}}, "--0.x"},
		{&ast.Neg{X: &ast.Dot{X: i(1), Name: "abs", IsCall: true}}, "-(1.abs())"},
		{&ast.Neg{X: bin(ast.OpAdd, v("a"), v("b"))}, "-(a + b)"},
		{&ast.Neg{X: &ast.Neg{X: v("a")}}, "--a"},
		{&ast.Dot{X: bin(ast.OpAdd, v("a"), v("b")), Name: "c"}, "(a + b).c"},
		{&ast.Dot{X: &ast.Neg{X: v("a")}, Name: "c"}, "(-a).c"},
		{&ast.Dot{X: &ast.ClassRef{Name: "Foo"}, Name: "bar", IsCall: true, Args: []ast.Expr{i(1)}}, "Foo.bar(1)"},
		{&ast.Dot{X: v("x"), Key: s("k")}, `x.("k")`},
		{&ast.List{Elems: []ast.Expr{i(1)}, Rest: v("r")}, "[1, *r]"},
		{&ast.List{Rest: v("r")}, "[*r]"},
		{&ast.Call{Name: "f", Args: []ast.Expr{v("a")}, Kwargs: []*ast.Field{{Key: "k", Value: i(1)}}}, "f(a, k: 1)"},
		{&ast.New{Class: "Foo", Kwargs: []*ast.Field{{Key: "k", Value: i(1)}}}, "new Foo(k: 1)"},
		{&ast.Forall{Cond: bin(ast.OpIn, v("x"), v("xs")), Action: v("x")}, "forall(x in xs, x)"},
		{&ast.Print{Args: []ast.Expr{s("a")}}, `print("a")`},
		{&ast.Debug{}, "debug()"},
		{&ast.Cut{}, "cut"},
		{f(2), "2.0"},
		{f(1e21), "1e+21"},
		{f(-1e-7), "-1e-07"},
		{f(math.Inf(1)), "inf"},
		{f(math.Inf(-1)), "-inf"},
		{f(math.NaN()), "nan"},
		{i(math.MinInt64), "-9223372036854775808"},
		{s("q\"\\\n\t\r\x00\x01\x7f é"), `"q\"\\\n\t\r\0\u{1}\u{7f} é"`},
		{s("bad\xffutf8"), "\"bad\xffutf8\""},
	}
	for _, tt := range tests {
		got := ast.String(tt.e)
		if got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
			continue
		}
		// The output parses, and printing the result again is stable.
		e2, errs := parser.ParseQuery(ast.NewFileSet(), "q", got)
		if errs.Err() != nil {
			t.Errorf("%s does not parse: %v", got, errs)
			continue
		}
		if again := ast.String(e2); again != got {
			t.Errorf("reprinted %s as %s", got, again)
		}
	}
}

func TestPrintItems(t *testing.T) {
	rule := &ast.Rule{
		Name: "has_role",
		Params: []*ast.Param{
			{Term: v("actor"), Spec: &ast.ClassRef{Name: "Actor"}},
			{Term: s("reader")},
			{Term: v("repo"), Spec: &ast.Pattern{Class: "Repo", Fields: []*ast.Field{{Key: "public", Value: &ast.BoolLit{Value: true}}}}},
			{Term: v("d"), Spec: &ast.Dict{Fields: []*ast.Field{{Key: "a", Value: i(1)}}}},
			{Term: v("n"), Spec: i(-1)},
		},
		Body: &ast.And{Goals: []ast.Expr{
			&ast.Call{Name: "has_relation", Args: []ast.Expr{v("org"), s("parent"), v("repo")}},
			&ast.Or{Goals: []ast.Expr{v("a"), v("b")}},
		}},
	}
	block := &ast.Block{Kind: ast.ResourceBlock, Name: "Repo",
		Roles:       []*ast.StringLit{s("reader")},
		Permissions: []*ast.StringLit{s("read")},
		Relations:   []*ast.Relation{{Name: "parent", Class: "Org"}},
		Shorthands: []*ast.Shorthand{
			{Head: s("read"), Body: s("reader")},
			{Head: s("reader"), Body: s("member"), Relation: s("parent")},
		},
	}
	file := &ast.PolicyFile{Items: []ast.Item{
		&ast.Block{Kind: ast.ActorBlock, Name: "User"},
		block,
		rule,
		&ast.Rule{Name: "fact", Params: nil},
		&ast.RuleType{Name: "has_role", Params: []*ast.Param{{Term: v("a"), Spec: &ast.ClassRef{Name: "Actor"}}}},
		&ast.Query{Body: bin(ast.OpUnify, i(1), i(1))},
	}}
	want := `actor User {}
resource Repo {
    roles = ["reader"];
    permissions = ["read"];
    relations = {parent: Org};
    "read" if "reader";
    "reader" if "member" on "parent";
}
has_role(actor: Actor, "reader", repo: Repo{public: true}, d: {a: 1}, n: -1) if
    has_relation(org, "parent", repo) and
    (a or b);
fact();
type has_role(a: Actor);
?= 1 = 1;
`
	var buf bytes.Buffer
	if err := ast.Fprint(&buf, file); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	parsed, errs := parser.ParseFile(ast.NewFileSet(), "p", buf.Bytes())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// The constructed "(a or b)" comes back as a Paren; everything else is
	// the same tree.
	and := parsed.Items[2].(*ast.Rule).Body.(*ast.And)
	and.Goals[1] = and.Goals[1].(*ast.Paren).X
	if !ast.Equal(file, parsed) {
		t.Errorf("parsed tree differs from the printed one:\n%s", ast.String(parsed))
	}

	// Single nodes print on their own.
	for _, c := range []struct {
		n    ast.Node
		want string
	}{
		{block.Shorthands[1], `"reader" if "member" on "parent";`},
		{block.Relations[0], "parent: Org"},
		{rule.Params[2], "repo: Repo{public: true}"},
		{&ast.Field{Key: "in", Value: i(1)}, "in: 1"},
		{&ast.Block{Kind: ast.ResourceBlock, Name: "R", RolesAt: 1}, "resource R {\n    roles = [];\n}"},
	} {
		if got := ast.String(c.n); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestPrintErrors(t *testing.T) {
	if err := ast.Fprint(&bytes.Buffer{}, nil); err == nil {
		t.Error("nil node printed")
	}
	if got := ast.String(&ast.Not{}); !strings.HasPrefix(got, "<error: ast.Print: cannot print") {
		t.Errorf("got %q", got)
	}
	if err := ast.Fprint(&bytes.Buffer{}, &ast.And{Goals: []ast.Expr{v("a"), nil}}); err == nil {
		t.Error("nil goal printed")
	}
	if err := ast.Fprint(failWriter{}, v("a")); err == nil {
		t.Error("write error lost")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestEqual(t *testing.T) {
	a := &ast.Binary{At: 10, Op: ast.OpAdd, L: &ast.Var{At: 3, Name: "x"}, R: f(math.NaN())}
	b := &ast.Binary{At: 99, Op: ast.OpAdd, L: &ast.Var{At: 7, Name: "x"}, R: f(math.NaN())}
	if !ast.Equal(a, b) {
		t.Error("positions or NaN not ignored")
	}
	c := &ast.Binary{Op: ast.OpSub, L: v("x"), R: f(math.NaN())}
	if ast.Equal(a, c) {
		t.Error("different operators equal")
	}
	if ast.Equal(v("x"), s("x")) {
		t.Error("different types equal")
	}
	if !ast.Equal(&ast.List{Elems: nil}, &ast.List{Elems: []ast.Expr{}}) {
		t.Error("nil and empty slices differ")
	}
	if ast.Equal(&ast.List{Elems: []ast.Expr{v("a")}}, &ast.List{Elems: []ast.Expr{v("b")}}) {
		t.Error("different elements equal")
	}
	if ast.Equal(&ast.List{}, &ast.List{Rest: v("r")}) {
		t.Error("nil and non-nil rest equal")
	}
	if !ast.Equal(&ast.PolicyFile{File: &ast.File{Name: "a"}}, &ast.PolicyFile{File: &ast.File{Name: "b"}}) {
		t.Error("source file not ignored")
	}
	if ast.Equal(&ast.Dot{X: v("x"), Name: "m", IsCall: true}, &ast.Dot{X: v("x"), Name: "m"}) {
		t.Error("call and field lookup equal")
	}
}

func TestQuoteFormatFloat(t *testing.T) {
	for _, x := range []float64{0, 1, -1, 0.1, 1e300, 5e-324, 123456789.125, math.MaxFloat64} {
		str := ast.FormatFloat(x)
		e, errs := parser.ParseQuery(ast.NewFileSet(), "q", str)
		if errs.Err() != nil {
			t.Errorf("%s: %v", str, errs)
			continue
		}
		if got := e.(*ast.FloatLit).Value; got != x {
			t.Errorf("%v printed as %s reads back as %v", x, str, got)
		}
	}
}

// Example shows a parse, the printed canonical form, and a warning.
func Example() {
	src := `allow(actor, "read", repo: Repo) if repo.public or actor.admin and repo.org = actor.org;`
	fset := ast.NewFileSet()
	f, diags := parser.ParseFile(fset, "policy.polar", []byte(src))
	for _, d := range diags {
		fmt.Println(d.Header())
	}
	_ = ast.Fprint(os.Stdout, f)
	// Output:
	// policy.polar:1:49: warning: ambiguous precedence of `and` and `or`; add parentheses
	// allow(actor, "read", repo: Repo) if
	//     repo.public or actor.admin and repo.org = actor.org;
}
