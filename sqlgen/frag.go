package sqlgen

import (
	"math/bits"
	"slices"
	"strings"
)

// frag is a compiled boolean SQL fragment with its bind arguments, or a
// constant. Fragments use `?` placeholders; the dialect's placeholder format
// is applied only to the outermost statement.
type frag struct {
	sql  string
	args []any
	// guard: for an errNull fragment, columns that are all NOT NULL exactly
	// when it is not an error (nil: unknown; join then tests the fragment).
	guard []string
	// nguard: for a valNull atom, the nullable columns that make it NULL;
	// coalesce then writes `x AND col IS NOT NULL`, which keeps index use.
	nguard []string
	// loose, if set, is an equivalent of the fragment where only "true"
	// matters (an error may read as false): planner-friendlier, same args.
	loose *frag
	k     fragKind
	// valNull: the fragment can be SQL NULL because a value is nil (e.g.
	// col < ? with col NULL); the decision reads that as false, so NOT
	// coalesces it to false first.
	valNull bool
	// errNull: the fragment can be SQL NULL because a to-one relation on a
	// path is missing; the decision errors there (a lookup on nil), which
	// denies whatever the polarity, so NOT keeps it NULL. A fragment never
	// carries both: and/or coalesce valNull parts when an errNull part is
	// present.
	errNull bool
	// sub: the costliest subquery in the SQL (see subRank). A plain OR
	// writes its operands in ascending rank (see writePlain); a constructor
	// that does not propagate it costs speed, never correctness.
	sub subRank
	// prec is the top-level operator, for parenthesization.
	prec prec
}

type fragKind uint8

// subRank tells how costly a fragment's subqueries are when Postgres
// evaluates it again on every row of a bitmap scan (docs/sql-mapping.md,
// "Order of OR operands").
type subRank uint8

const (
	// subNone: no subquery.
	subNone subRank = iota
	// subKey: its subqueries only look a to-one relation up by its key:
	// `fk IN (SELECT t.k FROM t WHERE t.k = ? / IN (?, ...))`, where k is
	// what the belongs-to foreign key fk references (see leaf). The set
	// has at most as many elements as bound values.
	subKey
	// subAny: another subquery (to-many relations, a recursive
	// predicate's set, EXISTS, a scalar SELECT, a key lookup by a non-key
	// column): its set may be large.
	subAny
)

const (
	fSQL fragKind = iota
	fTrue
	fFalse
)

type prec uint8

const (
	pAtom prec = iota // a comparison, a function, or something in parentheses
	pAnd
	pOr
)

var (
	fragTrue  = frag{k: fTrue}
	fragFalse = frag{k: fFalse}
)

func fragConst(b bool) frag {
	if b {
		return fragTrue
	}
	return fragFalse
}

// compact moves the parts of fs that are not unit to its front, up to and
// including the first absorb (later parts are never evaluated), and returns
// their number.
func compact(fs []frag, unit, absorb fragKind) int {
	n := 0
	for i := range fs {
		k := fs[i].k
		if k == unit {
			continue
		}
		if n != i {
			fs[n] = fs[i]
		}
		n++
		if k == absorb {
			break
		}
	}
	return n
}

// loosenAll replaces each fragment of fs by its loose variant.
func loosenAll(fs []frag) {
	for i := range fs {
		if l := fs[i].loose; l != nil {
			fs[i] = *l
		}
	}
}

// loosen returns the loose variant of f (see frag.loose).
func loosen(f frag) frag {
	if f.loose != nil {
		return *f.loose
	}
	return f
}

func atom(sql string, valNull bool, args []any) frag {
	return frag{sql: sql, args: args, valNull: valNull}
}

func errAtom(guard []string, sql string, args []any) frag {
	return frag{sql: sql, args: args, errNull: true, guard: guard}
}

// coalesce makes a valNull fragment two-valued.
func (c *compiler) coalesce(f frag) frag {
	if !f.valNull || f.k != fSQL {
		return f
	}
	if len(f.nguard) > 0 && f.prec == pAtom {
		b := c.m.builder()
		b.WriteString(f.sql)
		for _, g := range f.nguard {
			b.WriteString(" AND ")
			b.WriteString(g)
			b.WriteString(" IS NOT NULL")
		}
		return frag{sql: b.String(), args: f.args, errNull: f.errNull, guard: f.guard, sub: f.sub, prec: pAnd}
	}
	return frag{sql: c.m.cat("COALESCE(", f.sql, ", FALSE)"), args: f.args, errNull: f.errNull, guard: f.guard, sub: f.sub}
}

// falseSQL is how a constant false condition is written when it must be
// written (deny-all, or a false operand that cannot be folded away).
const falseSQL = "1=0"

