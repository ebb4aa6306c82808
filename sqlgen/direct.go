package sqlgen

import (
	"strconv"
	"unsafe"

	"github.com/ursa-authz/ursa/partial"
)

// The direct path writes the statement of a common small filter straight
// into its final text, without fragments: an OR of ANDs of
//
//   - path op value and path in [values] (no nil value), where path is
//     resource.Field (a column of the outer table: plainCol) or
//     resource.Rel.Field with Rel a belongs-to relation of one key column
//     that is not Enforced (a lookup of the related row: relKey);
//   - the nil guards `resource.Rel != nil` that dropNilGuards removes;
//   - constants,
//
// without Options.NilErrors (so no condition is exact: every fragment of
// such a filter is an atom, an AND of atoms or a key subquery, and valNull,
// nguard, guard and loose never reach the text). For these it writes what
// the general path writes (Select: the same text with $n numbered as
// appendDollar does, and the same args; Where: the same condition).
// Anything else, or anything the general path would report as an error
// (an unknown field, an identifier that cannot be quoted, a value that
// cannot be bound), is left to the general path: direct reports ok=false
// before writing anything, and the general path then compiles the filter
// from scratch. TestDirectMatchesGeneralPath compares the two on random
// filters of these shapes and of shapes near them (TestShortcutsMatch-
// GeneralPath on its filters too).
//
// Other costs it saves: identifiers are quoted through squote (a memo by
// the schema string's identity), placeholders are numbered as written, and
// the text is built in one reused buffer, copied once into the result.
//
// It works in two passes, as the general path's text depends on both the
// order of compilation (alias numbers, which operands are compiled at all)
// and the order of writing (an OR writes its operands in ascending sub
// rank, see writePlain): plan reads the filter into dconds and dbranches
// (in compilation order), write writes them.

// dcond is one condition of the direct path.
type dcond struct {
	qcol string // the compared column, quoted (of the outer table, or of the related table)
	rel  bool   // a lookup of the related row (relKey); else a column of the outer table
	op   partial.CmpOp
	in   bool // a list: nargs values (at least one)
	// nullSafe: op is Neq on a nullable column (the dialect's null-safe
	// inequality; see cmpColValue).
	nullSafe bool
	arg0     int // index of the first value in c.dvals
	nargs    int
	// rel only: the foreign key's column on the outer table, the related
	// table, its alias (the quoted base and the number newAlias gave), the
	// referenced column and whether it may be NULL (a guard in the
	// subquery), and whether the compared column is the referenced one.
	qfk, qtn, qbase, qref string
	alias                 int
	refNullable, colIsRef bool
	sub                   subRank
}

// dbranch is a branch of the direct path that is not constant: conds
// c.dconds[first:first+n].
type dbranch struct {
	first, n int
	sub      subRank
}

// Results of plan.
const (
	dNo    = iota // not a direct filter: compile it with the general path
	dFalse        // deny-all
	dTrue         // allow-all
	dSQL          // c.dbranches (at least one)
)

// plan reads f (over table t) into c.dconds, c.dbranches
// and c.dvals, and returns what the condition is (dNo: not for the direct
// path).
func (c *compiler) plan(f *partial.Filter, t *Table) int {
	c.dconds, c.dbranches, c.dvals = c.dconds[:0], c.dbranches[:0], c.dvals[:0]
	for bi := range f.Branches {
		conds := f.Branches[bi].Conds
		first, vfirst := len(c.dconds), len(c.dvals)
		isFalse := false
		for _, cd := range conds {
			c.dconds = append(c.dconds, dcond{})
			r := c.planCond(&c.dconds[len(c.dconds)-1], cd, conds, t)
			if r == dSQL {
				continue
			}
			c.dconds = c.dconds[:len(c.dconds)-1]
			if r == dNo {
				return dNo
			}
			if r == dFalse {
				isFalse = true
				break // later conditions are never compiled
			}
		}
		if isFalse {
			c.dconds, c.dvals = c.dconds[:first], c.dvals[:vfirst]
			continue
		}
		n := len(c.dconds) - first
		if n == 0 {
			return dTrue // later branches are never compiled
		}
		b := dbranch{first: first, n: n}
		for i := first; i < len(c.dconds); i++ {
			b.sub = max(b.sub, c.dconds[i].sub)
		}
		c.dbranches = append(c.dbranches, b)
	}
	if len(c.dbranches) == 0 {
		return dFalse
	}
	return dSQL
}

