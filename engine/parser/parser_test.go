package parser

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/engine/ast"
)

// mustQuery parses src as a query and fails the test on any diagnostic.
func mustQuery(t *testing.T, src string) ast.Expr {
	t.Helper()
	e, errs := ParseQuery(ast.NewFileSet(), "q", src)
	if len(errs) > 0 {
		t.Fatalf("ParseQuery(%q): %v", src, errs)
	}
	return e
}

// roundTrip checks that printing n and parsing it back gives an equal tree.
func roundTripQuery(t *testing.T, e ast.Expr) {
	t.Helper()
	out := ast.String(e)
	e2, errs := ParseQuery(ast.NewFileSet(), "printed", out)
	if errs.Err() != nil {
		t.Fatalf("printed query %q does not parse: %v", out, errs)
	}
	if !ast.Equal(e, e2) {
		t.Fatalf("round trip changed the tree:\n printed: %s\n before: %s\n after:  %s", out, sexpr(e), sexpr(e2))
	}
}

func TestExpressions(t *testing.T) {
	tests := []struct{ src, want string }{
		// literals
		{`1`, `1`},
		{`-1`, `-1`},
		{`- 1`, `-1`},
		{`-9223372036854775808`, `-9223372036854775808`},
		{`9223372036854775807`, `9223372036854775807`},
		{`1.5`, `1.5f`},
		{`-2.5e3`, `-2500.0f`},
		{`1e3`, `1000.0f`},
		{`1E-2`, `0.01f`},
		{`inf`, `inff`},
		{`-inf`, `-inff`},
		{`nan`, `nanf`},
		{`true`, `true`},
		{`false`, `false`},
		{`"a\"b\\c\n\t\r\0"`, `"a\"b\\c\n\t\r\x00"`},
		{`"\u{1F600}\u{41}"`, `"😀A"`},
		{"\"multi\nline\"", `"multi\nline"`},
		{`x`, `x`},
		{`_`, `_`},
		{`_foo`, `_foo`},
		{`app::Post`, `app::Post`},
		{`héllo`, `héllo`},
		// terms
		{`[]`, `(list)`},
		{`[1, "a", x]`, `(list 1 "a" x)`},
		{`[1, 2,]`, `(list 1 2)`},
		{`[first, *rest]`, `(list first *rest)`},
		{`[*rest]`, `(list *rest)`},
		{`{}`, `(dict)`},
		{`{a: 1, b: "x"}`, `(dict a:1 b:"x")`},
		{`{name}`, `(dict name:name)`},
		{`{if: 1, in: 2, type: 3}`, `(dict if:1 in:2 type:3)`},
		{`f()`, `(call f)`},
		{`f(a, b)`, `(call f a b)`},
		{`f(a, key: v)`, `(call f a key:v)`},
		{`f(in: 1)`, `(call f in:1)`},
		{`new Foo()`, `(new Foo)`},
		{`new app::Foo(1, x: 2)`, `(new app::Foo 1 x:2)`},
		{`x.f`, `(. x f)`},
		{`x.type`, `(. x type)`},
		{`x.m()`, `(. x (m))`},
		{`x.m(1, k: 2)`, `(. x (m 1 k:2))`},
		{`x.(k)`, `(. x [k])`},
		{`x.a.b.c()`, `(. (. (. x a) b) (c))`},
		{`Foo.bar()`, `(. Foo (bar))`},
		{`new Foo(1).bar`, `(. (new Foo 1) bar)`},
		{`forall(x in xs, x > 0)`, `(forall (in x xs) (> x 0))`},
		{`print(1, "a")`, `(print 1 "a")`},
		{`print()`, `(print)`},
		{`debug()`, `(debug)`},
		{`cut`, `cut`},
		{`(x)`, `(paren x)`},
		// unary minus
		{`-x`, `(neg x)`},
		{`-x.y`, `(neg (. x y))`},
		{`- -1`, `(neg -1)`},
		{`-(1)`, `(neg (paren 1))`},
		{`-1 * x`, `(* -1 x)`},
		{`x - -1`, `(- x -1)`},
		{`x-1`, `(- x 1)`},
		// precedence, loosest to tightest
		{`a or b or c`, `(or a b c)`},
		{`a and b and c`, `(and a b c)`},
		{`not a and b`, `(and (not a) b)`},
		{`not not a`, `(not (not a))`},
		{`!a`, `(not a)`},
		{`not x = 1`, `(not (= x 1))`},
		{`x = 1 and y := 2`, `(and (= x 1) (:= y 2))`},
		{`x = y == z`, `(= x (== y z))`},
		{`x == y + 1`, `(== x (+ y 1))`},
		{`a + b * c`, `(+ a (* b c))`},
		{`a * b + c`, `(+ (* a b) c)`},
		{`a - b - c`, `(- (- a b) c)`},
		{`a / b mod c rem d`, `(rem (mod (/ a b) c) d)`},
		{`x in [1, 2]`, `(in x (list 1 2))`},
		{`x.a in y.b`, `(in (. x a) (. y b))`},
		{`-x in y`, `(in (neg x) y)`},
		{`not x in y`, `(not (in x y))`},
		{`x in y and y in z`, `(and (in x y) (in y z))`},
		{`(x in y) > 0`, `(> (paren (in x y)) 0)`},
		{`x matches Foo`, `(matches x class:Foo)`},
		{`x matches app::Foo`, `(matches x class:app::Foo)`},
		{`x matches Foo{a: 1, b}`, `(matches x (pattern Foo a:1 b:b))`},
		{`x matches {a: 1}`, `(matches x (dict a:1))`},
		{`x matches "s"`, `(matches x "s")`},
		{`x matches -1`, `(matches x -1)`},
		{`x matches true and y`, `(and (matches x true) y)`},
		{`x matches Foo{a: Bar{b: 1}}`, `(matches x (pattern Foo a:(pattern Bar b:1)))`},
		{`x < 1 or x >= 2`, `(or (< x 1) (>= x 2))`},
		{`x != 1 and x <= 2`, `(and (!= x 1) (<= x 2))`},
		{`(a or b) and c`, `(and (paren (or a b)) c)`},
		{`a and (b or c)`, `(and a (paren (or b c)))`},
		{`x = 1;`, `(= x 1)`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			e := mustQuery(t, tt.src)
			if got := sexpr(e); got != tt.want {
				t.Errorf("ParseQuery(%q)\n got  %s\n want %s", tt.src, got, tt.want)
			}
			roundTripQuery(t, e)
		})
	}
}

