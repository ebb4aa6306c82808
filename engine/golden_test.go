package engine

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ursa-authz/ursa/engine/ast"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Host types of the golden tests.
type Animal struct {
	Name    string
	Species string
	Genus   string
	Family  string
}

type Named interface{ GetName() string }

func (a Animal) GetName() string { return a.Name }

// Dog embeds Animal: a subclass for specializers.
type Dog struct {
	Animal
	Good bool
}

type Person struct {
	ID        int
	Name      string
	CreatorID int
	HTTPPort  int    `polar:"port"`
	Nick      string `gorm:"column:nickname"`
	Tags      []string
	Attrs     map[string]int
	Boss      *Person
	Joined    time.Time
	Tenure    time.Duration
}

func (p *Person) Greet(greeting string, names ...string) string {
	return greeting + " " + strings.Join(names, ", ") + " from " + p.Name
}

type GreetOpts struct {
	Loud   bool
	Suffix string
}

func (p Person) Shout(msg string, o GreetOpts) string {
	if o.Loud {
		msg = strings.ToUpper(msg)
	}
	return msg + o.Suffix
}

func (p Person) Kw(msg string, kw map[string]any) string {
	return msg + ":" + FormatValue(kw)
}

func (p Person) Fail() (int, error) { return 0, errors.New("boom") }

func (p Person) Lookup(k string) (string, bool) {
	if k == "x" {
		return "found", true
	}
	return "", false
}

func (p Person) IsAdmin() bool { return p.Name == "admin" }

// Friends is a Go iterator (iter.Seq); AttrPairs an iter.Seq2.
func (p *Person) Friends() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, f := range []string{"bo", "cy"} {
			if !yield(f) {
				return
			}
		}
	}
}

func (p *Person) AttrPairs() iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		_ = yield("k", 1) && yield("j", 2)
	}
}

type Node struct {
	ID     int
	Parent *Node
	Grants bool
}

type Helpers struct{}

func (Helpers) Double(x int) int { return 2 * x }
func (Helpers) Sum(xs ...int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func goldenRegistry(t testing.TB) *Registry {
	r := NewRegistry()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.RegisterClass(Animal{}, "", nil))
	must(r.RegisterClass(&Dog{}, "", nil))
	must(r.RegisterClass((*Named)(nil), "Named", nil))
	must(r.RegisterClass(&Person{}, "", nil))
	must(r.RegisterClass(&Node{}, "", nil))
	must(r.RegisterConstant("H", Helpers{}))
	must(r.RegisterConstant("T0", t0))
	must(r.RegisterConstant("HOUR", time.Hour))
	wolf := Animal{Name: "wolf", Species: "canis lupus", Genus: "canis", Family: "canidae"}
	dog := &Dog{Animal: Animal{Name: "rex", Species: "canis familiaris", Genus: "canis", Family: "canidae"}, Good: true}
	cat := Animal{Name: "tom", Species: "felis catus", Genus: "felis", Family: "felidae"}
	must(r.RegisterConstant("WOLF", wolf))
	must(r.RegisterConstant("DOG", dog))
	must(r.RegisterConstant("CAT", cat))
	boss := &Person{ID: 1, Name: "admin"}
	alice := &Person{ID: 2, Name: "alice", CreatorID: 1, HTTPPort: 8080, Nick: "al", Tags: []string{"a", "b"},
		Attrs: map[string]int{"x": 1, "y": 2}, Boss: boss, Joined: t0, Tenure: 3 * time.Hour}
	must(r.RegisterConstant("ALICE", alice))
	must(r.RegisterConstant("BOSS", boss))
	// a cycle of nodes: 1 -> 2 -> 3 -> 1, node 5 -> 4 (4 grants)
	n1, n2, n3 := &Node{ID: 1}, &Node{ID: 2}, &Node{ID: 3}
	n1.Parent, n2.Parent, n3.Parent = n2, n3, n1
	n4 := &Node{ID: 4, Grants: true}
	n5 := &Node{ID: 5, Parent: n4}
	must(r.RegisterConstant("N1", n1))
	must(r.RegisterConstant("N5", n5))
	return r
}

// runGolden runs a txtar file: `policy.polar` (loaded), an optional `load`
// section (expected load diagnostics, one header per line), then `query`
// sections, each followed by `results` (one line per solution in order:
// its bindings sorted by name, "true" when there are none; then the lines
// print wrote, prefixed "print: ") and, when the query stopped with an
// error, `errors` (the error's file:line:col header).
func runGolden(t *testing.T, path string) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var policy []byte
	for _, f := range ar.Files {
		if f.Name == "policy.polar" {
			policy = f.Data
		}
	}
	var out []txtar.File
	var p *Policy
	var loadErrs ast.ErrorList
	var printed bytes.Buffer
	p, loadErrs = Load([]Source{{Name: "policy.polar", Src: policy}}, goldenRegistry(t), &LoadOptions{QueryOptions: QueryOptions{Print: &printed}})
	for _, f := range ar.Files {
		switch f.Name {
		case "policy.polar":
			out = append(out, f)
		case "load":
			var b strings.Builder
			for _, e := range loadErrs {
				b.WriteString(e.Header())
				b.WriteString("\n")
			}
			out = append(out, txtar.File{Name: "load", Data: []byte(b.String())})
		case "query":
			out = append(out, f)
			var b, errb strings.Builder
			if p == nil {
				errb.WriteString("policy did not load\n")
			} else {
				printed.Reset()
				opts := &QueryOptions{Print: &printed, MaxSteps: 100000, MaxDepth: 1000}
				for bs, err := range p.Query(context.Background(), opts, strings.TrimSpace(string(f.Data))) {
					if err != nil {
						var ae *ast.Error
						msg := err.Error()
						if errors.As(err, &ae) {
							msg = ae.Header()
						}
						errb.WriteString(strings.SplitN(msg, "\n", 2)[0] + "\n")
						break
					}
					b.WriteString(FormatBindings(bs) + "\n")
				}
				if printed.Len() > 0 {
					for _, line := range strings.Split(strings.TrimRight(printed.String(), "\n"), "\n") {
						b.WriteString("print: " + line + "\n")
					}
				}
			}
			out = append(out, txtar.File{Name: "results", Data: []byte(b.String())})
			if errb.Len() > 0 {
				out = append(out, txtar.File{Name: "errors", Data: []byte(errb.String())})
			}
		}
	}
	if p == nil && !hasSection(ar, "load") {
		t.Fatalf("load failed:\n%v", loadErrs)
	}
	got := txtar.Format(&txtar.Archive{Comment: ar.Comment, Files: out})
	want, _ := os.ReadFile(path)
	if *update {
		if !bytes.Equal(got, want) {
			os.WriteFile(path, got, 0o644)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: mismatch (run with -update to accept)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func hasSection(ar *txtar.Archive, name string) bool {
	for _, f := range ar.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runGolden(t, f) })
	}
}
