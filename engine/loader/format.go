package loader

import (
	"strings"

	"github.com/ursa-authz/ursa/engine/ast"
)

// Renderings for messages, on top of ast.String.

func exprString(e ast.Expr) string { return ast.String(e) }

func paramString(p *ast.Param) string { return ast.String(p) }

// headString renders name(params) without a body or semicolon.
func headString(name string, params []*ast.Param) string {
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = paramString(p)
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

// ruleTypeString renders a rule type without the `type` keyword and semicolon.
func ruleTypeString(t *ast.RuleType) string { return headString(t.Name, t.Params) }

// shorthandString renders a shorthand rule as written, without the semicolon.
func shorthandString(s *ast.Shorthand) string { return strings.TrimSuffix(ast.String(s), ";") }