func TestPolicyConstructs(t *testing.T) {
	tests := []struct{ src, want string }{
		{`f();`, `(rule f)`},
		{`f(x);`, `(rule f x)`},
		{`f(x) if x = 1;`, `(rule f x if (= x 1))`},
		{`f(x,) if true;`, `(rule f x if true)`},
		{`allow(actor, "read", r: Repo);`, `(rule allow actor "read" (: r class:Repo))`},
		{`f(x: Foo{a: 1}, y: {b: 2}, z: "lit", w: 1, v: -1.5, u: true);`,
			`(rule f (: x (pattern Foo a:1)) (: y (dict b:2)) (: z "lit") (: w 1) (: v -1.5f) (: u true))`},
		{`f([a, *b], {c}, _) if cut;`, `(rule f (list a *b) (dict c:c) _ if cut)`},
		{`f(x: app::Post);`, `(rule f (: x class:app::Post))`},
		{`type has_role(actor: Actor, name: String, resource: Resource);`,
			`(type has_role (: actor class:Actor) (: name class:String) (: resource class:Resource))`},
		{`?= x = 1 and 1 = x;`, `(?= (and (= x 1) (= 1 x)))`},
		{`actor User {}`, `(actor User roles=[] perms=[])`},
		{`resource Repo {
			roles = ["reader", "writer"];
			permissions = ["read", "push"];
			relations = {parent: Org, owner: User};
			"read" if "reader";
			"reader" if "member" on "parent";
		}`, `(resource Repo roles=[reader writer] perms=[read push] (rel parent Org) (rel owner User) (shorthand "read" "reader") (shorthand "reader" "member" on "parent"))`},
		{`resource Repo { roles = []; permissions = [] ; relations = {}; }`, `(resource Repo roles=[] perms=[])`},
		{`resource app::Repo { "a" if "b"; }`, `(resource app::Repo roles=[] perms=[] (shorthand "a" "b"))`},
		// `actor` and `resource` are not keywords
		{`resource(actor, resource) if actor = resource;`, `(rule resource actor resource if (= actor resource))`},
		{"# comment\nf(x) # trailing\n  if x; # end", `(rule f x if x)`},
		{"f(x) if\n  x = 1 and\n  (y = 2 or z = 3);", `(rule f x if (and (= x 1) (paren (or (= y 2) (= z 3)))))`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f, errs := ParseFile(ast.NewFileSet(), "p.polar", []byte(tt.src))
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if got := sexpr(f); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			roundTripFile(t, f)
		})
	}
}

