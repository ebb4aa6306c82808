package parser

import (
	"testing"
	"unsafe"

	"github.com/ursa-authz/ursa/engine/ast"
)

// Equal names and equal string literal values in a file share their bytes
// (the lexer interns them), so that evaluators comparing variable or role
// names find equal ones by pointer; different ones stay different.
func TestNamesAndStringsInterned(t *testing.T) {
	src := `has_role(user, "reader", repo) if role in user.roles and role.name = "reader" and role.repo = repo;
has_role(user, "reader\u{21}", repo) if user.admin = "reader!" and repo = user;`
	f, errs := ParseFile(ast.NewFileSet(), "p.polar", []byte(src))
	if errs.Err() != nil {
		t.Fatal(errs.Err())
	}
	vars := map[string][]string{}
	strs := map[string][]string{}
	var walk func(x ast.Expr)
	walk = func(x ast.Expr) {
		switch x := x.(type) {
		case *ast.Var:
			vars[x.Name] = append(vars[x.Name], x.Name)
		case *ast.StringLit:
			strs[x.Value] = append(strs[x.Value], x.Value)
		case *ast.Dot:
			walk(x.X)
		case *ast.Binary:
			walk(x.L)
			walk(x.R)
		case *ast.And:
			for _, g := range x.Goals {
				walk(g)
			}
		}
	}
	for _, it := range f.Items {
		r, ok := it.(*ast.Rule)
		if !ok {
			t.Fatalf("item %T", it)
		}
		for _, p := range r.Params {
			walk(p.Term)
		}
		walk(r.Body)
	}
	check := func(kind string, m map[string][]string, want map[string]int) {
		for s, n := range want {
			occ := m[s]
			if len(occ) != n {
				t.Fatalf("%s %q: %d occurrences, want %d", kind, s, len(occ), n)
			}
			for _, o := range occ[1:] {
				if unsafe.StringData(o) != unsafe.StringData(occ[0]) {
					t.Errorf("%s %q: occurrences do not share their bytes", kind, s)
				}
			}
		}
	}
	check("name", vars, map[string]int{"user": 5, "repo": 4, "role": 3})
	check("string", strs, map[string]int{"reader": 2, "reader!": 2})
	if unsafe.StringData(vars["user"][0]) == unsafe.StringData(vars["repo"][0]) {
		t.Errorf("different names share their bytes")
	}
}
