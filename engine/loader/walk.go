package loader

import "github.com/ursa-authz/ursa/engine/ast"

// inspect visits e and its sub-expressions depth-first in source order, like
// go/ast.Inspect: when f returns false the children of that node are skipped.
// Nil nodes are never passed to f.
func inspect(e ast.Expr, f func(ast.Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch e := e.(type) {
	case *ast.List:
		inspectAll(e.Elems, f)
		inspect(e.Rest, f)
	case *ast.Dict:
		inspectFields(e.Fields, f)
	case *ast.Pattern:
		inspectFields(e.Fields, f)
	case *ast.Call:
		inspectAll(e.Args, f)
		inspectFields(e.Kwargs, f)
	case *ast.New:
		inspectAll(e.Args, f)
		inspectFields(e.Kwargs, f)
	case *ast.Dot:
		inspect(e.X, f)
		inspectAll(e.Args, f)
		inspectFields(e.Kwargs, f)
		inspect(e.Key, f)
	case *ast.Binary:
		inspect(e.L, f)
		inspect(e.R, f)
	case *ast.And:
		inspectAll(e.Goals, f)
	case *ast.Or:
		inspectAll(e.Goals, f)
	case *ast.Not:
		inspect(e.Goal, f)
	case *ast.Neg:
		inspect(e.X, f)
	case *ast.Forall:
		inspect(e.Cond, f)
		inspect(e.Action, f)
	case *ast.Print:
		inspectAll(e.Args, f)
	case *ast.Debug:
		inspectAll(e.Args, f)
	case *ast.Paren:
		inspect(e.X, f)
	}
}

func inspectAll(es []ast.Expr, f func(ast.Expr) bool) {
	for _, x := range es {
		inspect(x, f)
	}
}

func inspectFields(fs []*ast.Field, f func(ast.Expr) bool) {
	for _, fd := range fs {
		if fd != nil {
			inspect(fd.Value, f)
		}
	}
}

// inspectParams visits the terms and specializers of params.
func inspectParams(params []*ast.Param, f func(ast.Expr) bool) {
	for _, p := range params {
		if p != nil {
			inspect(p.Term, f)
			inspect(p.Spec, f)
		}
	}
}