func roundTripFile(t *testing.T, f *ast.PolicyFile) {
	t.Helper()
	out := ast.String(f)
	f2, errs := ParseFile(ast.NewFileSet(), "printed.polar", []byte(out))
	if errs.Err() != nil {
		t.Fatalf("printed policy does not parse: %v\n%s", errs, out)
	}
	if !ast.Equal(f, f2) {
		t.Fatalf("round trip changed the tree:\n%s\nbefore: %s\nafter:  %s", out, sexpr(f), sexpr(f2))
	}
}

func TestPositions(t *testing.T) {
	src := "f(x) if\n  x.y = -1 and g(k: 2);\nresource R { roles = [\"a\"]; }"
	fset := ast.NewFileSet()
	f, errs := ParseFile(fset, "p.polar", []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	pos := func(p ast.Pos) string {
		ps := fset.Position(p)
		return ps.String()
	}
	r := f.Items[0].(*ast.Rule)
	and := r.Body.(*ast.And)
	eq := and.Goals[0].(*ast.Binary)
	dot := eq.L.(*ast.Dot)
	call := and.Goals[1].(*ast.Call)
	blk := f.Items[1].(*ast.Block)
	checks := []struct {
		what string
		got  ast.Pos
		want string
	}{
		{"rule", r.At, "p.polar:1:1"},
		{"rule name", r.NamePos, "p.polar:1:1"},
		{"param", r.Params[0].At, "p.polar:1:3"},
		{"and", and.At, "p.polar:2:3"},
		{"binary op", eq.At, "p.polar:2:7"},
		{"dot", dot.At, "p.polar:2:3"},
		{"dot name", dot.NamePos, "p.polar:2:5"},
		{"negative literal", eq.R.Pos(), "p.polar:2:9"},
		{"call", call.At, "p.polar:2:16"},
		{"kwarg", call.Kwargs[0].At, "p.polar:2:18"},
		{"block", blk.At, "p.polar:3:1"},
		{"block name", blk.NamePos, "p.polar:3:10"},
		{"roles", blk.RolesAt, "p.polar:3:14"},
		{"role", blk.Roles[0].At, "p.polar:3:23"},
		{"file", f.Pos(), "p.polar:1:1"},
	}
	for _, c := range checks {
		if got := pos(c.got); got != c.want {
			t.Errorf("%s at %s, want %s", c.what, got, c.want)
		}
	}
}

// TestErrors checks the exact first line of each diagnostic ("file:line:col:
// message") and that one mistake yields exactly one message.
func TestErrors(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"f(x) if x = 1\ng(y) if y = 2;", []string{`p:1:14: expected ";" after rule, found name "g"`}},
		{"f(x) if x = 1", []string{`p:1:14: expected ";" after rule, found end of input`}},
		{"f(x) if x = 1\n  y = 2;\ng(x);", []string{`p:2:3: unexpected name "y", expected ";"`}},
		{"f(x) if x = 1\n?= f(1);", []string{`p:1:14: expected ";" after rule, found token "?="`}},
		{"resource R {\n  roles = [\"a\"]\n  \"a\" if \"b\"\n}", []string{`p:2:16: expected ";" after roles declaration, found string "a"`, `p:3:13: expected ";" after shorthand rule, found token "}"`}},
		{"f(x) if x = 1 y;\ng(x);", []string{`p:1:15: unexpected name "y", expected ";"`}},
		{"f(x) if }", []string{`p:1:9: unexpected token "}", expected a term`}},
		{"f(x) if ;", []string{`p:1:9: unexpected token ";", expected a term`}},
		{"f(x) iff x;", []string{`p:1:6: unexpected name "iff", expected "if" or ";"`}},
		{"f x;", []string{`p:1:3: unexpected name "x", expected "("`}},
		{"1;", []string{`p:1:1: unexpected number 1, expected a rule, rule type, inline query (?=) or resource block`}},
		{"f(x if x;", []string{`p:1:5: unexpected keyword "if", expected "," or ")"`}},
		{"f(x) if g(x;", []string{`p:1:12: unexpected token ";", expected "," or ")"`}},
		{"f(x) if x in y > 0;", []string{`p:1:16: cannot use the result of ` + "`in`" + ` as an operand of ">"; add parentheses`}},
		{"f(x) if 0 < x in y;", []string{`p:1:11: cannot use the result of ` + "`in`" + ` as an operand of "<"; add parentheses`}},
		{"f(x) if x matches Foo = y;", []string{`p:1:23: cannot use the result of ` + "`matches`" + ` as an operand of "="; add parentheses`}},
		{"f(x) if x in y in z;", []string{`p:1:16: operator "in" cannot follow "in" without parentheses`}},
		{"f(x) if a == b == c;", []string{`p:1:16: operator "==" cannot follow "==" without parentheses (comparison operators do not chain)`}},
		{"f(x) if a < b > c;", []string{`p:1:15: operator ">" cannot follow "<" without parentheses (comparison operators do not chain)`}},
		{"f(x) if a = b = c;", []string{`p:1:15: operator "=" cannot follow "=" without parentheses (comparison operators do not chain)`}},
		{"f(x) if x = 99999999999999999999;", []string{`p:1:13: integer literal 99999999999999999999 overflows int64 (range -9223372036854775808 to 9223372036854775807)`}},
		{"f(x) if x = -9223372036854775809;", []string{`p:1:13: integer literal -9223372036854775809 overflows int64 (range -9223372036854775808 to 9223372036854775807)`}},
		{"f(x) if x = \"abc;\ng(x);", []string{`p:1:13: unterminated string literal`}},
		{`f(x) if x = "a\qb";`, []string{`p:1:15: unknown escape sequence \q in string (valid: \n \t \r \" \\ \0 \u{hex})`}},
		{`f(x) if x = "\u{D800}";`, []string{`p:1:14: invalid unicode escape: want \u{hex} with 1 to 6 hex digits naming a valid code point`}},
		{`f(x) if x = "\u{1234567}";`, []string{`p:1:14: invalid unicode escape: want \u{hex} with 1 to 6 hex digits naming a valid code point`}},
		{"f(x) if x = @;\ng(x);", []string{`p:1:13: illegal character U+0040 '@'`}},
		{"f(x) if x && y;", []string{"p:1:11: invalid operator \"&&\"; use `and`"}},
		{"f(x) if x || y;", []string{"p:1:11: invalid operator \"||\"; use `or`"}},
		{"f(x) if x | y;", []string{`p:1:11: unexpected token "|", expected ";"`}},
		{"f(x) if x = 'a';", []string{`p:1:13: illegal character U+0027 '\''; Polar strings use double quotes`}},
		{"f(x) :- g(x);", []string{"p:1:6: unexpected \":-\", expected \"if\" or \";\" (Polar writes rules as `head if body;`)"}},
		{"f(x) : g(x);", []string{`p:1:6: unexpected token ":", expected "if" or ";"`}},
		{"f(x) if x = \xff;", []string{`p:1:13: invalid UTF-8 byte 0xff`}},
		{"f(x) if x = Foo{a: 1};", []string{"p:1:13: instance patterns are only allowed in specializers and after `matches`"}},
		{"f(Foo{a: 1});", []string{"p:1:3: instance patterns are only allowed in specializers and after `matches`"}},
		{"f(x) if x matches y;", nil}, // a class name, for all the parser knows
		{"f(x) if x matches [1];", []string{`p:1:19: unexpected token "[", expected a class name, pattern or literal`}},
		{"f(x: 1 + 2);", []string{`p:1:8: unexpected token "+", expected "," or ")"`}},
		{"f(x: (A));", []string{`p:1:6: unexpected token "(", expected a class name, pattern or literal`}},
		{"f(x) if g(a: 1, 2);", []string{`p:1:17: positional argument after keyword argument`}},
		{"f(x) if print(a: 1);", []string{`p:1:15: keyword arguments are not allowed here`}},
		{"f(x) if x = [*1];", []string{`p:1:15: unexpected number 1, expected variable name after "*"`}},
		{"f(x) if x = [*a, b];", []string{`p:1:18: unexpected name "b", expected "]" (the rest variable must come last)`}},
		{"f(x) if x = [*a b];", []string{`p:1:17: unexpected name "b", expected "," or "]"`}},
		{"f(x) if x = [*a, *b];", []string{`p:1:18: unexpected token "*", expected "]" (the rest variable must come last)`}},
		{"f(x) if x = {a: 1 b: 2};", []string{`p:1:19: unexpected name "b", expected "," or "}"`}},
		{"f(x) if x = {1: 2};", []string{`p:1:14: unexpected number 1, expected field name or "}"`}},
		{"f(x) if x = {if};", []string{`p:1:16: unexpected token "}", expected ":"`}},
		{"f(x) if x.;", []string{`p:1:11: unexpected token ";", expected field or method name, or "(" after "."`}},
		{"f(x) if new Foo;", []string{`p:1:16: unexpected token ";", expected "(" after class name in "new"`}},
		{"f(x) if forall(a);", []string{`p:1:17: unexpected token ")", expected ","`}},
		{"type f(x) if x;", []string{`p:1:11: unexpected keyword "if", expected ";"`}},
		{"type 1();", []string{`p:1:6: unexpected number 1, expected rule name`}},
		{"?= ;", []string{`p:1:4: unexpected token ";", expected a term`}},
		{"f(x) if x = 1;;", []string{`p:1:15: unexpected token ";", expected a rule, rule type, inline query (?=) or resource block`}},
		{"}\nf(x);", []string{`p:1:1: unexpected token "}", expected a rule, rule type, inline query (?=) or resource block`}},
		{"f(x) if x = 1 and or y;", []string{`p:1:19: unexpected keyword "or", expected a term`}},
		// blocks
		{`resource R { roles = ["a"]; roles = ["b"]; }`, []string{`p:1:29: duplicate "roles" declaration in resource block "R" (first declared at p:1:14)`}},
		{`resource R { relations = {a: B}; relations = {}; }`, []string{`p:1:34: duplicate "relations" declaration in resource block "R" (first declared at p:1:14)`}},
		{`resource R { role = ["a"]; "x" if "y"; }`, []string{`p:1:14: unexpected name "role", expected "roles", "permissions", "relations" or a shorthand rule`}},
		{`resource R { roles = [a]; }`, []string{`p:1:23: unexpected name "a", expected a string`}},
		{`resource R { roles = ["a" "b"]; }`, []string{`p:1:27: unexpected string "b", expected "," or "]"`}},
		{`resource R { relations = {parent: "Org"}; }`, []string{`p:1:35: unexpected string "Org", expected class name`}},
		{`resource R { "a" if b; }`, []string{`p:1:21: unexpected name "b", expected a string`}},
		{`resource R { "a" "b"; }`, []string{`p:1:18: unexpected string "b", expected "if"`}},
		{`resource R { "a" if "b" in "c"; }`, []string{`p:1:25: unexpected keyword "in", expected ";"`}},
		{"resource R {\n  roles = [\"a\"]\n  permissions = [\"r\"];\n}", []string{`p:2:16: expected ";" after roles declaration, found name "permissions"`}},
		{"resource R {\n  roles = [\"a\"];\nallow(x) if true;", []string{`p:2:17: missing "}" to close resource block "R" opened at p:1:12; found name "allow"`}},
		{"resource R {\n  roles = [\"a\"];", []string{`p:2:17: missing "}" to close resource block "R" opened at p:1:12; found end of input`}},
		{`resource R { 1; "a" if "b"; }`, []string{`p:1:14: unexpected number 1, expected "roles", "permissions", "relations", a shorthand rule or "}"`}},
		{`actor { }`, []string{`p:1:7: unexpected token "{", expected "("`}},
		{`resource R roles;`, []string{`p:1:12: unexpected name "roles", expected "{"`}},
		// deep nesting
		{"f(x) if " + strings.Repeat("(", 100000) + "x;", []string{`p:1:1009: expression nested too deeply (more than 1000 levels)`}},
		{"f(x) if " + strings.Repeat("[", 5000), []string{`p:1:1009: expression nested too deeply (more than 1000 levels)`}},
		{"f(x) if " + strings.Repeat("not ", 5000) + "x;", []string{`p:1:4009: expression nested too deeply (more than 1000 levels)`}},
		{"f(x) if x" + strings.Repeat(" + 1", 5000) + ";", []string{`p:1:4007: expression nested too deeply (more than 1000 levels)`}},
		{"f(x) if x" + strings.Repeat(".a", 5000) + ";", []string{`p:1:2008: expression nested too deeply (more than 1000 levels)`}},
	}
	for _, tt := range tests {
		name := tt.src
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			_, errs := ParseFile(ast.NewFileSet(), "p", []byte(tt.src))
			var got []string
			for _, e := range errs {
				got = append(got, e.Header())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors for %q:\n got  %q\n want %q", name, got, tt.want)
			}
			for _, e := range errs {
				if !errors.Is(e, ast.ErrSyntax) {
					t.Errorf("%v does not match ast.ErrSyntax", e)
				}
			}
		})
	}
}

