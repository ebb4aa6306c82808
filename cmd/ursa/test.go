package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/ast"
)

func quietQuery() *engine.QueryOptions { return &engine.QueryOptions{Print: io.Discard} }

// runTest loads the policy without running its inline queries, then runs each
// inline query and each zero-argument test_* rule and reports PASS or FAIL
// with the location. Output of print() goes to stdout, between the results.
func runTest(cl *cmdline, _ io.Reader, stdout, stderr io.Writer) int {
	if len(cl.files) == 0 {
		fmt.Fprintf(stderr, "ursa test: no policy files\n\n%s", usage)
		return exitUsage
	}
	l, code := setup(cl, loadOpts{}, stderr)
	if l == nil {
		return code
	}
	p := l.policy
	fset := p.FileSet()
	opts := &engine.QueryOptions{Print: stdout}
	type testCase struct {
		pos  ast.Pos
		name string
		run  func() (bool, error)
	}
	var cases []testCase
	for _, q := range p.Program().Queries {
		cases = append(cases, testCase{pos: q.At, name: "?= " + ast.String(q.Body), run: func() (bool, error) {
			for _, err := range p.QueryExpr(context.Background(), opts, q.Body) {
				return err == nil, err
			}
			return false, nil
		}})
	}
	for _, pred := range p.Program().Preds {
		if pred.Arity != 0 || !strings.HasPrefix(pred.Name, "test_") || len(pred.Rules) == 0 {
			continue
		}
		cases = append(cases, testCase{pos: pred.Rules[0].At, name: pred.Name, run: func() (bool, error) {
			return p.Decide(context.Background(), opts, pred.Name)
		}})
	}
	sort.SliceStable(cases, func(i, j int) bool {
		a, b := fset.Position(cases[i].pos), fset.Position(cases[j].pos)
		if a.Filename != b.Filename {
			return indexOf(l.files, a.Filename) < indexOf(l.files, b.Filename)
		}
		return cases[i].pos < cases[j].pos
	})
	passed, failed := 0, 0
	for _, c := range cases {
		ok, err := c.run()
		where := fset.Position(c.pos).String()
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(stdout, "FAIL %s: %s\n", where, c.name)
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintf(stdout, "    %s\n", line)
			}
		case !ok:
			failed++
			fmt.Fprintf(stdout, "FAIL %s: %s\n", where, c.name)
		default:
			passed++
			fmt.Fprintf(stdout, "PASS %s: %s\n", where, c.name)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitFail
	}
	return exitOK
}

func indexOf(xs []string, x string) int {
	for i, s := range xs {
		if s == x {
			return i
		}
	}
	return len(xs)
}
