package ast

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Fprint writes n as Polar source to w. (It is not named Print because
// ast.Print is the node type of `print(...)`.) Rules, rule types, queries and block
// declarations end with ';'; blocks are printed canonically (roles,
// permissions, relations, then shorthand rules). Parentheses are printed
// where the tree has a *Paren and wherever precedence requires them, so for a
// tree produced by the parser, parsing the output yields an equal tree
// (see Equal).
func Fprint(w io.Writer, n Node) error {
	var p printer
	p.node(n)
	if p.err != nil {
		return p.err
	}
	_, err := w.Write(p.buf.Bytes())
	return err
}

// String returns the Polar source of n (see Fprint). An unprintable node
// (nil, or an unknown type) renders as "<error: ...>".
func String(n Node) string {
	var b strings.Builder
	if err := Fprint(&b, n); err != nil {
		return "<error: " + err.Error() + ">"
	}
	return b.String()
}

type printer struct {
	buf bytes.Buffer
	err error
}

func (p *printer) s(s string) { p.buf.WriteString(s) }

func (p *printer) fail(n any) {
	if p.err == nil {
		p.err = fmt.Errorf("ast.Print: cannot print %T", n)
	}
	p.s("<?>")
}

func (p *printer) node(n Node) {
	switch n := n.(type) {
	case *PolicyFile:
		if n == nil {
			p.fail(n)
			return
		}
		for _, it := range n.Items {
			p.node(it)
			p.s("\n")
		}
	case *Rule:
		p.rule(n)
	case *RuleType:
		p.s("type ")
		p.s(n.Name)
		p.params(n.Params)
		p.s(";")
	case *Query:
		p.s("?= ")
		p.expr(n.Body, 0)
		p.s(";")
	case *Block:
		p.block(n)
	case *Relation:
		p.relation(n)
	case *Shorthand:
		p.shorthand(n)
	case *Param:
		p.param(n)
	case *Field:
		p.field(n)
	case Expr:
		p.expr(n, 0)
	default:
		p.fail(n)
	}
}

func (p *printer) rule(r *Rule) {
	p.s(r.Name)
	p.params(r.Params)
	if r.Body != nil {
		p.s(" if")
		if and, ok := r.Body.(*And); ok && and != nil {
			for i, g := range and.Goals {
				if i > 0 {
					p.s(" and")
				}
				p.s("\n    ")
				p.expr(g, precNot)
			}
		} else {
			p.s("\n    ")
			p.expr(r.Body, 0)
		}
	}
	p.s(";")
}

func (p *printer) params(ps []*Param) {
	p.s("(")
	p.sep(len(ps), func(i int) { p.param(ps[i]) })
	p.s(")")
}

// sep calls elem(i) for i in [0, n), writing ", " between the elements.
func (p *printer) sep(n int, elem func(i int)) {
	for i := 0; i < n; i++ {
		if i > 0 {
			p.s(", ")
		}
		elem(i)
	}
}

func (p *printer) param(prm *Param) {
	if prm == nil {
		p.fail(prm)
		return
	}
	p.expr(prm.Term, precUnary)
	if prm.Spec != nil {
		p.s(": ")
		p.spec(prm.Spec)
	}
}

// spec prints a specializer or the right side of `matches`.
func (p *printer) spec(e Expr) {
	switch e := e.(type) {
	case *ClassRef, *Pattern, *Dict, *StringLit, *IntLit, *FloatLit, *BoolLit:
		p.expr(e, 0)
	default:
		p.expr(e, precPrimary)
	}
}

func (p *printer) block(b *Block) {
	if b.Kind == ActorBlock {
		p.s("actor ")
	} else {
		p.s("resource ")
	}
	p.s(b.Name)
	p.s(" {")
	empty := true
	line := func() {
		p.s("\n    ")
		empty = false
	}
	strs := func(kw string, list []*StringLit) {
		line()
		p.s(kw)
		p.s(" = [")
		p.sep(len(list), func(i int) { p.expr(list[i], 0) })
		p.s("];")
	}
	if len(b.Roles) > 0 || b.RolesAt.IsValid() {
		strs("roles", b.Roles)
	}
	if len(b.Permissions) > 0 || b.PermissionsAt.IsValid() {
		strs("permissions", b.Permissions)
	}
	if len(b.Relations) > 0 || b.RelationsAt.IsValid() {
		line()
		p.s("relations = {")
		p.sep(len(b.Relations), func(i int) { p.relation(b.Relations[i]) })
		p.s("};")
	}
	for _, sh := range b.Shorthands {
		line()
		p.shorthand(sh)
	}
	if !empty {
		p.s("\n")
	}
	p.s("}")
}

func (p *printer) relation(r *Relation) {
	if r == nil {
		p.fail(r)
		return
	}
	p.s(r.Name)
	p.s(": ")
	p.s(r.Class)
}

func (p *printer) shorthand(sh *Shorthand) {
	if sh == nil || sh.Head == nil || sh.Body == nil {
		p.fail(sh)
		return
	}
	p.expr(sh.Head, 0)
	p.s(" if ")
	p.expr(sh.Body, 0)
	if sh.Relation != nil {
		p.s(" on ")
		p.expr(sh.Relation, 0)
	}
	p.s(";")
}

func (p *printer) field(f *Field) {
	if f == nil {
		p.fail(f)
		return
	}
	p.s(f.Key)
	p.s(": ")
	p.expr(f.Value, 0)
}

// Precedence levels used by the printer (higher binds tighter).
const (
	precOr      = 1
	precAnd     = 2
	precNot     = 3
	precUnary   = 9 // unary minus
	precPrimary = 10
)

func exprPrec(e Expr) int {
	switch e := e.(type) {
	case *Or:
		return precOr
	case *And:
		return precAnd
	case *Not:
		return precNot
	case *Binary:
		if e != nil {
			return e.Op.Precedence()
		}
	case *Neg:
		return precUnary
	}
	return precPrimary
}

// expr prints e, in parentheses if it binds looser than min.
func (p *printer) expr(e Expr, min int) {
	if e == nil || reflect.ValueOf(e).IsNil() {
		p.fail(e)
		return
	}
	if exprPrec(e) < min {
		p.s("(")
		p.expr(e, 0)
		p.s(")")
		return
	}
	switch e := e.(type) {
	case *Var:
		p.s(e.Name)
	case *IntLit:
		p.s(strconv.FormatInt(e.Value, 10))
	case *FloatLit:
		p.s(FormatFloat(e.Value))
	case *StringLit:
		p.s(Quote(e.Value))
	case *BoolLit:
		p.s(strconv.FormatBool(e.Value))
	case *List:
		p.s("[")
		p.sep(len(e.Elems), func(i int) { p.expr(e.Elems[i], 0) })
		if e.Rest != nil {
			if len(e.Elems) > 0 {
				p.s(", ")
			}
			p.s("*")
			p.expr(e.Rest, precPrimary)
		}
		p.s("]")
	case *Dict:
		p.fields(e.Fields)
	case *Pattern:
		p.s(e.Class)
		p.fields(e.Fields)
	case *ClassRef:
		p.s(e.Name)
	case *Call:
		p.s(e.Name)
		p.args(e.Args, e.Kwargs)
	case *New:
		p.s("new ")
		p.s(e.Class)
		p.args(e.Args, e.Kwargs)
	case *Dot:
		p.expr(e.X, precPrimary)
		p.s(".")
		if e.Key != nil {
			p.s("(")
			p.expr(e.Key, 0)
			p.s(")")
		} else {
			p.s(e.Name)
			if e.IsCall {
				p.args(e.Args, e.Kwargs)
			}
		}
	case *Binary:
		p.binary(e)
	case *And:
		p.goals(e.Goals, " and ", precNot)
	case *Or:
		p.goals(e.Goals, " or ", precAnd)
	case *Not:
		p.s("not ")
		p.expr(e.Goal, precNot)
	case *Neg:
		// A "-" directly before a number folds into it, so a Neg whose
		// operand starts with a number needs care to read back the same.
		p.s("-")
		switch lit := leadingNumber(e.X); {
		case lit == nil || isNegative(lit):
			p.expr(e.X, precUnary)
		case isSignless(lit):
			p.s("-") // "--0" reads back as Neg of 0 (= -0)
			p.expr(e.X, precUnary)
		default:
			p.s("(")
			p.expr(e.X, 0)
			p.s(")")
		}
	case *Forall:
		p.s("forall(")
		p.expr(e.Cond, 0)
		p.s(", ")
		p.expr(e.Action, 0)
		p.s(")")
	case *Cut:
		p.s("cut")
	case *Print:
		p.s("print")
		p.args(e.Args, nil)
	case *Debug:
		p.s("debug")
		p.args(e.Args, nil)
	case *Paren:
		p.s("(")
		p.expr(e.X, 0)
		p.s(")")
	default:
		p.fail(e)
	}
}

// leadingNumber returns the number literal the printed form of e starts
// with, or nil.
func leadingNumber(e Expr) Expr {
	switch x := e.(type) {
	case *IntLit, *FloatLit:
		return x
	case *Dot:
		return leadingNumber(x.X)
	}
	return nil
}

// isNegative reports whether a number literal prints with a leading "-".
func isNegative(lit Expr) bool {
	switch x := lit.(type) {
	case *IntLit:
		return x.Value < 0
	case *FloatLit:
		return math.Signbit(x.Value) && !math.IsNaN(x.Value)
	}
	return false
}

// isSignless reports whether negating the literal gives the same literal
// (integer zero, NaN), so "-" followed by it folds back to it.
func isSignless(lit Expr) bool {
	switch x := lit.(type) {
	case *IntLit:
		return x.Value == 0
	case *FloatLit:
		return math.IsNaN(x.Value)
	}
	return false
}

func isInMatches(e Expr) bool {
	b, ok := e.(*Binary)
	return ok && b != nil && (b.Op == OpIn || b.Op == OpMatches)
}

func (p *printer) binary(b *Binary) {
	lvl := b.Op.Precedence()
	lmin, rmin := lvl+1, lvl+1 // non-associative
	switch b.Op {
	case OpAdd, OpSub, OpMul, OpDiv, OpMod, OpRem:
		lmin = lvl // left-associative
	case OpIn, OpMatches:
		lmin, rmin = precUnary, precUnary
	}
	operand := func(e Expr, min int) {
		if lvl < 8 && isInMatches(e) {
			min = precPrimary
		}
		p.expr(e, min)
	}
	operand(b.L, lmin)
	p.s(" ")
	p.s(b.Op.String())
	p.s(" ")
	if b.Op == OpMatches {
		p.spec(b.R)
	} else {
		operand(b.R, rmin)
	}
}

func (p *printer) goals(gs []Expr, sep string, min int) {
	for i, g := range gs {
		if i > 0 {
			p.s(sep)
		}
		p.expr(g, min)
	}
}

func (p *printer) args(args []Expr, kwargs []*Field) {
	p.s("(")
	p.sep(len(args)+len(kwargs), func(i int) {
		if i < len(args) {
			p.expr(args[i], 0)
		} else {
			p.field(kwargs[i-len(args)])
		}
	})
	p.s(")")
}

func (p *printer) fields(fs []*Field) {
	p.s("{")
	p.sep(len(fs), func(i int) { p.field(fs[i]) })
	p.s("}")
}

// FormatFloat renders f as a Polar float literal that reads back as f:
// always with a '.' or exponent, and `inf`, `-inf`, `nan` for the specials.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// Quote renders s as a Polar string literal. Quotes, backslashes and control
// characters are escaped (\n \t \r \0 \" \\, else \u{hex}); bytes that are
// not valid UTF-8 are written as they are, since Polar strings are byte
// strings that the lexer reads back unchanged.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteByte(s[i])
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == 0:
			b.WriteString(`\0`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

var (
	posType  = reflect.TypeFor[Pos]()
	fileType = reflect.TypeFor[*File]()
)

// Equal reports whether a and b are the same tree, ignoring positions (every
// field of type Pos) and the source *File. Nil and empty slices are equal,
// and NaN equals NaN.
func Equal(a, b Node) bool {
	return equalValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

func equalValue(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValue(a.Elem(), b.Elem())
	case reflect.Pointer:
		if a.Type() == fileType {
			return true
		}
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if a.Type().Field(i).Type == posType {
				continue
			}
			if !equalValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	}
	return false
}
