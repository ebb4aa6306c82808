package parser

import (
	"fmt"
	"strings"

	"github.com/ursa-authz/ursa/engine/ast"
)

// sexpr renders a node as a fully parenthesized S-expression, so tests can
// assert the exact tree shape (precedence, associativity, node kinds).
func sexpr(n ast.Node) string {
	var b strings.Builder
	writeSexpr(&b, n)
	return b.String()
}

func writeSexpr(b *strings.Builder, n ast.Node) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	list := func(head string, xs []ast.Expr, kw []*ast.Field) {
		w("(%s", head)
		for _, x := range xs {
			w(" ")
			writeSexpr(b, x)
		}
		for _, f := range kw {
			w(" ")
			writeSexpr(b, f)
		}
		w(")")
	}
	params := func(ps []*ast.Param) {
		for _, p := range ps {
			w(" ")
			writeSexpr(b, p)
		}
	}
	switch n := n.(type) {
	case nil:
		w("<nil>")
	case *ast.PolicyFile:
		for i, it := range n.Items {
			if i > 0 {
				w("\n")
			}
			writeSexpr(b, it)
		}
	case *ast.Rule:
		w("(rule %s", n.Name)
		params(n.Params)
		if n.Body != nil {
			w(" if ")
			writeSexpr(b, n.Body)
		}
		w(")")
	case *ast.RuleType:
		w("(type %s", n.Name)
		params(n.Params)
		w(")")
	case *ast.Query:
		w("(?= ")
		writeSexpr(b, n.Body)
		w(")")
	case *ast.Block:
		w("(%s %s roles=%s perms=%s", map[ast.BlockKind]string{ast.ActorBlock: "actor", ast.ResourceBlock: "resource"}[n.Kind],
			n.Name, strs(n.Roles), strs(n.Permissions))
		for _, r := range n.Relations {
			w(" (rel %s %s)", r.Name, r.Class)
		}
		for _, s := range n.Shorthands {
			w(" ")
			writeSexpr(b, s)
		}
		w(")")
	case *ast.Shorthand:
		w("(shorthand %q %q", n.Head.Value, n.Body.Value)
		if n.Relation != nil {
			w(" on %q", n.Relation.Value)
		}
		w(")")
	case *ast.Param:
		if n.Spec == nil {
			writeSexpr(b, n.Term)
			return
		}
		w("(: ")
		writeSexpr(b, n.Term)
		w(" ")
		writeSexpr(b, n.Spec)
		w(")")
	case *ast.Field:
		w("%s:", n.Key)
		writeSexpr(b, n.Value)
	case *ast.Var:
		w("%s", n.Name)
	case *ast.IntLit:
		w("%d", n.Value)
	case *ast.FloatLit:
		w("%sf", ast.FormatFloat(n.Value))
	case *ast.StringLit:
		w("%q", n.Value)
	case *ast.BoolLit:
		w("%t", n.Value)
	case *ast.List:
		if n.Rest == nil {
			list("list", n.Elems, nil)
			return
		}
		list("list", append(append([]ast.Expr{}, n.Elems...), &ast.Var{Name: "*" + sexpr(n.Rest)}), nil)
	case *ast.Dict:
		list("dict", nil, n.Fields)
	case *ast.Pattern:
		list("pattern "+n.Class, nil, n.Fields)
	case *ast.ClassRef:
		w("class:%s", n.Name)
	case *ast.Call:
		list("call "+n.Name, n.Args, n.Kwargs)
	case *ast.New:
		list("new "+n.Class, n.Args, n.Kwargs)
	case *ast.Dot:
		w("(. ")
		writeSexpr(b, n.X)
		switch {
		case n.Key != nil:
			w(" [")
			writeSexpr(b, n.Key)
			w("])")
		case n.IsCall:
			w(" ")
			list(n.Name, n.Args, n.Kwargs)
			w(")")
		default:
			w(" %s)", n.Name)
		}
	case *ast.Binary:
		list(n.Op.String(), []ast.Expr{n.L, n.R}, nil)
	case *ast.And:
		list("and", n.Goals, nil)
	case *ast.Or:
		list("or", n.Goals, nil)
	case *ast.Not:
		list("not", []ast.Expr{n.Goal}, nil)
	case *ast.Neg:
		list("neg", []ast.Expr{n.X}, nil)
	case *ast.Forall:
		list("forall", []ast.Expr{n.Cond, n.Action}, nil)
	case *ast.Cut:
		w("cut")
	case *ast.Print:
		list("print", n.Args, nil)
	case *ast.Debug:
		list("debug", n.Args, nil)
	case *ast.Paren:
		list("paren", []ast.Expr{n.X}, nil)
	default:
		w("<%T>", n)
	}
}

func strs(l []*ast.StringLit) string {
	var parts []string
	for _, s := range l {
		parts = append(parts, s.Value)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
