package loader

import (
	"sort"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/parser"
)

// fakeClasses is the host of the tests: the built-ins plus a few app classes.
// Admin embeds User; Guest embeds User too (used for subclass checks).
type fakeClasses struct {
	known map[string]bool
	super map[string][]string // class -> its direct superclasses
}

func newFakeClasses() *fakeClasses {
	c := &fakeClasses{known: map[string]bool{}, super: map[string][]string{
		"Admin": {"User"},
		"Guest": {"User"},
	}}
	for _, n := range builtinClasses {
		c.known[n] = true
	}
	for _, n := range []string{"User", "Admin", "Guest", "Org", "Repo", "Issue", "Team", "Folder", "Document", "Request"} {
		c.known[n] = true
	}
	return c
}

func (c *fakeClasses) Known(name string) bool { return c.known[name] }

// Constant makes fakeClasses a Constants too: MAX_LEVEL is registered.
func (c *fakeClasses) Constant(name string) (any, bool) {
	if name == "MAX_LEVEL" {
		return 10, true
	}
	return nil, false
}

func (c *fakeClasses) Subclass(sub, super string) bool {
	if sub == super {
		return true
	}
	for _, s := range c.super[sub] {
		if c.Subclass(s, super) {
			return true
		}
	}
	return false
}

// source is one named policy file.
type source struct {
	name, text string
}

// load parses the sources (failing the test on syntax errors) and loads them.
func load(t testing.TB, srcs ...source) (*Program, ast.ErrorList) {
	t.Helper()
	fset := ast.NewFileSet()
	var files []*ast.PolicyFile
	for _, s := range srcs {
		f, errs := parser.ParseFile(fset, s.name, []byte(s.text))
		if err := errs.Err(); err != nil {
			t.Fatalf("parse %s: %v", s.name, err)
		}
		files = append(files, f)
	}
	return Load(fset, files, newFakeClasses())
}

// loadOne loads a single file named p.polar.
func loadOne(t testing.TB, src string) (*Program, ast.ErrorList) {
	t.Helper()
	return load(t, source{"p.polar", src})
}

// diagString renders a list of diagnostics the way users see them.
func diagString(l ast.ErrorList) string {
	var b strings.Builder
	for _, e := range l {
		b.WriteString(e.Error())
		b.WriteString("\n")
	}
	return b.String()
}

// programString prints every predicate (sorted by key) with its rules in
// order; expanded rules are marked with the shorthand they come from.
func programString(p *Program) string {
	keys := make([]string, 0, len(p.Preds))
	for k := range p.Preds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("# " + k + "\n")
		for _, r := range p.Preds[k].Rules {
			if r.Source != nil {
				b.WriteString("# from " + p.Fset.Position(r.Source.At).String() + ": " + ast.String(r.Source) + "\n")
			}
			b.WriteString(ast.String(r) + "\n")
		}
	}
	return b.String()
}
