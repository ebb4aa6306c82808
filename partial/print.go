package partial

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// String renders the operator as in the printed filter.
func (o CmpOp) String() string {
	switch o {
	case Eq:
		return "="
	case Neq:
		return "!="
	case Lt:
		return "<"
	case Leq:
		return "<="
	case Gt:
		return ">"
	case Geq:
		return ">="
	}
	return "?"
}

// String renders the path: resource.Org.Name.
func (p Path) String() string {
	if len(p.Fields) == 0 {
		return p.Var
	}
	return string(appendPath(make([]byte, 0, 32), p))
}

func appendPath(b []byte, p Path) []byte {
	b = append(b, p.Var...)
	for _, f := range p.Fields {
		b = append(b, '.')
		b = append(b, f...)
	}
	return b
}

// String renders the value as a Polar-like literal: 7, "admin", true, nil,
// time("2026-01-02T03:04:05Z"), duration("1h0m0s").
func (v Value) String() string {
	switch x := v.V.(type) {
	case nil:
		return "nil"
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return string(appendValue(nil, v))
}

func appendValue(b []byte, v Value) []byte {
	switch x := v.V.(type) {
	case nil:
		return append(b, "nil"...)
	case bool:
		return strconv.AppendBool(b, x)
	case int64:
		if x >= 0 && x < 10 {
			return append(b, byte('0'+x))
		}
		return strconv.AppendInt(b, x, 10)
	case float64:
		switch {
		case math.IsInf(x, 1):
			return append(b, "inf"...)
		case math.IsInf(x, -1):
			return append(b, "-inf"...)
		case math.IsNaN(x):
			return append(b, "nan"...)
		}
		n := len(b)
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
		if !bytes.ContainsAny(b[n:], ".eEn") {
			b = append(b, ".0"...)
		}
		return b
	case string:
		return strconv.AppendQuote(b, x)
	case time.Time:
		b = append(b, "time("...)
		b = strconv.AppendQuote(b, x.Format(time.RFC3339Nano))
		return append(b, ')')
	case time.Duration:
		b = append(b, "duration("...)
		b = strconv.AppendQuote(b, x.String())
		return append(b, ')')
	}
	return fmt.Appendf(b, "%#v", v.V)
}

func appendOperand(b []byte, o Operand) []byte {
	switch x := o.(type) {
	case Path:
		return appendPath(b, x)
	case *Path:
		return appendPath(b, *x)
	case Value:
		return appendValue(b, x)
	case *Value:
		return appendValue(b, *x)
	}
	return fmt.Appendf(b, "%v", o)
}

// String renders the filter as readable, deterministic text, e.g.
//
//	resource.OwnerID = 7 or resource.Public = true
//
// followed by one line per recursive predicate, sorted by name:
//
//	where can_read(x: Folder) := x.OwnerID = 7 or x.Parent in can_read
func (f *Filter) String() string {
	if f == nil {
		return "false"
	}
	var b strings.Builder
	writeFilter(&b, f, false)
	names := make([]string, 0, len(f.Preds))
	for n := range f.Preds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := f.Preds[n]
		fmt.Fprintf(&b, "\nwhere %s(%s: %s) := ", p.Name, p.Param, p.Type)
		writeFilter(&b, &p.Body, false)
	}
	return b.String()
}

// writeFilter writes an OR of ANDs. nested wraps a compound result in
// parentheses.
func writeFilter(b *strings.Builder, f *Filter, nested bool) {
	b.Write(appendFilter(nil, f, nested))
}

func appendFilter(b []byte, f *Filter, nested bool) []byte {
	return appendFilterVia(b, f, nested, appendCond)
}

// condAppender appends a condition's text; the ...Via printers use it for
// nested conditions (the simplifier passes one that reuses memoised keys).
type condAppender func(b []byte, c Cond) []byte

