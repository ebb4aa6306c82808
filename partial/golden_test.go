package partial_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/partial"
)

var update = flag.Bool("update", false, "rewrite the residual sections of testdata/*.txtar")

func loadPolicy(t testing.TB, src string) *engine.Policy {
	t.Helper()
	p, errs := engine.Load([]engine.Source{{Name: "policy.polar", Src: []byte(src)}}, newRegistry(), nil)
	if err := errs.Err(); err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

// residualText renders the result of one golden query: the filter, or the
// error as "error: ...".
func residualText(f *partial.Filter, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return f.String()
}

// TestGolden evaluates, for each testdata/*.txtar archive, every line of its
// `-- query --` section ("actor action ResourceType", actors from the actors
// table) against `-- policy.polar --` and compares the filters with the
// `-- residual --` section: for each query a line "# query" followed by the
// printed filter (or "error: message"). Run with -update to rewrite.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sec := map[string]string{}
			for _, f := range a.Files {
				sec[f.Name] = string(f.Data)
			}
			p := loadPolicy(t, sec["policy.polar"])
			var got strings.Builder
			for _, q := range strings.Split(strings.TrimSpace(sec["query"]), "\n") {
				q = strings.TrimSpace(q)
				if q == "" || strings.HasPrefix(q, "//") {
					continue
				}
				fs := strings.Fields(q)
				if len(fs) != 3 {
					t.Fatalf("bad query %q: want \"actor action ResourceType\"", q)
				}
				actor, ok := actors[fs[0]]
				if !ok {
					t.Fatalf("unknown actor %q", fs[0])
				}
				f, err := partial.Eval(context.Background(), p, actor, fs[1], fs[2])
				if err == nil {
					uniqueExistsVars(t, f)
				}
				got.WriteString("# " + q + "\n" + residualText(f, err) + "\n")
			}
			if *update {
				var out []txtar.File
				for _, f := range a.Files {
					if f.Name != "residual" {
						out = append(out, f)
					}
				}
				out = append(out, txtar.File{Name: "residual", Data: []byte(got.String())})
				a.Files = out
				if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := sec["residual"]; got.String() != want {
				t.Errorf("residual mismatch\n--- got\n%s--- want\n%s", got.String(), want)
			}
		})
	}
}

// uniqueExistsVars fails if an Exists variable occurs twice in f (the IR
// promises unique names).
func uniqueExistsVars(t testing.TB, f *partial.Filter) {
	t.Helper()
	if f == nil {
		return
	}
	seen := map[string]bool{}
	check := func(g *partial.Filter) {
		partial.WalkFilter(g, func(c partial.Cond) {
			if x, ok := c.(*partial.Exists); ok {
				if seen[x.Var] {
					t.Errorf("exists variable %s occurs twice in %s", x.Var, f)
				}
				seen[x.Var] = true
			}
		})
	}
	check(f)
	for _, p := range f.Preds {
		check(&p.Body)
	}
}