// TestRecovery checks that the items around a mistake still parse.
func TestRecovery(t *testing.T) {
	src := `a(x) if x = 1
b(x) if x = ;
c(x) if x = (1;
d(x);
resource R {
  roles = ["a"];
  permissions = ["p" "q"];
  "p" if "a";
}
e(x) if x = 1 y = 2;
f(x);
`
	f, errs := ParseFile(ast.NewFileSet(), "p", []byte(src))
	var names []string
	for _, it := range f.Items {
		switch it := it.(type) {
		case *ast.Rule:
			names = append(names, it.Name)
		case *ast.Block:
			names = append(names, it.Name+"/"+strs(it.Roles)+"/"+sexpr(it.Shorthands[0]))
		}
	}
	if got, want := strings.Join(names, " "), `a d R/[a]/(shorthand "p" "a") f`; got != want {
		t.Errorf("items %q, want %q", got, want)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Header())
	}
	want := []string{
		`p:1:14: expected ";" after rule, found name "b"`,
		`p:2:13: unexpected token ";", expected a term`,
		`p:3:15: unexpected token ";", expected ")"`,
		`p:7:22: unexpected string "q", expected "," or "]"`,
		`p:10:15: unexpected name "y", expected ";"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		src  string
		want string // "" for none
	}{
		{"f() if a and b or c;", "p:1:16: warning: ambiguous precedence of `and` and `or`; add parentheses"},
		{"f() if a or b and c;", "p:1:10: warning: ambiguous precedence of `and` and `or`; add parentheses"},
		{"f() if a or b or c and d;", "p:1:15: warning: ambiguous precedence of `and` and `or`; add parentheses"},
		{"f() if (a and b) or c;", ""},
		{"f() if a and (b or c);", ""},
		{"f() if a or b;", ""},
		{"f() if a and b;", ""},
		{"f() if not a and b;", ""},
	}
	for _, tt := range tests {
		_, errs := ParseFile(ast.NewFileSet(), "p", []byte(tt.src))
		got := ""
		if len(errs) > 0 {
			got = errs[0].Header()
		}
		if got != tt.want || len(errs) > 1 {
			t.Errorf("%q: got %v, want %q", tt.src, errs, tt.want)
		}
		if len(errs) == 1 && (errs[0].Severity != ast.SeverityWarning || errs.Err() != nil) {
			t.Errorf("%q: want a warning, got %v (severity %d)", tt.src, errs[0], errs[0].Severity)
		}
	}
}

func TestParseQueryAndTerm(t *testing.T) {
	e := mustQuery(t, `allow(x, "read", y)`)
	if got := sexpr(e); got != `(call allow x "read" y)` {
		t.Errorf("got %s", got)
	}
	if _, errs := ParseQuery(ast.NewFileSet(), "q", "x = 1;;"); errs.Err() == nil {
		t.Error("double ; accepted")
	}
	_, errs := ParseQuery(ast.NewFileSet(), "q", "x = ")
	if got := errs[0].Header(); len(errs) != 1 || got != "q:1:5: unexpected end of input, expected a term" {
		t.Errorf("got %q", got)
	}
	_, errs = ParseQuery(ast.NewFileSet(), "q", "")
	if len(errs) != 1 {
		t.Errorf("empty query: %v", errs)
	}

	terms := []struct{ src, want string }{
		{`"alice"`, `"alice"`},
		{`-42`, `-42`},
		{`new User("alice", id: 1)`, `(new User "alice" id:1)`},
		{`{name: "alice", roles: ["admin"]}`, `(dict name:"alice" roles:(list "admin"))`},
		{`x.y`, `(. x y)`},
	}
	for _, tt := range terms {
		e, errs := ParseTerm(ast.NewFileSet(), "t", tt.src)
		if len(errs) > 0 {
			t.Errorf("ParseTerm(%q): %v", tt.src, errs)
			continue
		}
		if got := sexpr(e); got != tt.want {
			t.Errorf("ParseTerm(%q) = %s, want %s", tt.src, got, tt.want)
		}
	}
	for _, bad := range []string{`x = 1`, `1 2`, ``, `User{id: 1}`, `a and b`} {
		if _, errs := ParseTerm(ast.NewFileSet(), "t", bad); errs.Err() == nil {
			t.Errorf("ParseTerm(%q) accepted", bad)
		}
	}
}

func TestFloatAndIntValues(t *testing.T) {
	tests := []struct {
		src  string
		want float64
	}{
		{"1.5", 1.5}, {"-0.25", -0.25}, {"2e10", 2e10}, {"1e999", math.Inf(1)}, {"-1e999", math.Inf(-1)},
	}
	for _, tt := range tests {
		e := mustQuery(t, tt.src)
		f, ok := e.(*ast.FloatLit)
		if !ok || f.Value != tt.want {
			t.Errorf("%s parsed as %#v, want %v", tt.src, e, tt.want)
		}
	}
	if f := mustQuery(t, "nan").(*ast.FloatLit); !math.IsNaN(f.Value) {
		t.Errorf("nan = %v", f.Value)
	}
	if i := mustQuery(t, "-9223372036854775808").(*ast.IntLit); i.Value != math.MinInt64 {
		t.Errorf("min int = %v", i.Value)
	}
}

// TestLexTokens checks the token stream of the lexer, including `::` names,
// keywords and two-character operators.
func TestLexTokens(t *testing.T) {
	src := `a::B::c x:: ?= := == != <= >= < > = ! | * / + - . , ; : ( ) [ ] { } mod rem in matches new cut 1 1.5 2e3 3e "s" # c`
	fset := ast.NewFileSet()
	file := fset.AddFile("l", []byte(src))
	d := diags{fset: fset, file: file}
	toks := scanAll(fset, file, &d)
	errs := d.list
	var got []string
	for _, tk := range toks {
		got = append(got, tk.describe())
	}
	want := `name "a::B::c"|name "x"|token ":"|token ":"|token "?="|token ":="|token "=="|token "!="|token "<="|token ">="|token "<"|token ">"|token "="|token "!"|token "|"|token "*"|token "/"|token "+"|token "-"|token "."|token ","|token ";"|token ":"|token "("|token ")"|token "["|token "]"|token "{"|token "}"|keyword "mod"|keyword "rem"|keyword "in"|keyword "matches"|keyword "new"|keyword "cut"|number 1|number 1.5|number 2e3|number 3|name "e"|string "s"|end of input`
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("tokens:\n got  %s\n want %s", g, want)
	}
	if len(errs) > 0 {
		t.Errorf("errors: %v", errs)
	}
	if toks[2].kind != tColon || toks[1].kind != tName {
		t.Errorf("x:: lexed as %v", toks[1:3])
	}
	if _, errs := scanAll2("?"); len(errs) != 1 || errs[0].Msg != `illegal character U+003F '?'` {
		t.Errorf("lone ?: %v", errs)
	}
}

