package partial

import (
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
	return p.Var + "." + strings.Join(p.Fields, ".")
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
	case float64:
		switch {
		case math.IsInf(x, 1):
			return "inf"
		case math.IsInf(x, -1):
			return "-inf"
		case math.IsNaN(x):
			return "nan"
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	case string:
		return strconv.Quote(x)
	case time.Time:
		return "time(" + strconv.Quote(x.Format(time.RFC3339Nano)) + ")"
	case time.Duration:
		return "duration(" + strconv.Quote(x.String()) + ")"
	}
	return fmt.Sprintf("%#v", v.V)
}

func operandString(o Operand) string {
	switch x := o.(type) {
	case Path:
		return x.String()
	case *Path:
		return x.String()
	case Value:
		return x.String()
	case *Value:
		return x.String()
	}
	return fmt.Sprintf("%v", o)
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
	switch {
	case len(f.Branches) == 0:
		b.WriteString("false")
		return
	case f.IsAllowAll():
		b.WriteString("true")
		return
	}
	compound := len(f.Branches) > 1 || len(f.Branches[0].Conds) > 1
	if nested && compound {
		b.WriteByte('(')
	}
	for i, br := range f.Branches {
		if i > 0 {
			b.WriteString(" or ")
		}
		paren := len(f.Branches) > 1 && len(br.Conds) > 1
		if paren {
			b.WriteByte('(')
		}
		writeBranch(b, br)
		if paren {
			b.WriteByte(')')
		}
	}
	if nested && compound {
		b.WriteByte(')')
	}
}

func writeBranch(b *strings.Builder, br Branch) {
	if len(br.Conds) == 0 {
		b.WriteString("true")
		return
	}
	for i, c := range br.Conds {
		if i > 0 {
			b.WriteString(" and ")
		}
		writeCond(b, c)
	}
}

// CondString renders one condition as in Filter.String.
func CondString(c Cond) string {
	var b strings.Builder
	writeCond(&b, c)
	return b.String()
}

func writeCond(b *strings.Builder, c Cond) {
	switch x := c.(type) {
	case *Compare:
		b.WriteString(operandString(x.L))
		b.WriteByte(' ')
		b.WriteString(x.Op.String())
		b.WriteByte(' ')
		b.WriteString(operandString(x.R))
	case *In:
		b.WriteString(x.L.String())
		b.WriteString(" in [")
		for i, v := range x.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v.String())
		}
		b.WriteByte(']')
	case *Exists:
		b.WriteString("exists ")
		b.WriteString(x.Var)
		b.WriteString(" in ")
		b.WriteString(x.Over.String())
		if !x.Cond.IsAllowAll() {
			b.WriteString(": (")
			writeFilter(b, &x.Cond, false)
			b.WriteByte(')')
		}
	case *Not:
		b.WriteString("not ")
		switch x.C.(type) {
		case *Exists, *Not, *NotFilter:
			b.WriteByte('(')
			writeCond(b, x.C)
			b.WriteByte(')')
		default:
			writeCond(b, x.C)
		}
	case *NotFilter:
		b.WriteString("not ")
		if len(x.F.Branches) == 1 && len(x.F.Branches[0].Conds) == 1 {
			b.WriteByte('(')
			writeFilter(b, &x.F, false)
			b.WriteByte(')')
		} else {
			writeFilter(b, &x.F, true)
		}
	case *InSet:
		b.WriteString(x.Path.String())
		b.WriteString(" in ")
		b.WriteString(x.Pred)
	case *Const:
		b.WriteString(strconv.FormatBool(x.Value))
	case nil:
		b.WriteString("<nil>")
	default:
		fmt.Fprintf(b, "%T", c)
	}
}