// sqlText returns the fragment's SQL text, writing constants out.
func (f *frag) sqlText() string {
	switch f.k {
	case fTrue:
		return "1=1"
	case fFalse:
		return falseSQL
	}
	return f.sql
}

// and conjoins fragments, folding constants.
func (c *compiler) and(fs ...frag) frag { return c.join(fs, pAnd, false) }

// or disjoins fragments, folding constants.
func (c *compiler) or(fs ...frag) frag { return c.join(fs, pOr, false) }

// join combines fragments with AND (pAnd) or OR (pOr), in order.
//
// The decision evaluates left to right and an error (errNull) stops it:
// `a or b` with a an error is an error even if b holds, and `a and b` with a
// an error is an error even if b is false. SQL's AND/OR are commutative, so a
// part that may be an error is written so that its NULL propagates:
//
//	a OR b   ->  a OR (<a defined> AND b)
//	a AND b  ->  a AND (<a undefined> OR b)
//
// where <a defined> is "the guard columns of a are NOT NULL" when known;
// otherwise a simple CASE on a, which evaluates a once. Parts that may be NULL for a nil value (valNull) are then
// made two-valued, so that a NULL of the result always means an error.
// Without errNull parts this is the plain, planner-friendly a AND b / a OR b.
//
// exact says the result must tell an error from false; if not, only "true"
// matters: an AND is then plain (any NULL or false part makes it not true),
// and an OR only needs its non-last parts exact (the caller compiles them so).
func (c *compiler) join(fs []frag, op prec, exact bool) frag {
	absorb, unit := fFalse, fTrue // AND
	if op == pOr {
		absorb, unit = fTrue, fFalse
	}
	n := compact(fs, unit, absorb) // in place: callers pass fresh slices
	parts := fs[:n]
	switch n {
	case 0:
		return frag{k: unit}
	case 1:
		return parts[0]
	}
	hasErr := false
	for i := range parts[:n-1] {
		hasErr = hasErr || parts[i].errNull
	}
	if parts[n-1].k == absorb && (!hasErr || (!exact && op == pAnd)) {
		return parts[n-1]
	}
	if !exact && op == pAnd {
		hasErr = false // plain AND
		loosenAll(parts)
		for i := range parts {
			parts[i].errNull = false
		}
	}
	if !exact && op == pOr {
		if !hasErr {
			loosenAll(parts)
		} else {
			return c.looseOr(parts)
		}
	}
	var orig []frag
	if exact && (hasErr || hasLoose(parts)) {
		orig = slices.Clone(parts)
	}
	if exact && (hasErr || parts[n-1].errNull) || (op == pOr && hasErr) {
		for i := range parts {
			parts[i] = c.coalesce(parts[i])
		}
	}
	// The parts after the last one that may be an error join plainly: write
	// them in one builder (folding joinStep over them would copy the
	// growing right operand at every step).
	k := n - 1
	for k > 0 && !parts[k-1].errNull {
		k--
	}
	res := parts[n-1]
	if k < n-1 {
		res = c.joinPlain(parts[k:], op)
	}
	for i := k - 1; i >= 0; i-- {
		res = c.joinStep(parts[i], res, op)
	}
	// If the first part may be an error and every part that may be one has
	// the same guard, the result is an error exactly when that guard fails.
	if res.errNull && parts[0].errNull && len(parts[0].guard) > 0 {
		same := true
		for _, p := range parts {
			same = same && (!p.errNull || slices.Equal(p.guard, parts[0].guard))
		}
		if same {
			res.guard = parts[0].guard
		}
	}
	if orig != nil {
		var l frag
		if op == pOr {
			l = c.looseOr(orig)
		} else {
			for i := range orig {
				orig[i] = loosen(orig[i])
				orig[i].errNull = false
			}
			l = c.join(orig, pAnd, false)
		}
		res.loose = &l
	}
	return res
}

func hasLoose(fs []frag) bool {
	for _, f := range fs {
		if f.loose != nil {
			return true
		}
	}
	return false
}

