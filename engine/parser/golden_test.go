package parser

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ursa-authz/ursa/engine/ast"
)

var update = flag.Bool("update", false, "rewrite the expected sections of testdata/*.txtar")

// goldenFiles returns the golden test archives.
func goldenFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	return files
}

// goldenPolicy returns the policy.polar section of a golden archive.
func goldenPolicy(a *txtar.Archive) ([]byte, bool) {
	for _, f := range a.Files {
		if f.Name == "policy.polar" {
			return f.Data, true
		}
	}
	return nil, false
}

// renderDiags renders diagnostics as the golden "errors"/"warnings" text:
// each full message (header and caret snippet), one after the other.
func renderDiags(l ast.ErrorList) string {
	var b strings.Builder
	for _, e := range l {
		b.WriteString(e.Error())
		b.WriteString("\n")
	}
	return b.String()
}

// TestGolden parses the policy of each testdata/*.txtar archive and compares
// the result with its sections: `-- ast --` (the printed tree) and
// `-- warnings --` for a policy that parses, `-- errors --` (every
// diagnostic with file:line:col and snippet) for one that does not. Run with
// -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, path := range goldenFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			a, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			src, ok := goldenPolicy(a)
			if !ok {
				t.Fatal("no policy.polar section")
			}
			f, errs := ParseFile(ast.NewFileSet(), "policy.polar", src)
			want := map[string]string{}
			if errs.Err() != nil {
				want["errors"] = renderDiags(errs)
			} else {
				want["ast"] = ast.String(f)
				if w := errs.Warnings(); len(w) > 0 {
					want["warnings"] = renderDiags(w)
				}
				roundTripFile(t, f)
			}
			if *update {
				out := &txtar.Archive{Comment: a.Comment, Files: []txtar.File{{Name: "policy.polar", Data: src}}}
				for _, name := range []string{"ast", "warnings", "errors"} {
					if s, ok := want[name]; ok {
						out.Files = append(out.Files, txtar.File{Name: name, Data: []byte(s)})
					}
				}
				if err := os.WriteFile(path, txtar.Format(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			got := map[string]string{}
			for _, f := range a.Files {
				if f.Name != "policy.polar" {
					got[f.Name] = string(f.Data)
				}
			}
			for name, w := range want {
				g, ok := got[name]
				if !ok {
					t.Errorf("missing section -- %s -- (run go test -update); want:\n%s", name, w)
					continue
				}
				if g != w {
					t.Errorf("section -- %s -- differs (run go test -update to accept)\ngot:\n%s\nwant:\n%s", name, g, w)
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("unexpected section -- %s --", name)
				}
			}
		})
	}
}

// TestGoldenPrintIsStable checks that printing is a fixed point: the printed
// form of a printed policy is the same text.
func TestGoldenPrintIsStable(t *testing.T) {
	for _, path := range goldenFiles(t) {
		a, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := goldenPolicy(a)
		f, errs := ParseFile(ast.NewFileSet(), "policy.polar", src)
		if errs.Err() != nil {
			continue
		}
		once := ast.String(f)
		f2, _ := ParseFile(ast.NewFileSet(), "printed.polar", []byte(once))
		if twice := ast.String(f2); !bytes.Equal([]byte(once), []byte(twice)) {
			t.Errorf("%s: printing is not stable:\n%s\n---\n%s", path, once, twice)
		}
	}
}