func appendFilterVia(b []byte, f *Filter, nested bool, sub condAppender) []byte {
	switch {
	case len(f.Branches) == 0:
		return append(b, "false"...)
	case f.IsAllowAll():
		return append(b, "true"...)
	}
	compound := len(f.Branches) > 1 || len(f.Branches[0].Conds) > 1
	if nested && compound {
		b = append(b, '(')
	}
	for i, br := range f.Branches {
		if i > 0 {
			b = append(b, " or "...)
		}
		paren := len(f.Branches) > 1 && len(br.Conds) > 1
		if paren {
			b = append(b, '(')
		}
		b = appendBranchVia(b, br, sub)
		if paren {
			b = append(b, ')')
		}
	}
	if nested && compound {
		b = append(b, ')')
	}
	return b
}

func writeBranch(b *strings.Builder, br Branch) {
	b.Write(appendBranch(nil, br))
}

func appendBranch(b []byte, br Branch) []byte {
	return appendBranchVia(b, br, appendCond)
}

func appendBranchVia(b []byte, br Branch, sub condAppender) []byte {
	if len(br.Conds) == 0 {
		return append(b, "true"...)
	}
	for i, c := range br.Conds {
		if i > 0 {
			b = append(b, " and "...)
		}
		b = sub(b, c)
	}
	return b
}

// CondString renders one condition as in Filter.String.
func CondString(c Cond) string {
	var buf [64]byte
	return string(appendCond(buf[:0], c))
}

func appendCompare(b []byte, op CmpOp, l, r Operand) []byte {
	// The usual operands (a path, then a value) without appendOperand's
	// type switch; the operator with its spaces in one append.
	if p, ok := l.(Path); ok {
		b = appendPath(b, p)
	} else {
		b = appendOperand(b, l)
	}
	if op >= Eq && op <= Geq {
		b = append(b, spacedOps[op]...)
	} else {
		b = append(b, ' ')
		b = append(b, op.String()...)
		b = append(b, ' ')
	}
	if v, ok := r.(Value); ok {
		return appendValue(b, v)
	}
	return appendOperand(b, r)
}

// spacedOps are the operators' texts between spaces, by CmpOp.
var spacedOps = [...]string{Eq: " = ", Neq: " != ", Lt: " < ", Leq: " <= ", Gt: " > ", Geq: " >= "}

func appendCond(b []byte, c Cond) []byte {
	return appendCondVia(b, c, appendCond)
}

// appendCondVia is appendCond printing nested conditions with sub.
func appendCondVia(b []byte, c Cond, sub condAppender) []byte {
	switch x := c.(type) {
	case *Compare:
		b = appendCompare(b, x.Op, x.L, x.R)
	case *In:
		b = appendPath(b, x.L)
		b = append(b, " in ["...)
		for i, v := range x.Values {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendValue(b, v)
		}
		b = append(b, ']')
	case *Exists:
		b = append(b, "exists "...)
		b = append(b, x.Var...)
		b = append(b, " in "...)
		b = appendPath(b, x.Over)
		if !x.Cond.IsAllowAll() {
			b = append(b, ": ("...)
			b = appendFilterVia(b, &x.Cond, false, sub)
			b = append(b, ')')
		}
	case *Not:
		b = append(b, "not "...)
		switch x.C.(type) {
		case *Exists, *Not, *NotFilter:
			b = append(b, '(')
			b = sub(b, x.C)
			b = append(b, ')')
		default:
			b = sub(b, x.C)
		}
	case *NotFilter:
		b = append(b, "not "...)
		if len(x.F.Branches) == 1 && len(x.F.Branches[0].Conds) == 1 {
			b = append(b, '(')
			b = appendFilterVia(b, &x.F, false, sub)
			b = append(b, ')')
		} else {
			b = appendFilterVia(b, &x.F, true, sub)
		}
	case *InSet:
		b = appendPath(b, x.Path)
		b = append(b, " in "...)
		b = append(b, x.Pred...)
	case *Const:
		b = strconv.AppendBool(b, x.Value)
	case nil:
		b = append(b, "<nil>"...)
	default:
		b = fmt.Appendf(b, "%T", c)
	}
	return b
}
