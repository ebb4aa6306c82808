package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ursa-authz/ursa/engine/ast"
)

func mustLoad(t testing.TB, src string) *Policy {
	t.Helper()
	p, errs := Load([]Source{{Name: "p.polar", Src: []byte(src)}}, goldenRegistry(t), nil)
	if errs.Err() != nil {
		t.Fatal(errs)
	}
	return p
}

func TestLimits(t *testing.T) {
	p := mustLoad(t, `
loop(x) if loop(x + 1);
spin(x) if x in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] and spin2(x);
spin2(_) if spin3(1) and false;
spin3(x) if x < 100000 and spin3(x + 1);
`)
	ctx := context.Background()

	_, err := p.Decide(ctx, &QueryOptions{MaxDepth: 500}, "loop", 1)
	if !errors.Is(err, ErrLimit) || !errors.Is(err, ast.ErrRuntime) || !strings.Contains(err.Error(), "depth") {
		t.Fatalf("depth: %v", err)
	}
	_, err = p.Decide(ctx, &QueryOptions{MaxSteps: 1000, MaxDepth: -1}, "loop", 1)
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "1000 steps") {
		t.Fatalf("steps: %v", err)
	}
	// Default limits stop a runaway recursion too.
	_, err = p.Decide(ctx, nil, "loop", 1)
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("default limits: %v", err)
	}

	// Cancellation stops a long search.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	ok, err := p.Decide(cctx, &QueryOptions{MaxSteps: -1, MaxDepth: -1}, "spin", Variable("x"))
	if ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	// An already-cancelled context denies immediately.
	cctx2, cancel2 := context.WithCancel(ctx)
	cancel2()
	if ok, err := p.Decide(cctx2, nil, "spin3", 99999); ok || err == nil {
		t.Fatalf("cancelled: %v %v", ok, err)
	}
}

// A 100,000-long chain, through a Go linked list and through a Polar list,
// runs without growing the Go stack.
func TestDeepChain(t *testing.T) {
	const n = 100_000
	var head *Node
	for i := n; i > 0; i-- {
		head = &Node{ID: i, Parent: head}
	}
	// the last node grants
	last := head
	for last.Parent != nil {
		last = last.Parent
	}
	last.Grants = true
	p := mustLoad(t, `
granted(n: Node) if n.grants;
granted(n: Node) if n.parent != nil and granted(n.parent);
count([], 0);
count([_, *rest], n) if count(rest, m) and n = m + 1;
`)
	ok, err := p.Decide(context.Background(), nil, "granted", head)
	if err != nil || !ok {
		t.Fatalf("linked list: %v %v", ok, err)
	}
	xs := make([]any, n)
	for i := range xs {
		xs[i] = int64(i)
	}
	for b, err := range p.QueryRule(context.Background(), nil, "count", xs, Variable("n")) {
		if err != nil {
			t.Fatal(err)
		}
		if b["n"] != int64(n) {
			t.Fatalf("count = %v", b["n"])
		}
	}
}

func TestCyclicData(t *testing.T) {
	p := mustLoad(t, `
allow(_actor, "read", n: Node) if n.grants;
allow(actor, "read", n: Node) if n.parent != nil and allow(actor, "read", n.parent);
`)
	// a ring of 50 nodes; none grants, then one does
	ring := make([]*Node, 50)
	for i := range ring {
		ring[i] = &Node{ID: i}
	}
	for i := range ring {
		ring[i].Parent = ring[(i+1)%len(ring)]
	}
	ok, err := p.Decide(context.Background(), nil, "allow", "u", "read", ring[0])
	if err != nil || ok {
		t.Fatalf("ring without grant: %v %v", ok, err)
	}
	ring[30].Grants = true
	ok, err = p.Decide(context.Background(), nil, "allow", "u", "read", ring[0])
	if err != nil || !ok {
		t.Fatalf("ring with grant: %v %v", ok, err)
	}
	// a tail leading into a cycle
	tail := &Node{ID: 100, Parent: &Node{ID: 101, Parent: ring[5]}}
	ring[30].Grants = false
	if ok, err := p.Decide(context.Background(), nil, "allow", "u", "read", tail); ok || err != nil {
		t.Fatalf("tail into cycle: %v %v", ok, err)
	}
}

