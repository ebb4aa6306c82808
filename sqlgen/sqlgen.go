package sqlgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/squirrel"
	"github.com/ursa-authz/ursa/partial"
)

// Options tune compilation. Options itself is an Option, so callers may pass
// either sqlgen.Options{Alias: "r"} or sqlgen.WithAlias("r").
type Options struct {
	// Alias is the name by which the condition refers to the outer table (the
	// table of the filter's type). Default: the table name. Set it when the
	// query gives the table an alias (FROM repos AS r).
	Alias string
	// NilErrors compiles a read through a missing to-one relation
	// (resource.Org.Name with no org) as the decision's error: NULL, kept
	// by NOT, stopping later AND/OR operands, as the decision evaluates left
	// to right. Use it for filters that do not carry their own nil guards.
	// Default (false): such a condition is false and its negation true, the
	// contract of partial's filters, whose error regions exclude the rows a
	// decision would error on (see package partial, "Nil relations").
	NilErrors bool
}

// Option configures Where, Sqlizer and Select.
type Option interface{ apply(*Options) }

func (o Options) apply(to *Options) {
	if o.Alias != "" {
		to.Alias = o.Alias
	}
	if o.NilErrors {
		to.NilErrors = true
	}
}

type optionFunc func(*Options)

func (f optionFunc) apply(o *Options) { f(o) }

// WithNilErrors sets Options.NilErrors.
func WithNilErrors() Option { return optionFunc(func(o *Options) { o.NilErrors = true }) }

// WithAlias sets Options.Alias.
func WithAlias(alias string) Option { return optionFunc(func(o *Options) { o.Alias = alias }) }

// Cond is a compiled condition: SQL text with `?` placeholders and its bind
// arguments. It implements squirrel.Sqlizer.
type Cond struct {
	SQL  string
	Args []any
}

// ToSql implements squirrel.Sqlizer.
func (c Cond) ToSql() (string, []any, error) { return c.SQL, c.Args, nil }

// compile compiles f to a fragment over the outer table.
func compile(f *partial.Filter, s *Schema, d Dialect, opts []Option) (frag, *Table, string, error) {
	if f == nil {
		return frag{}, nil, "", fmt.Errorf("%w: nil filter", ErrInvalidFilter)
	}
	if !d.valid() {
		return frag{}, nil, "", fmt.Errorf("%w: dialect %v", ErrUnsupported, d)
	}
	t, err := s.table(f.Type)
	if err != nil {
		return frag{}, nil, "", err
	}
	var o Options
	for _, op := range opts {
		if op != nil {
			op.apply(&o)
		}
	}
	alias := o.Alias
	qualified := false
	if alias == "" {
		alias, qualified = t.Name, true
	}
	c := &compiler{s: s, d: d, nilErrors: o.NilErrors, preds: make(map[string]*partial.Pred, len(f.Preds)), corr: make([]bool, 1, 8), stk: make([]frag, 0, 16)}
	// not cached: aliases come from callers
	var qb strings.Builder
	err = d.quoteTo(&qb, alias, qualified)
	qa := qb.String()
	if err != nil {
		return frag{}, nil, "", err
	}
	root := &binding{name: partial.RootVar, obj: &object{t: t, typ: f.Type, alias: qa}}
	fr, err := c.filter(root, f)
	if err != nil {
		return frag{}, nil, "", err
	}
	return loosen(fr), t, qa, nil
}

// Where compiles f into a boolean SQL condition over the table of f.Type,
// with `?` placeholders (for ORMs like GORM that number placeholders
// themselves). Allow-all yields "" (no condition); deny-all yields "1=0".
// Every value is a bind argument; every identifier is quoted; paths that are
// not in the schema are refused with ErrUnknownField.
func Where(f *partial.Filter, s *Schema, d Dialect, opts ...Option) (sql string, args []any, err error) {
	fr, _, _, err := compile(f, s, d, opts)
	if err != nil {
		return "", nil, err
	}
	switch fr.k {
	case fTrue:
		return "", nil, nil
	case fFalse:
		return falseSQL, nil, nil
	}
	return fr.sql, fr.args, nil
}

// Sqlizer returns the condition as a squirrel.Sqlizer with `?`
// placeholders, for use in squirrel builders (which apply the placeholder
// format on the outermost statement). Allow-all is squirrel.And{} (which
// squirrel renders as (1=1)); otherwise it is a Cond.
func Sqlizer(f *partial.Filter, s *Schema, d Dialect, opts ...Option) (squirrel.Sqlizer, error) {
	sql, args, err := Where(f, s, d, opts...)
	if err != nil {
		return nil, err
	}
	if sql == "" {
		return squirrel.And{}, nil
	}
	return Cond{SQL: sql, Args: args}, nil
}

// Select returns `SELECT <t>.* FROM <t> WHERE <cond>` (no WHERE for
// allow-all) with the dialect's final placeholders ($1, $2, ... for Postgres).
func Select(f *partial.Filter, s *Schema, d Dialect, opts ...Option) (sql string, args []any, err error) {
	fr, t, qa, err := compile(f, s, d, opts)
	if err != nil {
		return "", nil, err
	}
	tn, err := d.QuoteIdent(t.Name)
	if err != nil {
		return "", nil, err
	}
	from := tn
	if qa != tn {
		from = tn + " AS " + qa
	}
	// Written directly (what squirrel.Select(...).From(...).Where(...)
	// with the dialect's PlaceholderFormat writes, without its builder).
	var b strings.Builder
	b.Grow(len(qa) + len(from) + len(fr.sql) + 3*len(fr.args) + 32)
	b.WriteString("SELECT ")
	b.WriteString(qa)
	b.WriteString(".* FROM ")
	b.WriteString(from)
	switch fr.k {
	case fFalse:
		b.WriteString(" WHERE " + falseSQL)
	case fSQL:
		b.WriteString(" WHERE ")
		if d == Postgres {
			writeDollar(&b, fr.sql)
		} else {
			b.WriteString(fr.sql)
		}
		args = append(args, fr.args...)
	}
	return b.String(), args, nil
}

// writeDollar writes sql with its `?` placeholders numbered $1, $2, ...
// and `??` unescaped to `?` (squirrel.Dollar's rules).
func writeDollar(b *strings.Builder, sql string) {
	n := 0
	for {
		p := strings.IndexByte(sql, '?')
		if p < 0 {
			break
		}
		b.WriteString(sql[:p])
		if p+1 < len(sql) && sql[p+1] == '?' {
			b.WriteByte('?')
			sql = sql[p+2:]
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
		sql = sql[p+1:]
	}
	b.WriteString(sql)
}
