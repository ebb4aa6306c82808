package engine

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ursa-authz/ursa/engine/ast"
)

// FormatValue renders a value in Polar syntax: strings quoted, lists
// [a, b], dictionaries {k: v} with sorted keys, nil as nil, Go structs as
// TypeName{Field: value, ...} (pointers as &TypeName{...}), times in
// RFC 3339.
func FormatValue(v any) string {
	var b strings.Builder
	formatValue(&b, v, 0)
	return b.String()
}

func formatValue(b *strings.Builder, v any, depth int) {
	v = deref(v)
	if depth > 8 {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("nil")
		return
	case *cell:
		b.WriteString("_")
		return
	case Variable:
		b.WriteString(string(x))
		return
	case string:
		b.WriteString(strconv.Quote(x))
		return
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
		return
	case float64:
		switch {
		case math.IsInf(x, 1):
			b.WriteString("inf")
		case math.IsInf(x, -1):
			b.WriteString("-inf")
		case math.IsNaN(x):
			b.WriteString("nan")
		default:
			s := strconv.FormatFloat(x, 'g', -1, 64)
			if !strings.ContainsAny(s, ".eE") {
				s += ".0"
			}
			b.WriteString(s)
		}
		return
	case bool:
		b.WriteString(strconv.FormatBool(x))
		return
	case time.Time:
		b.WriteString(x.Format(time.RFC3339Nano))
		return
	case time.Duration:
		b.WriteString(x.String())
		return
	case *ClassValue:
		b.WriteString(x.Name)
		return
	case *restList:
		b.WriteString("[")
		for i, e := range x.elems {
			if i > 0 {
				b.WriteString(", ")
			}
			formatValue(b, e, depth+1)
		}
		b.WriteString(", *")
		formatValue(b, x.rest, depth+1)
		b.WriteString("]")
		return
	}
	v = norm(v)
	switch v.(type) {
	case int64, float64, string, bool, nil:
		formatValue(b, v, depth)
		return
	}
	if l, ok := asList(v); ok {
		b.WriteString("[")
		for i := 0; i < l.len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			formatValue(b, l.at(i), depth+1)
		}
		b.WriteString("]")
		return
	}
	if d, ok := asDict(v); ok {
		b.WriteString("{")
		for i, k := range d.keys() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteString(": ")
			x, _ := d.get(k)
			formatValue(b, x, depth+1)
		}
		b.WriteString("}")
		return
	}
	if s, ok := v.(fmt.Stringer); ok {
		b.WriteString(s.String())
		return
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct {
		b.WriteString("&")
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Struct {
		t := rv.Type()
		b.WriteString(t.Name())
		b.WriteString("{")
		n := 0
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(f.Name)
			b.WriteString(": ")
			formatValue(b, normValue(rv.Field(i)), depth+1)
		}
		b.WriteString("}")
		return
	}
	fmt.Fprintf(b, "%v", v)
}

// FormatExpr renders an AST expression as Polar source.
func FormatExpr(e ast.Expr) string {
	if e == nil {
		return ""
	}
	return ast.String(e)
}

func specString(s *spec) string {
	if s.isLit {
		return FormatValue(s.lit)
	}
	var b strings.Builder
	if !s.dict {
		b.WriteString(s.class)
		if len(s.fields) == 0 {
			return b.String()
		}
	}
	b.WriteString("{")
	for i := range s.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.fields[i].key)
		b.WriteString(": ...")
	}
	b.WriteString("}")
	return b.String()
}
