package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected sections of testdata/*.txtar")

// TestScripts runs each testdata/*.txtar as a user would: its files (every
// section not named below) are written to a temporary directory, which
// becomes the working directory; `ursa` runs with the arguments of the
// `args` section (one per line), the `stdin` section piped in, and its exit
// code, stdout and stderr are compared exactly with the `exit`, `stdout` and
// `stderr` sections. -update rewrites those three.
func TestScripts(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no scripts")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			abs, err := filepath.Abs(path)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(abs)
			if err != nil {
				t.Fatal(err)
			}
			ar := txtar.Parse(data)
			dir := t.TempDir()
			sections := map[string]string{}
			for _, f := range ar.Files {
				switch f.Name {
				case "args", "stdin", "stdout", "stderr", "exit":
					sections[f.Name] = string(f.Data)
				default:
					p := filepath.Join(dir, f.Name)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			args := strings.Split(strings.TrimRight(sections["args"], "\n"), "\n")
			t.Chdir(dir)
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader(sections["stdin"]), &stdout, &stderr)
			got := map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "exit": strconv.Itoa(code) + "\n"}
			if *update {
				var files []txtar.File
				for _, f := range ar.Files {
					switch f.Name {
					case "stdout", "stderr", "exit":
					default:
						files = append(files, f)
					}
				}
				for _, name := range []string{"exit", "stdout", "stderr"} {
					if got[name] != "" || name == "exit" {
						files = append(files, txtar.File{Name: name, Data: []byte(got[name])})
					}
				}
				ar.Files = files
				if err := os.WriteFile(abs, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, name := range []string{"exit", "stdout", "stderr"} {
				if got[name] != sections[name] {
					t.Errorf("%s:\n--- got ---\n%s--- want ---\n%s", name, got[name], sections[name])
				}
			}
		})
	}
}