// looseOr is an OR where only "true" matters, written flat so that each arm
// can use its own index: a part that may be an error stops the evaluation,
// so the arms after it require its guard columns to be NOT NULL:
//
//	a OR b OR c  ->  a OR (ga AND b) OR (ga AND gb AND c)
//
// A part whose errors have no guard columns ends the flat list with
// CASE (p) WHEN TRUE THEN TRUE WHEN FALSE THEN <rest> END.
func (c *compiler) looseOr(parts []frag) frag {
	var prefix []string
	var arms []frag
	for i, p := range parts {
		if p.errNull && len(p.guard) == 0 && i < len(parts)-1 {
			rest := c.looseOr(parts[i+1:])
			step := c.joinStep(c.coalesce(p), rest, pOr)
			arms = append(arms, c.withPrefix(prefix, step))
			break
		}
		arms = append(arms, c.withPrefix(prefix, loosen(p)))
		if p.errNull {
			for _, g := range p.guard {
				if g := c.m.cat(g, " IS NOT NULL"); !slices.Contains(prefix, g) {
					prefix = append(prefix, g)
				}
			}
		}
	}
	// If a part before the last may be an error, the arms stay in the
	// decision's order (the prefixes and the CASE follow it): writePlain
	// then moves no arm. Otherwise this is a plain OR.
	ordered := false
	for i := range parts[:len(parts)-1] {
		ordered = ordered || parts[i].errNull
	}
	sub := subNone
	for i := range arms {
		arms[i].errNull = false // arms are only read for "true"
		sub = max(sub, arms[i].sub)
		if ordered {
			arms[i].sub = subNone
		}
	}
	out := c.or(arms...)
	out.errNull, out.guard, out.loose = false, nil, nil
	out.valNull = out.k == fSQL
	out.sub = subNone
	if out.k == fSQL {
		out.sub = sub
	}
	return out
}

// withPrefix is `g1 AND g2 AND f` (guards that are plain column tests).
func (c *compiler) withPrefix(prefix []string, f frag) frag {
	if len(prefix) == 0 || f.k == fFalse {
		return f
	}
	parts := make([]frag, 0, len(prefix)+1)
	for _, g := range prefix {
		parts = append(parts, atom(g, false, nil))
	}
	f.errNull = false
	return c.join(append(parts, f), pAnd, false)
}

// joinStep returns `p op res` (see join).
func (c *compiler) joinStep(p, res frag, op prec) frag {
	if p.errNull && len(p.guard) == 0 {
		// p may be an error, with no guard columns: a simple CASE evaluates
		// p once (a searched CASE or p IS NOT NULL would repeat it, and
		// nesting would grow the SQL exponentially):
		//   OR:  CASE (p) WHEN TRUE THEN TRUE WHEN FALSE THEN res END
		//   AND: CASE (p) WHEN TRUE THEN res WHEN FALSE THEN FALSE END
		// A NULL p matches no WHEN: the result is NULL.
		b := c.m.builder()
		b.WriteString("CASE (")
		b.WriteString(p.sql)
		b.WriteString(") WHEN TRUE THEN ")
		if op == pOr {
			b.WriteString("TRUE WHEN FALSE THEN ")
			b.WriteString(res.sqlText())
			b.WriteString(" END")
		} else {
			b.WriteString(res.sqlText())
			b.WriteString(" WHEN FALSE THEN FALSE END")
		}
		return frag{sql: b.String(), args: c.m.args(p.args, res.args), errNull: true, sub: max(p.sub, res.sub)}
	}
	sep := " AND "
	if op == pOr {
		sep = " OR "
	}
	out := frag{prec: op, valNull: p.valNull || res.valNull, errNull: p.errNull || res.errNull, sub: max(p.sub, res.sub)}
	b := c.m.builder()
	writeOperand(&b, &p, op)
	out.args = p.args
	b.WriteString(sep)
	if !p.errNull {
		writeLast(&b, &res, op) // res may be an absorbing constant after an error part
		out.args = c.m.args(p.args, res.args)
		out.sql = b.String()
		return out
	}
	// p may be an error: make it stop the evaluation where its guard
	// columns are NULL: (g1 IS NOT NULL AND g2 IS NOT NULL AND res) for
	// OR, (g1 IS NULL OR g2 IS NULL OR res) for AND.
	test, gsep := " IS NULL", " OR "
	if op == pOr {
		test, gsep = " IS NOT NULL", " AND "
	}
	b.writeByte('(')
	writeEach(&b, p.guard, test, gsep)
	if (op == pOr && res.k == fTrue) || (op == pAnd && res.k == fFalse) {
		b.writeByte(')')
	} else {
		b.WriteString(gsep)
		if res.prec == pAtom {
			b.WriteString(res.sql)
		} else {
			b.writeByte('(')
			b.WriteString(res.sql)
			b.writeByte(')')
		}
		out.args = c.m.args(p.args, res.args)
		b.writeByte(')')
	}
	out.sql = b.String()
	return out
}

// joinPlain is the right fold of joinStep over parts (at least two) none
// of which but the last may be an error, written in one builder.
func (c *compiler) joinPlain(parts []frag, op prec) frag {
	out := frag{prec: op}
	for i := range parts {
		out.valNull = out.valNull || parts[i].valNull
		out.errNull = out.errNull || parts[i].errNull
		out.sub = max(out.sub, parts[i].sub)
	}
	b := c.m.builder()
	out.args = c.writePlain(&b, parts, op, nil)
	out.sql = b.String()
	return out
}