func scanAll2(src string) ([]token, ast.ErrorList) {
	fset := ast.NewFileSet()
	file := fset.AddFile("l", []byte(src))
	d := diags{fset: fset, file: file}
	toks := scanAll(fset, file, &d)
	return toks, d.list
}

func TestErrorSnippet(t *testing.T) {
	_, errs := ParseFile(ast.NewFileSet(), "policy.polar", []byte("allow(a, b, c) if\n\ta = 1 b;\n"))
	want := "policy.polar:2:8: unexpected name \"b\", expected \";\"\n\ta = 1 b;\n\t      ^"
	if errs.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", errs.Error(), want)
	}
}

func TestLineEndingsAndBOM(t *testing.T) {
	_, errs := ParseFile(ast.NewFileSet(), "p", []byte("\uFEFFf(x) if\r\n  x = 1 y;\r\ng(y);\r\n"))
	want := "p:2:9: unexpected name \"y\", expected \";\"\n  x = 1 y;\n        ^"
	if errs.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", errs.Error(), want)
	}
	f, errs := ParseFile(ast.NewFileSet(), "p", []byte("\uFEFFf(x);\r\ng(y);"))
	if len(errs) > 0 || len(f.Items) != 2 {
		t.Errorf("items %d, errors %v", len(f.Items), errs)
	}
}
