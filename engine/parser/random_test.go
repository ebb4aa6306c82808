package parser

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/ursa-authz/ursa/engine/ast"
)

// gen builds random expression trees of every node kind, as code (the
// loader, tests) would build them: without *ast.Paren nodes.
type gen struct{ r *rand.Rand }

var (
	genNames = []string{"x", "y", "_", "_z", "actor", "resource", "on", "app::Foo", "héllo"}
	genWords = []string{"a", "type", "in", "if", "matches", "true", "nan", "mod", "new", "print"}
	genOps   = []ast.Op{ast.OpUnify, ast.OpAssign, ast.OpEq, ast.OpNeq, ast.OpLt, ast.OpLeq, ast.OpGt, ast.OpGeq,
		ast.OpAdd, ast.OpSub, ast.OpMul, ast.OpDiv, ast.OpMod, ast.OpRem, ast.OpIn, ast.OpMatches}
)

func (g gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g gen) literal() ast.Expr {
	switch g.r.IntN(8) {
	case 0:
		return &ast.IntLit{Value: []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64}[g.r.IntN(6)]}
	case 1:
		return &ast.FloatLit{Value: []float64{0, math.Copysign(0, -1), 1.5, -2.25, 1e21, 1e-7, math.Inf(1), math.Inf(-1), math.NaN()}[g.r.IntN(9)]}
	case 2:
		return &ast.BoolLit{Value: g.r.IntN(2) == 0}
	default:
		return &ast.StringLit{Value: []string{"", "a", "q\"\\\n\t\x00\x01", "é😀", "bad\xff"}[g.r.IntN(5)]}
	}
}

func (g gen) fields(depth int) []*ast.Field {
	fs := make([]*ast.Field, g.r.IntN(3))
	for i := range fs {
		fs[i] = &ast.Field{Key: g.pick(genWords), Value: g.expr(depth - 1)}
	}
	return fs
}

func (g gen) exprs(depth int) []ast.Expr {
	xs := make([]ast.Expr, g.r.IntN(3))
	for i := range xs {
		xs[i] = g.expr(depth - 1)
	}
	return xs
}

func (g gen) spec(depth int) ast.Expr {
	switch g.r.IntN(4) {
	case 0:
		return &ast.ClassRef{Name: g.pick(genNames[5:])}
	case 1:
		return &ast.Pattern{Class: "Foo", Fields: g.fields(depth)}
	case 2:
		return &ast.Dict{Fields: g.fields(depth)}
	}
	return g.literal()
}

func (g gen) expr(depth int) ast.Expr {
	if depth <= 0 {
		if g.r.IntN(2) == 0 {
			return &ast.Var{Name: g.pick(genNames)}
		}
		return g.literal()
	}
	switch g.r.IntN(17) {
	case 0:
		l := &ast.List{Elems: g.exprs(depth)}
		if g.r.IntN(3) == 0 {
			l.Rest = &ast.Var{Name: "rest"}
		}
		return l
	case 1:
		return &ast.Dict{Fields: g.fields(depth)}
	case 2:
		return &ast.Call{Name: "f", Args: g.exprs(depth), Kwargs: g.fields(depth)}
	case 3:
		return &ast.New{Class: "app::Foo", Args: g.exprs(depth), Kwargs: g.fields(depth)}
	case 4:
		d := &ast.Dot{X: g.expr(depth - 1)}
		switch g.r.IntN(3) {
		case 0:
			d.Name = g.pick(genWords)
		case 1:
			d.Name, d.IsCall, d.Args, d.Kwargs = g.pick(genWords), true, g.exprs(depth), g.fields(depth)
		default:
			d.Key = g.expr(depth - 1)
		}
		return d
	case 5, 6, 7, 8:
		op := genOps[g.r.IntN(len(genOps))]
		b := &ast.Binary{Op: op, L: g.expr(depth - 1)}
		if op == ast.OpMatches {
			b.R = g.spec(depth - 1)
		} else {
			b.R = g.expr(depth - 1)
		}
		return b
	case 9:
		return &ast.And{Goals: append(g.exprs(depth), g.expr(depth-1), g.expr(depth-1))}
	case 10:
		return &ast.Or{Goals: append(g.exprs(depth), g.expr(depth-1), g.expr(depth-1))}
	case 11:
		return &ast.Not{Goal: g.expr(depth - 1)}
	case 12:
		return &ast.Neg{X: g.expr(depth - 1)}
	case 13:
		return &ast.Forall{Cond: g.expr(depth - 1), Action: g.expr(depth - 1)}
	case 14:
		return &ast.Print{Args: g.exprs(depth)}
	case 15:
		return &ast.Debug{Args: g.exprs(depth)}
	}
	return &ast.Cut{}
}

// stripParens removes every *ast.Paren from a tree (in place).
func stripParens(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		if p, ok := v.Interface().(*ast.Paren); ok {
			return stripParens(reflect.ValueOf(p.X))
		}
		inner := stripParens(v.Elem())
		if inner.Type().AssignableTo(v.Type()) {
			out := reflect.New(v.Type()).Elem()
			out.Set(inner)
			return out
		}
		return v
	case reflect.Pointer:
		if !v.IsNil() && v.Elem().Kind() == reflect.Struct && v.Type() != reflect.TypeFor[*ast.File]() {
			stripParens(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				f.Set(stripParens(f))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			v.Index(i).Set(stripParens(v.Index(i)))
		}
	}
	return v
}

func strip(e ast.Expr) ast.Expr {
	return stripParens(reflect.ValueOf(&e).Elem()).Interface().(ast.Expr)
}

// TestRandomTreesPrintAndParseBack prints random trees built without
// parentheses and parses them back: the printer must add exactly the
// parentheses the structure needs (the parse, minus its Paren nodes, is the
// original tree), and printing the parse gives the same text.
func TestRandomTreesPrintAndParseBack(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for i := 0; i < n; i++ {
		e := g.expr(1 + i%5)
		src := ast.String(e)
		parsed, errs := ParseQuery(ast.NewFileSet(), "q", src)
		if errs.Err() != nil {
			t.Fatalf("printed tree does not parse: %v\n%s\n%s", errs, src, sexpr(e))
		}
		if again := ast.String(parsed); again != src {
			t.Fatalf("printing the parse differs:\n%s\n%s", src, again)
		}
		if !ast.Equal(strip(parsed), e) {
			t.Fatalf("parse of the printed tree differs:\nprinted: %s\nwant:  %s\ngot:   %s", src, sexpr(e), sexpr(strip(parsed)))
		}
	}
}
