package sqlgen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unsafe"

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

// newCompiler returns a compiler from the pool, reset for one statement.
// The caller must release it once it has copied the result out.
func newCompiler(s *Schema, d Dialect, opts []Option) *compiler {
	o := options(opts)
	c := compilerPool.Get().(*compiler)
	c.s, c.d, c.nilErrors, c.alias = s, d, o.NilErrors, o.Alias
	if c.preds == nil {
		c.preds = make(map[string]*partial.Pred)
	}
	if c.corr == nil {
		c.corr = make([]bool, 1, 8)
	}
	c.corr = c.corr[:1]
	c.corr[0] = false
	if c.stk == nil {
		c.stk = make([]frag, 0, 16)
	}
	return c
}

// release forgets the statement (whose text and args the caller copied out
// of c.m) and returns c to the pool.
//
// The operand stack is not cleared (its entries point into c.m's chunks,
// kept anyway, or at a few small fragments); of the chunks, those of the
// bind values are cleared (see mem.reset).
func (c *compiler) release() {
	big := len(c.preds) > 64
	clear(c.preds)
	clear(c.predStack)
	if !c.m.reset() || big {
		return // grown by a huge filter: let it go
	}
	// field by field: the memo (kept) makes the struct large
	c.s, c.n, c.frame, c.alias = nil, 0, 0, ""
	clear(c.dvals) // the caller's values
	c.dvals = c.dvals[:0]
	c.stk, c.predStack = c.stk[:0], c.predStack[:0]
	c.nilErrors, c.keyInSet, c.exact, c.plainIn = false, false, false, false
	compilerPool.Put(c)
}

// compile compiles f to a fragment over the outer table. The fragment's
// text and args live in c.m (see mem): copy them before c.release.
func (c *compiler) compile(f *partial.Filter) (frag, *Table, string, error) {
	s, d := c.s, c.d
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
	var qa string
	if c.alias == "" {
		qa, err = c.quote(t.Name, true)
	} else {
		// not cached: aliases come from callers
		qb := c.m.builder()
		qb.b, err = d.appendQuoted(qb.b, c.alias, false)
		qa = qb.String()
	}
	if err != nil {
		return frag{}, nil, "", err
	}
	root := c.m.bind(binding{name: partial.RootVar, obj: c.m.obj(object{t: t, typ: f.Type, alias: qa})})
	fr, err := c.filter(root, f)
	if err != nil {
		return frag{}, nil, "", err
	}
	return loosen(fr), t, qa, nil
}

func options(opts []Option) Options {
	if len(opts) == 0 {
		return Options{}
	}
	var o Options
	for _, op := range opts {
		if op != nil {
			op.apply(&o)
		}
	}
	return o
}

// Where compiles f into a boolean SQL condition over the table of f.Type,
// with `?` placeholders (for ORMs like GORM that number placeholders
// themselves). Allow-all yields "" (no condition); deny-all yields "1=0".
// Every value is a bind argument; every identifier is quoted; paths that are
// not in the schema are refused with ErrUnknownField.
func Where(f *partial.Filter, s *Schema, d Dialect, opts ...Option) (sql string, args []any, err error) {
	c := newCompiler(s, d, opts)
	if sql, args, ok := c.direct(f, false); ok {
		c.releaseDirect()
		return sql, args, nil
	}
	defer c.release()
	fr, _, _, err := c.compile(f)
	if err != nil {
		return "", nil, err
	}
	switch fr.k {
	case fTrue:
		return "", nil, nil
	case fFalse:
		return falseSQL, nil, nil
	}
	if len(fr.args) > 0 {
		args = slices.Clone(fr.args)
	}
	return strings.Clone(fr.sql), args, nil
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
	c := newCompiler(s, d, opts)
	if sql, args, ok := c.direct(f, true); ok {
		c.releaseDirect()
		return sql, args, nil
	}
	defer c.release()
	fr, t, qa, err := c.compile(f)
	if err != nil {
		return "", nil, err
	}
	tn, err := c.quote(t.Name, true)
	if err != nil {
		return "", nil, err
	}
	// Written directly (what squirrel.Select(...).From(...).Where(...)
	// with the dialect's PlaceholderFormat writes, without its builder),
	// in one buffer that becomes the string.
	n := len("SELECT ") + len(qa) + len(".* FROM ") + len(tn) + len(" AS ") + len(qa) + len(" WHERE ") + len(fr.sql) + 3*len(fr.args) + len(falseSQL)
	if len(fr.args) > 999 {
		n += len(fr.args) // ($1000 on: one more digit each; an estimate, append grows it if short)
	}
	b := make([]byte, 0, n)
	b = append(b, "SELECT "...)
	b = append(b, qa...)
	b = append(b, ".* FROM "...)
	b = append(b, tn...)
	if qa != tn {
		b = append(b, " AS "...)
		b = append(b, qa...)
	}
	switch fr.k {
	case fFalse:
		b = append(b, " WHERE "+falseSQL...)
	case fSQL:
		b = append(b, " WHERE "...)
		if d == Postgres {
			b = appendDollar(b, fr.sql)
		} else {
			b = append(b, fr.sql...)
		}
		if len(fr.args) > 0 {
			args = make([]any, len(fr.args))
			copy(args, fr.args)
		}
	}
	return unsafe.String(unsafe.SliceData(b), len(b)), args, nil
}

// appendDollar appends sql with its `?` placeholders numbered $1, $2, ...
// and `??` unescaped to `?` (squirrel.Dollar's rules).
func appendDollar(b []byte, sql string) []byte {
	n := 0
	for {
		p := strings.IndexByte(sql, '?')
		if p < 0 {
			break
		}
		b = append(b, sql[:p]...)
		if p+1 < len(sql) && sql[p+1] == '?' {
			b = append(b, '?')
			sql = sql[p+2:]
			continue
		}
		n++
		if n < 10 {
			b = append(b, '$', byte('0'+n))
		} else {
			b = append(b, '$')
			b = strconv.AppendInt(b, int64(n), 10)
		}
		sql = sql[p+1:]
	}
	return append(b, sql...)
}