// planCond reads one condition of the branch conds into dc (zero): dSQL
// (dc is kept), dTrue (dropped: a constant or a nil guard), dFalse, or dNo.
func (c *compiler) planCond(dc *dcond, cd partial.Cond, conds []partial.Cond, t *Table) int {
	var p partial.Path
	switch x := cd.(type) {
	case *partial.Compare:
		if x == nil || !validOp(x.Op) {
			return dNo
		}
		l, r, op := x.L, x.R, x.Op
		if _, ok := l.(partial.Value); ok {
			l, r, op = r, l, flipOp[op]
		}
		lp, ok := l.(partial.Path)
		if !ok {
			return dNo
		}
		rv, ok := r.(partial.Value)
		if !ok {
			return dNo
		}
		v, err := bindValue(rv.V)
		if err != nil {
			return dNo
		}
		if v == nil {
			// only a guard that dropNilGuards removes (branch does it
			// before compiling, so it consumes nothing)
			if len(conds) > 1 && (op == partial.Neq) && len(lp.Fields) > 0 && readThrough(conds, lp) {
				return dTrue
			}
			return dNo
		}
		p, dc.op, dc.arg0, dc.nargs = lp, op, len(c.dvals), 1
		c.dvals = append(c.dvals, v)
	case *partial.In:
		if x == nil {
			return dNo
		}
		p, dc.op, dc.in, dc.arg0 = x.L, partial.Eq, true, len(c.dvals)
		for _, v := range x.Values {
			bv, err := bindValue(v.V)
			if err != nil || bv == nil {
				return dNo
			}
			c.dvals = append(c.dvals, bv)
		}
		dc.nargs = len(x.Values)
	case *partial.Const:
		if x == nil {
			return dNo
		}
		if x.Value {
			return dTrue
		}
		return dFalse
	default:
		return dNo
	}
	if p.Var != partial.RootVar {
		return dNo
	}
	var err error
	switch len(p.Fields) {
	case 1: // plainCol
		col, ok := t.Fields[p.Fields[0]]
		if !ok || col == "" {
			return dNo
		}
		if dc.qcol, err = c.squote(col, false); err != nil {
			return dNo
		}
		dc.nullSafe = dc.op == partial.Neq && !dc.in && t.nullable(col)
	case 2: // relKey
		if _, isField := t.Fields[p.Fields[0]]; isField {
			return dNo
		}
		r := t.Relations[p.Fields[0]]
		if r == nil || r.Kind != BelongsTo || r.Enforced || len(r.ForeignKey) != 1 || len(r.References) != 1 {
			return dNo
		}
		tt := c.s.Tables[r.Target]
		if tt == nil {
			return dNo
		}
		col, ok := tt.Fields[p.Fields[1]]
		if !ok || col == "" {
			return dNo
		}
		// in relKey's order: the foreign key, item (table, alias, key), the column
		dc.rel = true
		if dc.qfk, err = c.squote(r.ForeignKey[0], false); err != nil {
			return dNo
		}
		if dc.qtn, err = c.squote(tt.Name, true); err != nil {
			return dNo
		}
		base := tt.Name
		for i := len(base) - 1; i >= 0; i-- {
			if base[i] == '.' {
				base = base[i+1:]
				break
			}
		}
		if len(base) == len(tt.Name) {
			dc.qbase = dc.qtn // (no dot: quoted alike)
		} else if dc.qbase, err = c.squote(base, false); err != nil {
			return dNo
		}
		c.n++
		dc.alias = c.n
		ref := r.References[0]
		if dc.qref, err = c.squote(ref, false); err != nil {
			return dNo
		}
		dc.refNullable = tt.nullable(ref)
		dc.colIsRef = col == ref
		if !dc.colIsRef {
			if dc.qcol, err = c.squote(col, false); err != nil {
				return dNo
			}
		}
		dc.nullSafe = dc.op == partial.Neq && !dc.in && tt.nullable(col)
		dc.sub = subAny
		if dc.op == partial.Eq && dc.colIsRef && len(tt.PK) == 1 && tt.PK[0] == ref {
			dc.sub = subKey // see keyLookup
		}
	default:
		return dNo
	}
	if dc.in && dc.nargs == 0 {
		return dFalse // (an empty subquery is false too, after its alias)
	}
	return dSQL
}

// dwriter writes the direct path's text: `?` placeholders, or $n
// numbered from 1 (Postgres, Select).
type dwriter struct {
	b      []byte
	dollar bool
	n      int
}

func (w *dwriter) s(x string) { w.b = append(w.b, x...) }

