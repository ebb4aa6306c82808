package engine

import (
	"context"
	"strings"
	"testing"
)

// FuzzQuery runs arbitrary query text against a policy with host values:
// the VM must answer or return an error, never panic (the last-resort
// recover reports "internal error", which fails the fuzz target).
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		`x in [1, 2] and x > 1`, `ALICE.greet("a", "b") = x`, `[a, *b] = [1, 2, 3]`, `x = {a: 1}.a`,
		`not f(1)`, `forall(x in [1], x = 1)`, `DOG matches Animal{genus: g}`, `x := 1 and x = y`,
		`granted(N1)`, `len([1, 2], n)`, `x = new Person(name: "p")`, `1 / 0 = x`, `x = -9223372036854775807 - 1`,
		`"abc".split(x)`, `ALICE.attrs.(k) = v`, `y = [1, *x]`, `H.sum(1, "a")`, `cut`, `print(x)`,
	} {
		f.Add(s)
	}
	p := mustLoad(f, `
f(1); f(2);
granted(n: Node) if n.grants;
granted(n: Node) if n.parent != nil and granted(n.parent);
len([], 0);
len([_, *t], n) if len(t, m) and n = m + 1;
`)
	f.Fuzz(func(t *testing.T, src string) {
		opts := &QueryOptions{MaxSteps: 2000, MaxDepth: 100, Print: &strings.Builder{}}
		n := 0
		for _, err := range p.Query(context.Background(), opts, src) {
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatalf("%q: %v", src, err)
				}
				break
			}
			if n++; n > 50 {
				break
			}
		}
	})
}

// FuzzPolicy loads arbitrary policy text and runs a few queries on it: load
// errors are fine, panics and internal errors are not.
func FuzzPolicy(f *testing.F) {
	for _, s := range []string{
		"allow(a, b, c) if a = b and c > 1;",
		"actor Person {} resource Node { roles = [\"r\"]; permissions = [\"p\"]; relations = { parent: Node }; \"p\" if \"r\"; \"r\" if \"r\" on \"parent\"; }\nhas_role(_: Person, \"r\", _: Node);\nhas_relation(p: Node, \"parent\", c: Node) if c.parent = p;\nallow(a, b, c) if has_permission(a, b, c);",
		"f(x: Animal{name: n}) if n = \"x\" and cut; f(_) if forall(y in [1], y = 1); ?= f(WOLF);",
		"g([h, *t]) if g(t) or h = 1; g([]); allow(_, _, r) if g(r);",
		"type h(x: Integer); h(1); h(x) if x := 2; allow(x, _, _) if h(x) and not x matches String;",
	} {
		f.Add(s)
	}
	reg := goldenRegistry(f)
	f.Fuzz(func(t *testing.T, src string) {
		p, errs := Load([]Source{{Name: "f.polar", Src: []byte(src)}}, reg, &LoadOptions{QueryOptions: QueryOptions{MaxSteps: 2000, MaxDepth: 100, Print: &strings.Builder{}}})
		for _, e := range errs {
			if strings.Contains(e.Msg, "internal error") {
				t.Fatalf("%q: %v", src, e)
			}
		}
		if p == nil {
			return
		}
		opts := &QueryOptions{MaxSteps: 2000, MaxDepth: 100, Print: &strings.Builder{}}
		for _, args := range [][]any{{Variable("a"), Variable("b"), Variable("c")}, {1, "read", fuzzNode}} {
			_, err := p.Decide(context.Background(), opts, "allow", args...)
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("%q: %v", src, err)
			}
		}
	})
}

var fuzzNode = &Node{ID: 1, Grants: true}
