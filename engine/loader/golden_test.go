package loader

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden loads each testdata/*.txtar policy (every *.polar section is a
// file) and compares the result with the `-- expanded --` section (the
// program's rules, when loading succeeds), the `-- errors --` section (errors
// and warnings, when it fails) and the `-- warnings --` section.
func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden files")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ar := txtar.Parse(data)
			var srcs []source
			for _, f := range ar.Files {
				if strings.HasSuffix(f.Name, ".polar") {
					srcs = append(srcs, source{f.Name, string(f.Data)})
				}
			}
			if len(srcs) == 0 {
				t.Fatal("no .polar section")
			}
			prog, diags := load(t, srcs...)
			got := map[string]string{}
			if diags.Err() != nil {
				got["errors"] = diagString(diags)
			} else {
				got["expanded"] = programString(prog)
				if len(prog.Warnings) > 0 {
					got["warnings"] = diagString(prog.Warnings)
				}
			}
			if *update {
				var files []txtar.File
				for _, f := range ar.Files {
					if strings.HasSuffix(f.Name, ".polar") {
						files = append(files, f)
					}
				}
				for _, name := range []string{"expanded", "warnings", "errors"} {
					if s, ok := got[name]; ok {
						files = append(files, txtar.File{Name: name, Data: []byte(s)})
					}
				}
				ar.Files = files
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := map[string]string{}
			for _, f := range ar.Files {
				if !strings.HasSuffix(f.Name, ".polar") {
					want[f.Name] = string(f.Data)
				}
			}
			for _, name := range []string{"expanded", "warnings", "errors"} {
				if !bytes.Equal([]byte(got[name]), []byte(want[name])) {
					t.Errorf("-- %s -- mismatch\ngot:\n%s\nwant:\n%s", name, got[name], want[name])
				}
			}
		})
	}
}
