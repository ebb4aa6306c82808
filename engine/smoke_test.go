package engine

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	p, errs := Load([]Source{{Name: "a.polar", Src: []byte(`
f(1); f(2); f(3);
g(x) if f(x) and x > 1;
allow(a, "read", r) if r.owner == a or r.public;
`)}}, NewRegistry(), nil)
	if errs.Err() != nil {
		t.Fatal(errs)
	}
	for b, err := range p.Query(context.Background(), nil, "g(x)") {
		t.Log(FormatBindings(b), err)
	}
	ok, err := p.Decide(context.Background(), nil, "allow", "bob", "read", map[string]any{"owner": "bob", "public": false})
	t.Log(ok, err)
	ok, err = p.Decide(context.Background(), nil, "allow", "bob", "read", map[string]any{"owner": "al", "public": false})
	t.Log(ok, err)
}