func TestQueryStopsWhenConsumerStops(t *testing.T) {
	p := mustLoad(t, `nat(0); nat(n) if nat(m) and n = m + 1;`)
	n := 0
	for b, err := range p.QueryRule(context.Background(), &QueryOptions{MaxDepth: -1}, "nat", Variable("x")) {
		if err != nil {
			t.Fatal(err)
		}
		if b["x"] != int64(n) {
			t.Fatalf("got %v want %d", b["x"], n)
		}
		n++
		if n == 50 {
			break
		}
	}
	if n != 50 {
		t.Fatalf("n = %d", n)
	}
}

// Queries, rule queries and decisions run concurrently on one policy.
func TestConcurrentQueries(t *testing.T) {
	p := mustLoad(t, `
f(1); f(2); f(3);
g(x) if f(x) and x > 1;
`)
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			for j := 0; j < 200; j++ {
				n := 0
				src := "g(x)"
				if j%2 == 0 {
					src = "f(x) and x != " + string(rune('0'+i%4))
				}
				for _, err := range p.Query(context.Background(), nil, src) {
					if err != nil {
						done <- err
						return
					}
					n++
				}
				if n == 0 {
					done <- errors.New("no results")
					return
				}
				if ok, err := p.Decide(context.Background(), nil, "g", 3); !ok || err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// The loop check covers calls with list, dictionary and host-value
// arguments and with more than six arguments: on a cyclic parent chain a
// decision answers with the least fixpoint instead of running into the depth
// limit.
func TestCyclicDataStructuredArgs(t *testing.T) {
	p := mustLoad(t, `
allow(_actor, "read", n: Node) if n.grants;
allow(actor, "read", n: Node) if n.parent != nil and allow(actor, "read", n.parent);
# a list built afresh at every call
fresh(n: Node, _l) if n.grants;
fresh(n: Node, [first, *_]) if n.parent != nil and fresh(n.parent, [first, {k: 1}]);
many(_a, _b, _c, _d, _e, _f, n: Node) if n.grants;
many(a, b, c, d, e, f, n: Node) if n.parent != nil and many(a, b, c, d, e, f, n.parent);
rest(n: Node, [_, *_]) if n.grants;
rest(n: Node, [x, *r]) if n.parent != nil and rest(n.parent, [x, *r]);
unbound(n: Node, _v) if n.grants;
unbound(n: Node, v) if n.parent != nil and unbound(n.parent, v);
`)
	for _, size := range []int{31, 40, 300} { // shallow and deep loop stacks
		testCyclicStructured(t, p, size)
	}
}

func testCyclicStructured(t *testing.T, p *Policy, size int) {
	ring := make([]*Node, size)
	for i := range ring {
		ring[i] = &Node{ID: i}
	}
	for i := range ring {
		ring[i].Parent = ring[(i+1)%len(ring)]
	}
	// a tail leading into the cycle
	tail := &Node{ID: 100, Parent: &Node{ID: 101, Parent: ring[5]}}
	actor := map[string]any{"id": int64(3), "roles": []any{"a", "b"}}
	type call struct {
		name string
		args []any
	}
	calls := func(n *Node) []call {
		return []call{
			{"allow", []any{actor, "read", n}},
			{"allow", []any{[]any{int64(1), map[string]any{"x": []any{}}}, "read", n}},
			{"allow", []any{Node{ID: 9}, "read", n}}, // a struct value
			// an incomparable struct value (slice and map fields), passed along
			{"allow", []any{Person{Name: "p", Tags: []string{"a"}, Attrs: map[string]int{}}, "read", n}},
			{"allow", []any{[]string{"x"}, "read", n}},
			{"allow", []any{map[string]int{"x": 1}, "read", n}},
			{"fresh", []any{n, []any{actor}}},
			{"many", []any{int64(1), actor, []any{int64(2)}, "d", 1.5, nil, n}},
			{"rest", []any{n, []any{int64(1), int64(2)}}},
			{"unbound", []any{n, Variable("v")}},
		}
	}
	ctx := context.Background()
	opts := &QueryOptions{MaxDepth: 5000}
	for _, start := range []*Node{ring[0], tail} {
		for _, c := range calls(start) {
			ring[size-1].Grants = false
			ok, err := p.Decide(ctx, opts, c.name, c.args...)
			if err != nil || ok {
				t.Errorf("ring %d: %s from %d without a grant: %v %v", size, c.name, start.ID, ok, err)
			}
			ring[size-1].Grants = true
			ok, err = p.Decide(ctx, opts, c.name, c.args...)
			if err != nil || !ok {
				t.Errorf("ring %d: %s from %d with a grant: %v %v", size, c.name, start.ID, ok, err)
			}
		}
	}
	ring[size-1].Grants = false
	// Enumerating all answers terminates too, without duplicates from loops.
	n := 0
	for _, err := range p.QueryRule(ctx, opts, "allow", actor, Variable("a"), ring[0]) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 0 {
		t.Fatalf("answers without a grant: %d", n)
	}
	ring[7].Grants = true
	ring[size-1].Grants = true
	n = 0
	for _, err := range p.QueryRule(ctx, opts, "allow", actor, Variable("a"), ring[0]) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("answers with two granting ancestors: %d, want 2", n)
	}
}

// The loop check compares arguments structurally: calls whose dictionary
// arguments differ are not pruned, an identical one built afresh is.
func TestLoopCheckStructural(t *testing.T) {
	p := mustLoad(t, `
steps(d) if d.n = 0;
steps(d) if d.n > 0 and steps({n: d.n - 1, tag: [d.n mod 2]});
same(d) if same({n: d.n, more: [1, 2.5, "x", nil, true]});
`)
	ctx := context.Background()
	ok, err := p.Decide(ctx, nil, "steps", map[string]any{"n": int64(100)})
	if err != nil || !ok {
		t.Fatalf("steps: %v %v", ok, err)
	}
	ok, err = p.Decide(ctx, &QueryOptions{MaxDepth: 1000}, "same", map[string]any{"n": int64(1)})
	if err != nil || ok {
		t.Fatalf("same: %v %v", ok, err)
	}
}

// SkipInlineQueries loads a policy whose inline queries fail; they can then
// be run one by one, each failing one reported with its position.
func TestSkipInlineQueries(t *testing.T) {
	src := `f(1);
?= f(1);
?= f(2);
?= print("ran") and f(1);
?= f(x) and x.nope;
`
	var printed strings.Builder
	srcs := []Source{{Name: "p.polar", Src: []byte(src)}}
	p, errs := Load(srcs, goldenRegistry(t), &LoadOptions{QueryOptions: QueryOptions{Print: &printed}})
	if p != nil || len(errs)-len(errs.Warnings()) != 2 || printed.String() != "ran\n" {
		t.Fatalf("inline queries run: %v %v %q", p, errs, printed.String())
	}
	printed.Reset()
	p, errs = Load(srcs, goldenRegistry(t), &LoadOptions{QueryOptions: QueryOptions{Print: &printed}, SkipInlineQueries: true})
	if p == nil || errs.Err() != nil || printed.Len() != 0 {
		t.Fatalf("skipped: %v %v %q", p, errs, printed.String())
	}
	if len(p.Program().Queries) != 4 {
		t.Fatalf("queries: %d", len(p.Program().Queries))
	}
	qerrs := p.RunInlineQueries(&QueryOptions{Print: &printed})
	var got []string
	for _, e := range qerrs {
		got = append(got, e.Header())
	}
	want := []string{
		"p.polar:3:1: inline query failed: f(2)",
		"p.polar:5:13: inline query failed with an error: Integer has no field nope",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || printed.String() != "ran\n" {
		t.Fatalf("got\n%s\nwant\n%s\nprinted %q", strings.Join(got, "\n"), strings.Join(want, "\n"), printed.String())
	}
	for _, e := range qerrs {
		if !errors.Is(e, ast.ErrValidation) {
			t.Errorf("%v is not a validation error", e)
		}
	}
}
