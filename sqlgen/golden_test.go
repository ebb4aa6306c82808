package sqlgen

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// formatArgs prints bind arguments one per line, with their Go type.
func formatArgs(args []any) string {
	var b strings.Builder
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			fmt.Fprintf(&b, "%d: time.Time %s\n", i+1, v.Format(time.RFC3339Nano))
		case string:
			fmt.Fprintf(&b, "%d: string %q\n", i+1, v)
		default:
			fmt.Fprintf(&b, "%d: %T %v\n", i+1, a, a)
		}
	}
	return b.String()
}

// TestGolden compiles every golden policy's filter for every dialect and
// compares the exact (SQL, args) pair with testdata/<name>.txtar.
func TestGolden(t *testing.T) {
	s, es := gitclub(), enforced(gitclub())
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, gc := range goldenCases() {
		t.Run(gc.name, func(t *testing.T) {
			ar := &txtar.Archive{Comment: []byte(gc.doc + "\n")}
			var args0 string
			for i, d := range Dialects {
				sql, args, err := Select(gc.f, s, d)
				if err != nil {
					t.Fatalf("%s: %v", d, err)
				}
				fa := formatArgs(args)
				if i == 0 {
					args0 = fa
				} else if fa != args0 {
					t.Errorf("%s: args differ from postgres:\n%s\nvs\n%s", d, fa, args0)
				}
				ar.Files = append(ar.Files, txtar.File{Name: d.String() + ".sql", Data: []byte(sql + "\n")})
			}
			ar.Files = append(ar.Files, txtar.File{Name: "args", Data: []byte(args0)})
			// Options.NilErrors (decision errors through missing relations)
			// and a schema whose relations are all Enforced (key shortcuts),
			// where they change the Postgres SQL
			def, _, _ := Select(gc.f, s, Postgres)
			for _, v := range []struct {
				name string
				s    *Schema
				opt  Option
			}{{"postgres.nilerrors.sql", s, WithNilErrors()}, {"postgres.enforced.sql", es, nil}} {
				sql, args, err := Select(gc.f, v.s, Postgres, v.opt)
				if err != nil {
					ar.Files = append(ar.Files, txtar.File{Name: v.name, Data: []byte("error: " + err.Error() + "\n")})
				} else if sql != def {
					ar.Files = append(ar.Files, txtar.File{Name: v.name, Data: []byte(sql + "\n" + formatArgs(args))})
				}
			}
			got := txtar.Format(ar)
			path := filepath.Join("testdata", gc.name+".txtar")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./sqlgen -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs; got:\n%s", path, got)
			}
		})
	}
}