// appendPh appends the next placeholder to b.
func (w *dwriter) appendPh(b []byte) []byte {
	if !w.dollar {
		return append(b, '?')
	}
	w.n++
	if w.n < 10 {
		return append(b, '$', byte('0'+w.n))
	}
	return strconv.AppendInt(append(b, '$'), int64(w.n), 10)
}

// write appends the condition of c.dbranches to w and sets args (of
// len(c.dvals)) to the values in the order written (see writePlain: an OR
// of several branches writes them in ascending sub rank, an AND branch in
// parentheses).
func (c *compiler) write(w *dwriter, qa string, args []any) {
	brs := c.dbranches
	k := 0
	ranks := 0
	for i := range brs {
		ranks |= 1 << brs[i].sub
	}
	first := true
	for pass := subNone; pass <= subAny; pass++ {
		if ranks&(1<<pass) == 0 {
			continue
		}
		for i := range brs {
			b := &brs[i]
			if b.sub != pass {
				continue
			}
			if !first {
				w.s(" OR ")
			}
			first = false
			paren := len(brs) > 1 && b.n > 1
			if paren {
				w.b = append(w.b, '(')
			}
			for j := b.first; j < b.first+b.n; j++ {
				if j > b.first {
					w.s(" AND ")
				}
				d := &c.dconds[j]
				c.writeCond(w, d, qa)
				for _, v := range c.dvals[d.arg0 : d.arg0+d.nargs] {
					args[k] = v
					k++
				}
			}
			if paren {
				w.b = append(w.b, ')')
			}
		}
	}
}

// writeCond writes one condition: what cmpColValue and inCol write for a
// column, in relKey's subquery for a related row.
func (c *compiler) writeCond(w *dwriter, d *dcond, qa string) {
	b := w.b
	var start, alias, key int // in b (rel): the alias, from start to alias, and alias.ref, to key
	if d.rel {
		// subquery: `fk = ANY(ARRAY(SELECT a.ref FROM t AS a WHERE cond))`
		// on Postgres, `fk IN (SELECT ...)` elsewhere
		b = append(b, qa...)
		b = append(b, '.')
		b = append(b, d.qfk...)
		if c.d == Postgres {
			b = append(b, " = ANY(ARRAY(SELECT "...)
		} else {
			b = append(b, " IN (SELECT "...)
		}
		// the alias newAlias makes: the quoted base with _n before its
		// closing quote; written once, then copied
		start = len(b)
		q := d.qbase
		b = append(b, q[:len(q)-1]...)
		b = append(b, '_')
		b = strconv.AppendInt(b, int64(d.alias), 10)
		b = append(b, q[len(q)-1])
		alias = len(b)
		b = append(b, '.')
		b = append(b, d.qref...)
		key = len(b)
		b = append(b, " FROM "...)
		b = append(b, d.qtn...)
		b = append(b, " AS "...)
		b = append(b, b[start:alias]...)
		b = append(b, " WHERE "...)
		if d.refNullable {
			b = append(b, b[start:key]...)
			b = append(b, " IS NOT NULL AND "...)
		}
	}
	nullSafe := d.nullSafe
	if nullSafe && c.d == MySQL {
		b = append(b, "NOT ("...)
	}
	if d.rel {
		if d.colIsRef {
			b = append(b, b[start:key]...)
		} else {
			b = append(b, b[start:alias+1]...) // (with the dot)
			b = append(b, d.qcol...)
		}
	} else {
		b = append(b, qa...)
		b = append(b, '.')
		b = append(b, d.qcol...)
	}
	switch {
	case d.in && d.nargs > 1:
		b = append(b, " IN ("...)
		for i := range d.nargs {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = w.appendPh(b)
		}
		b = append(b, ')')
	case nullSafe:
		op, _ := c.d.nullSafe(true)
		b = append(b, op...)
		b = w.appendPh(b)
		if c.d == MySQL {
			b = append(b, ')')
		}
	default:
		b = append(b, opSQL[d.op]...) // (an In of one value: " = ")
		b = w.appendPh(b)
	}
	if d.rel {
		if c.d == Postgres {
			b = append(b, "))"...)
		} else {
			b = append(b, ')')
		}
	}
	w.b = b
}

