package gormfilter

import (
	"database/sql/driver"
	"reflect"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// filterExpr is a compiled filter: SQL with `?` placeholders and its
// arguments. Build hands every argument to GORM, which numbers placeholders
// globally ($n on Postgres), so the condition composes with any other
// clause. Unlike clause.Expr it only treats `?` outside quoted identifiers
// and literals as a placeholder, and passes slice arguments (arrays for
// `= ANY(?)`) as one value instead of expanding them to a list.
type filterExpr struct {
	SQL  string
	Vars []any
	req  *request // which request it came from, to apply each once
}

// Build implements clause.Expression.
func (e *filterExpr) Build(b clause.Builder) {
	b.WriteByte('(')
	writePlaceholders(b, e.SQL, e.Vars)
	b.WriteByte(')')
}

// rawSQL is a whole statement with `?` placeholders, built like filterExpr
// but without the parentheses.
type rawSQL struct {
	SQL  string
	Vars []any
}

// Build implements clause.Expression.
func (e *rawSQL) Build(b clause.Builder) { writePlaceholders(b, e.SQL, e.Vars) }

// writePlaceholders writes sql to b, replacing each `?` outside quotes by
// the next argument.
func writePlaceholders(b clause.Builder, sql string, vars []any) {
	idx := 0
	var quote byte
	start := 0
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '?' && idx < len(vars):
			b.WriteString(sql[start:i])
			addVar(b, vars[idx])
			idx++
			start = i + 1
		}
	}
	b.WriteString(sql[start:])
}

func addVar(b clause.Builder, v any) {
	if stmt, ok := b.(*gorm.Statement); ok && v != nil {
		if _, isValuer := v.(driver.Valuer); !isValuer {
			if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() != reflect.Uint8 {
				stmt.Vars = append(stmt.Vars, v)
				stmt.DB.Dialector.BindVarTo(b, stmt, v)
				return
			}
		}
	}
	b.AddVar(b, v)
}

// group is a parenthesised conjunction of the statement's own conditions, so
// that `a OR b` written by the caller cannot bind looser than the filter.
type group struct{ exprs []clause.Expression }

// Build implements clause.Expression.
func (g group) Build(b clause.Builder) {
	b.WriteByte('(')
	clause.Where{Exprs: g.exprs}.Build(b)
	b.WriteByte(')')
}
