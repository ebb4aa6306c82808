package partial_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/partial"
)

// FuzzEval: any policy that loads gives a filter or an error for every
// action of the golden queries — never a panic (reported by Eval as an
// "internal error"), never a hang (step limit), and a filter that prints.
func FuzzEval(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, path := range files {
		a, err := txtar.ParseFile(path)
		if err != nil {
			continue
		}
		for _, file := range a.Files {
			if file.Name == "policy.polar" {
				f.Add(string(file.Data), "read")
			}
		}
	}
	f.Fuzz(func(t *testing.T, src, action string) {
		p, errs := engine.Load([]engine.Source{{Name: "fuzz.polar", Src: []byte(src)}}, newRegistry(), nil)
		if errs.Err() != nil || p == nil {
			return
		}
		for _, typ := range []string{"Doc", "Repo", "Folder", "Team", "Review", "MedicalRecord", "Org"} {
			flt, err := partial.Query(context.Background(), p, "allow", actors["alice"], action, partial.Unknown{Type: typ})
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatalf("panic in Eval: %v\npolicy:\n%s", err, src)
				}
				continue
			}
			_ = flt.String()
		}
	})
}