// direct compiles f with the direct path, if it is for it: the statement
// of Select (sel) or the condition of Where, as they return it.
func (c *compiler) direct(f *partial.Filter, sel bool) (sql string, args []any, ok bool) {
	if f == nil || !c.d.valid() || c.s == nil || c.nilErrors || !directShape(f) {
		return "", nil, false
	}
	t := c.s.Tables[f.Type]
	if t == nil {
		return "", nil, false
	}
	var qa string
	var err error
	if c.alias == "" {
		qa, err = c.squote(t.Name, true)
	} else {
		qb := c.m.builder()
		qb.b, err = c.d.appendQuoted(qb.b, c.alias, false)
		qa = qb.String()
	}
	if err != nil {
		return "", nil, false
	}
	k := c.plan(f, t)
	if k == dNo {
		c.n = 0 // (the general path numbers aliases from 1 again)
		return "", nil, false
	}
	w := dwriter{b: c.dbuf[:0], dollar: sel && c.d == Postgres}
	if sel {
		tn := qa
		if c.alias != "" {
			if tn, err = c.squote(t.Name, true); err != nil {
				c.n = 0
				return "", nil, false
			}
		}
		w.s("SELECT ")
		w.s(qa)
		w.s(".* FROM ")
		w.s(tn)
		if c.alias != "" && qa != tn {
			w.s(" AS ")
			w.s(qa)
		}
	}
	switch k {
	case dTrue:
	case dFalse:
		if sel {
			w.s(" WHERE ")
		}
		w.s(falseSQL)
	default:
		if sel {
			w.s(" WHERE ")
		}
		args = make([]any, len(c.dvals))
		c.write(&w, qa, args)
	}
	if len(w.b) > 0 {
		sql = string(w.b)
	}
	if cap(w.b) <= 16<<10 {
		c.dbuf = w.b[:0]
	}
	return sql, args, true
}

// readThrough reports whether one of conds (the branch of a guard
// `g != nil`) is a comparison or list test that reads through g, as
// dropNilGuards tests with readsThrough.
func readThrough(conds []partial.Cond, g partial.Path) bool {
	for _, cd := range conds {
		switch x := cd.(type) {
		case *partial.Compare:
			if x == nil {
				continue
			}
			if p, ok := x.L.(partial.Path); ok && extends(p, g) {
				return true
			}
			if p, ok := x.R.(partial.Path); ok && extends(p, g) {
				return true
			}
		case *partial.In:
			if x != nil && extends(x.L, g) {
				return true
			}
		}
	}
	return false
}

// extends reports whether p is g.f... (strictly longer).
func extends(p, g partial.Path) bool {
	if len(p.Fields) <= len(g.Fields) || p.Var != g.Var {
		return false
	}
	for i, f := range g.Fields {
		if p.Fields[i] != f {
			return false
		}
	}
	return true
}

// smemo is an entry of compiler.smemo: the string at p of length n,
// quoted as q for dialect and qualification k (see squote).
type smemo struct {
	p *byte
	n int
	k int
	q string
}

// smemoSize is the number of entries of compiler.smemo (a power of two).
const smemoSize = 64

// squote is quote for a string of the schema (a table or column name
// read from it), remembered by identity: a string's bytes never change,
// so a string at the same address with the same length is the same name
// (the entry keeps it alive, so the address is not reused meanwhile),
// and the lookup needs no hash of the text or comparison of bytes. name
// must not be carved out of c.m (whose chunks are rewritten by later
// compilations); strings of the schema never are.
func (c *compiler) squote(name string, qualified bool) (string, error) {
	p := unsafe.StringData(name)
	k := int(c.d) << 1
	if qualified {
		k |= 1
	}
	h := uintptr(unsafe.Pointer(p))
	e := &c.smemo[(h>>3^h>>9^uintptr(len(name))^uintptr(k))&(smemoSize-1)]
	if e.p == p && e.n == len(name) && e.k == k && p != nil {
		return e.q, nil
	}
	q, err := c.quote(name, qualified)
	if err != nil {
		return "", err
	}
	*e = smemo{p: p, n: len(name), k: k, q: q}
	return q, nil
}

// directShape reports whether f has only conditions the direct path may
// take (a quick test, so that other filters lose nothing to plan).
func directShape(f *partial.Filter) bool {
	if generalOnly.Load() {
		return false
	}
	for i := range f.Branches {
		for _, cd := range f.Branches[i].Conds {
			switch cd.(type) {
			case *partial.Compare, *partial.In, *partial.Const:
			default:
				return false
			}
		}
	}
	return true
}

// releaseDirect returns c to the pool after the direct path: it touched
// only the direct path's state (and c.m, for an alias: then release).
func (c *compiler) releaseDirect() {
	if c.alias != "" || cap(c.dconds) > 1024 || cap(c.dvals) > 4096 {
		c.release()
		return
	}
	clear(c.dvals) // the caller's values
	c.dvals = c.dvals[:0]
	c.s, c.n, c.nilErrors = nil, 0, false
	compilerPool.Put(c)
}
