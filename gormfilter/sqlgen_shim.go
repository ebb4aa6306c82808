package gormfilter

// TEMPORARY: a minimal stand-in for sqlgen.Where until package sqlgen lands.
// It compiles only comparisons of the resource's own columns with constants;
// everything else is an error (so nothing runs unfiltered). Replace the body
// of compileWhere with a call to sqlgen.Where when it exists.

import (
	"fmt"
	"strings"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

type sqlDialect int

const (
	dialectPostgres sqlDialect = iota
	dialectMySQL
	dialectSQLite
)

func (d sqlDialect) quote(s string) string {
	if d == dialectMySQL {
		return "`" + strings.ReplaceAll(s, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func compileWhere(f *partial.Filter, s *sqlgen.Schema, d sqlDialect, alias string) (string, []any, error) {
	t := s.Tables[f.Type]
	if t == nil {
		return "", nil, fmt.Errorf("shim: unknown type %s", f.Type)
	}
	if f.IsDenyAll() {
		return "1=0", nil, nil
	}
	var ors []string
	var args []any
	for _, br := range f.Branches {
		if len(br.Conds) == 0 {
			return "1=1", nil, nil
		}
		var ands []string
		for _, c := range br.Conds {
			sql, a, err := shimCond(c, t, d, alias)
			if err != nil {
				return "", nil, err
			}
			ands = append(ands, sql)
			args = append(args, a...)
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return strings.Join(ors, " OR "), args, nil
}

func shimCond(c partial.Cond, t *sqlgen.Table, d sqlDialect, alias string) (string, []any, error) {
	col := func(p partial.Path) (string, error) {
		if p.Var != partial.RootVar || len(p.Fields) != 1 {
			return "", fmt.Errorf("shim: unsupported path %v", p)
		}
		c, ok := t.Fields[p.Fields[0]]
		if !ok {
			return "", fmt.Errorf("shim: unknown field %s", p.Fields[0])
		}
		return d.quote(alias) + "." + d.quote(c), nil
	}
	switch c := c.(type) {
	case *partial.Compare:
		p, ok := c.L.(partial.Path)
		v, ok2 := c.R.(partial.Value)
		if !ok || !ok2 {
			return "", nil, fmt.Errorf("shim: unsupported compare")
		}
		cs, err := col(p)
		if err != nil {
			return "", nil, err
		}
		op := map[partial.CmpOp]string{partial.Eq: "=", partial.Neq: "<>", partial.Lt: "<", partial.Leq: "<=", partial.Gt: ">", partial.Geq: ">="}[c.Op]
		return cs + " " + op + " ?", []any{v.V}, nil
	case *partial.In:
		cs, err := col(c.L)
		if err != nil {
			return "", nil, err
		}
		var qs []string
		var args []any
		for _, v := range c.Values {
			qs = append(qs, "?")
			args = append(args, v.V)
		}
		return cs + " IN (" + strings.Join(qs, ",") + ")", args, nil
	case *partial.Not:
		sql, args, err := shimCond(c.C, t, d, alias)
		return "NOT (" + sql + ")", args, err
	}
	return "", nil, fmt.Errorf("shim: unsupported condition %T", c)
}
