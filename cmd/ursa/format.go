package main

import (
	"reflect"
	"sort"
	"strings"

	"github.com/ursa-authz/ursa/engine"
)

// formatValue is engine.FormatValue, except that instances of classes built
// from a schema file (unnamed struct types) print as Class{column: value}
// instead of &{GoField: value}.
func (l *loaded) formatValue(v any) string {
	if l == nil || l.schema == nil {
		return engine.FormatValue(v)
	}
	var b strings.Builder
	l.format(&b, v, 0)
	return b.String()
}

func (l *loaded) format(b *strings.Builder, v any, depth int) {
	if depth > 8 {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			l.format(b, e, depth+1)
		}
		b.WriteString("]")
		return
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": ")
			l.format(b, x[k], depth+1)
		}
		b.WriteString("}")
		return
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct {
		for name, t := range l.schema.Types {
			if t.goType != rv.Elem().Type() {
				continue
			}
			b.WriteString(name + "{")
			sv, n := rv.Elem(), 0
			for i := 0; i < sv.NumField(); i++ {
				f := sv.Type().Field(i)
				col := f.Tag.Get("polar")
				if !f.IsExported() || col == "" {
					continue
				}
				fv := sv.Field(i)
				if fv.Kind() == reflect.Interface && fv.IsNil() {
					if _, isRel := t.Relations[col]; isRel {
						continue // an unset relation
					}
				}
				if n > 0 {
					b.WriteString(", ")
				}
				n++
				b.WriteString(col + ": ")
				l.format(b, engine.Normalize(fv.Interface()), depth+1)
			}
			b.WriteString("}")
			return
		}
	}
	b.WriteString(engine.FormatValue(v))
}

// formatBindings is engine.FormatBindings with formatValue.
func (l *loaded) formatBindings(bs engine.Bindings) string {
	if len(bs) == 0 {
		return "true"
	}
	parts := make([]string, 0, len(bs))
	for _, k := range sortedKeys(bs) {
		parts = append(parts, k+" = "+l.formatValue(bs[k]))
	}
	return strings.Join(parts, ", ")
}
