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