// writePlain writes the SQL of joinPlain(parts, op) to b and returns (in
// c.m) args with the parts' arguments appended in the order written.
//
// An OR writes the parts in ascending sub rank: those without a subquery
// first, then key lookups, then other subqueries, each rank in the order of
// parts. SQL's OR is commutative in three-valued logic on every dialect,
// and none of these parts but the last may be an error (join writes the
// parts up to the last one that may be with joinStep, in order; looseOr
// clears sub on arms whose order matters), so the value is the same. But
// Postgres evaluates an OR's arms in written order on each row that a
// bitmap scan rechecks, and an arm `k = ANY(<InitPlan array>)` compares k
// with every element: cheap arms and small arrays first let most rows stop
// early (docs/sql-mapping.md, "Order of OR operands"). parts itself is not
// reordered (join reads parts[0] afterwards).
func (c *compiler) writePlain(b *sbuf, parts []frag, op prec, args []any) []any {
	sep := " AND "
	if op == pOr {
		sep = " OR "
	}
	n := len(parts)
	last := n - 1 // the part written last
	// ranks: the set of sub ranks present (bit r for rank r); with more
	// than one, pass r writes the parts of rank r, else one pass writes all.
	ranks := 0
	if op == pOr {
		for i := range parts {
			ranks |= 1 << parts[i].sub
		}
		if ranks&(ranks-1) != 0 {
			top := subRank(bits.Len(uint(ranks)) - 1) // the last rank written
			for i := range parts {
				if parts[i].sub == top {
					last = i
				}
			}
		} else {
			ranks = 0
		}
	}
	nargs := len(args)
	for i := range parts {
		nargs += len(parts[i].args)
	}
	var out []any
	if nargs > 0 {
		out = append(c.m.vals.take(nargs)[:0], args...)
	}
	for pass := subNone; pass <= subAny; pass++ {
		if ranks != 0 && ranks&(1<<pass) == 0 {
			continue
		}
		for i := range parts {
			p := &parts[i]
			if ranks != 0 && p.sub != pass {
				continue
			}
			if i != last {
				writeOperand(b, p, op)
				b.WriteString(sep)
			} else {
				writeLast(b, p, op)
			}
			out = append(out, p.args...)
		}
		if ranks == 0 {
			break
		}
	}
	return out
}

// writeWhere writes " WHERE " and the SQL of and(where...) to b if that is
// not a constant, and returns (in c.m) args with its arguments appended.
// where is compacted in place.
func (c *compiler) writeWhere(b *sbuf, where []frag, args []any) []any {
	n := compact(where, fTrue, fFalse)
	parts := where[:n]
	if n == 0 || parts[n-1].k != fSQL {
		return args // true (no condition) or false (not written, as by and)
	}
	b.WriteString(" WHERE ")
	if n == 1 {
		b.WriteString(parts[0].sql)
		return c.m.args(args, parts[0].args)
	}
	loosenAll(parts)
	return c.writePlain(b, parts, pAnd, args)
}

// writeEach writes each of cols followed by suffix, separated by sep
// ("a IS NOT NULL AND b IS NOT NULL").
func writeEach(b *sbuf, cols []string, suffix, sep string) {
	for i, col := range cols {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(col)
		b.WriteString(suffix)
	}
}

// writeLast writes the last operand of an op chain: a constant as its
// text, an operand of the same operator without parentheses.
func writeLast(b *sbuf, f *frag, op prec) {
	if f.k != fSQL {
		b.WriteString(f.sqlText())
	} else if f.prec == op || f.prec == pAtom {
		b.WriteString(f.sql)
	} else {
		b.writeByte('(')
		b.WriteString(f.sql)
		b.writeByte(')')
	}
}

func writeOperand(b *sbuf, f *frag, op prec) {
	// Parenthesize anything that is not an atom, so that mixed AND/OR
	// always read unambiguously.
	if f.prec != pAtom {
		b.writeByte('(')
		b.WriteString(f.sql)
		b.writeByte(')')
	} else {
		b.WriteString(f.sqlText()) // a constant (an absorbing last part) moved ahead by writePlain
	}
}

// not negates a fragment: a NULL that stands for false becomes true (NOT
// COALESCE(x, FALSE)); a NULL that stands for an error stays NULL (NOT (x)).
func (c *compiler) not(f frag) frag {
	switch f.k {
	case fTrue:
		return fragFalse
	case fFalse:
		return fragTrue
	}
	var sql string
	if f.valNull {
		sql = c.m.cat("NOT COALESCE(", f.sql, ", FALSE)")
	} else if f.prec == pAtom && strings.HasPrefix(f.sql, "EXISTS (") {
		sql = c.m.cat("NOT ", f.sql)
	} else {
		sql = c.m.cat("NOT (", f.sql, ")")
	}
	return frag{sql: sql, args: f.args, errNull: f.errNull, guard: f.guard, sub: f.sub}
}
