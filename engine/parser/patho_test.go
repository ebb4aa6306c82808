package parser

import (
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/engine/ast"
)

// TestPathologicalInputs feeds inputs that break naive parsers (deep nesting,
// huge lines full of errors, unclosed brackets and blocks).
func TestPathologicalInputs(t *testing.T) {
	inputs := map[string]string{
		"parens":   strings.Repeat("(", 20000),
		"brackets": "f(x) if " + strings.Repeat("[", 20000),
		"dicts":    "f(x) if " + strings.Repeat("{a: ", 20000),
		"dots":     "f(x) if x" + strings.Repeat(".a", 20000) + ";",
		"nots":     "f(x) if " + strings.Repeat("not ", 20000) + "x;",
		"negs":     "f(x) if " + strings.Repeat("-", 20000) + "x;",
		"ands":     "f(x) if " + strings.Repeat("a and ", 20000) + "a;",
		"ors":      "f(x) if " + strings.Repeat("a or ", 20000) + "a;",
		"blocks":   strings.Repeat("resource R {", 5000),
		"closers":  strings.Repeat("}", 20000),
		"semis":    strings.Repeat(";", 20000),
		"quotes":   strings.Repeat("\"a\" ", 20000),
		"rules":    strings.Repeat("f(x) if x = 1\n", 20000),
		"errors":   strings.Repeat("f(x) if x = = 1;\n", 20000),
		"lines":    strings.Repeat("\n", 20000) + "f(",
		"patterns": "f(x: " + strings.Repeat("A{a: ", 20000),
		"opens":    "f(x) if " + strings.Repeat("f(", 20000),
		"mismatch": "f(x) if " + strings.Repeat("(", 20000) + strings.Repeat("]", 20000) + ";",
		"mixed":    "f(x) if " + strings.Repeat("([{", 20000) + strings.Repeat(")", 20000) + ";",
		"badblock": "resource R {" + strings.Repeat("roles = [\"a\" \"b\"];\n", 5000) + "}",
	}
	for name, src := range inputs {
		for i, errs := range []ast.ErrorList{
			func() ast.ErrorList { _, e := ParseFile(ast.NewFileSet(), name, []byte(src)); return e }(),
			func() ast.ErrorList { _, e := ParseQuery(ast.NewFileSet(), name, src); return e }(),
		} {
			if valid := name == "ands" || name == "ors"; i == 0 && valid != (errs.Err() == nil) {
				t.Errorf("%s: errors %v, want valid=%v", name, errs.Err() != nil, valid)
			}
			// Diagnostics are bounded in number and size, whatever the input:
			// that is what keeps bad input linear in time and memory.
			if len(errs) > maxErrors {
				t.Errorf("%s: %d diagnostics, want at most %d", name, len(errs), maxErrors)
			}
			for _, e := range errs {
				if len(e.Snippet) > 2*snippetWidth+10 {
					t.Errorf("%s: snippet of %d bytes", name, len(e.Snippet))
				}
			}
		}
	}
}

func TestLongLineSnippet(t *testing.T) {
	src := "f(x) if x = " + strings.Repeat("1 + ", 100) + "@ + " + strings.Repeat("2 + ", 100) + "3;"
	_, errs := ParseFile(ast.NewFileSet(), "p", []byte(src))
	if len(errs) != 1 {
		t.Fatalf("errors: %v", errs)
	}
	want := "..." + strings.Repeat("1 + ", 20) + "@ + " + strings.Repeat("2 + ", 19) + "...\n" + strings.Repeat(" ", 83) + "^"
	if errs[0].Snippet != want {
		t.Errorf("snippet:\n%s\nwant:\n%s", errs[0].Snippet, want)
	}
}
