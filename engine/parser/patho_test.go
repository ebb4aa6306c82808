package parser

import (
	"strings"
	"testing"
	"time"

	"github.com/ursa-authz/ursa/engine/ast"
)

func TestPathologicalInputsAreLinear(t *testing.T) {
	inputs := map[string]string{
		"parens":   strings.Repeat("(", 100000),
		"brackets": "f(x) if " + strings.Repeat("[", 100000),
		"dicts":    "f(x) if " + strings.Repeat("{a: ", 100000),
		"dots":     "f(x) if x" + strings.Repeat(".a", 100000) + ";",
		"nots":     "f(x) if " + strings.Repeat("not ", 100000) + "x;",
		"negs":     "f(x) if " + strings.Repeat("-", 100000) + "x;",
		"ands":     "f(x) if " + strings.Repeat("a and ", 100000) + "a;",
		"ors":      "f(x) if " + strings.Repeat("a or ", 100000) + "a;",
		"blocks":   strings.Repeat("resource R {", 20000),
		"closers":  strings.Repeat("}", 100000),
		"semis":    strings.Repeat(";", 100000),
		"quotes":   strings.Repeat("\"a\" ", 100000),
		"rules":    strings.Repeat("f(x) if x = 1\n", 20000),
		"errors":   strings.Repeat("f(x) if x = = 1;\n", 20000),
		"lines":    strings.Repeat("\n", 100000) + "f(",
		"patterns": "f(x: " + strings.Repeat("A{a: ", 100000),
		"opens":    "f(x) if " + strings.Repeat("f(", 100000),
		"badblock": "resource R {" + strings.Repeat("roles = [\"a\" \"b\"];\n", 20000) + "}",
	}
	for name, src := range inputs {
		start := time.Now()
		ParseFile(ast.NewFileSet(), name, []byte(src))
		ParseQuery(ast.NewFileSet(), name, src)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: %v", name, d)
		} else {
			t.Logf("%s: %v", name, d)
		}
	}
}
