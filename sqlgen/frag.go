package sqlgen

import (
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
	// prec is the top-level operator, for parenthesization.
	prec prec
}

type fragKind uint8

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

// loosen returns the loose variant of f (see frag.loose).
func loosen(f frag) frag {
	if f.loose != nil {
		return *f.loose
	}
	return f
}

func atom(sql string, valNull bool, args ...any) frag {
	return frag{sql: sql, args: args, valNull: valNull}
}

func errAtom(guard []string, sql string, args ...any) frag {
	return frag{sql: sql, args: args, errNull: true, guard: guard}
}

// coalesce makes a valNull fragment two-valued.
func coalesce(f frag) frag {
	if !f.valNull || f.k != fSQL {
		return f
	}
	if len(f.nguard) > 0 && f.prec == pAtom {
		sql := f.sql
		for _, g := range f.nguard {
			sql += " AND " + g + " IS NOT NULL"
		}
		return frag{sql: sql, args: f.args, errNull: f.errNull, guard: f.guard, prec: pAnd}
	}
	return frag{sql: "COALESCE(" + f.sql + ", FALSE)", args: f.args, errNull: f.errNull, guard: f.guard}
}

// falseSQL is how a constant false condition is written when it must be
// written (deny-all, or a false operand that cannot be folded away).
const falseSQL = "1=0"

// sqlText returns the fragment's SQL text, writing constants out.
func (f frag) sqlText() string {
	switch f.k {
	case fTrue:
		return "1=1"
	case fFalse:
		return falseSQL
	}
	return f.sql
}

// and conjoins fragments, folding constants.
func and(fs ...frag) frag { return join(fs, pAnd, false) }

// or disjoins fragments, folding constants.
func or(fs ...frag) frag { return join(fs, pOr, false) }

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
func join(fs []frag, op prec, exact bool) frag {
	absorb, unit := fFalse, fTrue // AND
	if op == pOr {
		absorb, unit = fTrue, fFalse
	}
	parts := fs[:0] // compacted in place: callers pass fresh slices
	for _, f := range fs {
		if f.k == unit {
			continue
		}
		parts = append(parts, f)
		if f.k == absorb {
			break // later parts are never evaluated
		}
	}
	n := len(parts)
	switch n {
	case 0:
		return frag{k: unit}
	case 1:
		return parts[0]
	}
	hasErr := false
	for _, p := range parts[:n-1] {
		hasErr = hasErr || p.errNull
	}
	if parts[n-1].k == absorb && (!hasErr || (!exact && op == pAnd)) {
		return parts[n-1]
	}
	if !exact && op == pAnd {
		hasErr = false // plain AND
		for i := range parts {
			parts[i] = loosen(parts[i])
			parts[i].errNull = false
		}
	}
	if !exact && op == pOr {
		if !hasErr {
			for i := range parts {
				parts[i] = loosen(parts[i])
			}
		} else {
			return looseOr(parts)
		}
	}
	var orig []frag
	if exact && (hasErr || hasLoose(parts)) {
		orig = slices.Clone(parts)
	}
	if exact && (hasErr || parts[n-1].errNull) || (op == pOr && hasErr) {
		for i := range parts {
			parts[i] = coalesce(parts[i])
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
		res = joinPlain(parts[k:], op)
	}
	for i := k - 1; i >= 0; i-- {
		res = joinStep(parts[i], res, op)
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
			l = looseOr(orig)
		} else {
			for i := range orig {
				orig[i] = loosen(orig[i])
				orig[i].errNull = false
			}
			l = join(orig, pAnd, false)
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
func looseOr(parts []frag) frag {
	var prefix []string
	var arms []frag
	for i, p := range parts {
		if p.errNull && len(p.guard) == 0 && i < len(parts)-1 {
			rest := looseOr(parts[i+1:])
			step := joinStep(coalesce(p), rest, pOr)
			arms = append(arms, withPrefix(prefix, step))
			break
		}
		arms = append(arms, withPrefix(prefix, loosen(p)))
		if p.errNull {
			for _, g := range p.guard {
				if c := g + " IS NOT NULL"; !slices.Contains(prefix, c) {
					prefix = append(prefix, c)
				}
			}
		}
	}
	for i := range arms {
		arms[i].errNull = false // arms are only read for "true"
	}
	out := or(arms...)
	out.errNull, out.guard, out.loose = false, nil, nil
	out.valNull = out.k == fSQL
	return out
}

// withPrefix is `g1 AND g2 AND f` (guards that are plain column tests).
func withPrefix(prefix []string, f frag) frag {
	if len(prefix) == 0 || f.k == fFalse {
		return f
	}
	parts := make([]frag, 0, len(prefix)+1)
	for _, g := range prefix {
		parts = append(parts, atom(g, false))
	}
	f.errNull = false
	return join(append(parts, f), pAnd, false)
}

// joinStep returns `p op res` (see join).
func joinStep(p, res frag, op prec) frag {
	sep := " AND "
	if op == pOr {
		sep = " OR "
	}
	out := frag{prec: op, valNull: p.valNull || res.valNull, errNull: p.errNull || res.errNull}
	var b strings.Builder
	b.Grow(len(p.sql) + len(res.sql) + 16)
	writeOperand(&b, p, op)
	out.args = make([]any, 0, len(p.args)+len(res.args))
	out.args = append(out.args, p.args...)
	b.WriteString(sep)
	if !p.errNull {
		if res.k != fSQL { // an absorbing constant after an error part
			b.WriteString(res.sqlText())
		} else if res.prec == op || res.prec == pAtom {
			b.WriteString(res.sql)
		} else {
			b.WriteString("(" + res.sql + ")")
		}
		out.args = append(out.args, res.args...)
		out.sql = b.String()
		return out
	}
	// p may be an error: make it stop the evaluation.
	if len(p.guard) == 0 {
		// A simple CASE evaluates p once (a searched CASE or p IS NOT NULL
		// would repeat it, and nesting would grow the SQL exponentially):
		//   OR:  CASE (p) WHEN TRUE THEN TRUE WHEN FALSE THEN res END
		//   AND: CASE (p) WHEN TRUE THEN res WHEN FALSE THEN FALSE END
		// A NULL p matches no WHEN: the result is NULL.
		var b strings.Builder
		b.WriteString("CASE (" + p.sql + ") WHEN TRUE THEN ")
		args := append([]any{}, p.args...)
		if op == pOr {
			b.WriteString("TRUE WHEN FALSE THEN " + res.sqlText() + " END")
		} else {
			b.WriteString(res.sqlText() + " WHEN FALSE THEN FALSE END")
		}
		args = append(args, res.args...)
		return frag{sql: b.String(), args: args, errNull: true}
	}
	parts := make([]string, len(p.guard))
	for i, g := range p.guard {
		if op == pOr {
			parts[i] = g + " IS NOT NULL"
		} else {
			parts[i] = g + " IS NULL"
		}
	}
	guard := strings.Join(parts, " OR ")
	inner := " OR "
	if op == pOr {
		guard = strings.Join(parts, " AND ")
		inner = " AND "
	}
	b.WriteByte('(')
	b.WriteString(guard)
	if (op == pOr && res.k == fTrue) || (op == pAnd && res.k == fFalse) {
		b.WriteByte(')')
	} else {
		b.WriteString(inner)
		if res.prec == pAtom {
			b.WriteString(res.sql)
		} else {
			b.WriteString("(" + res.sql + ")")
		}
		out.args = append(out.args, res.args...)
		b.WriteByte(')')
	}
	out.sql = b.String()
	return out
}

// joinPlain is the right fold of joinStep over parts (at least two) none
// of which but the last may be an error, written in one builder.
func joinPlain(parts []frag, op prec) frag {
	out := frag{prec: op}
	size, nargs := 0, 0
	for _, p := range parts {
		size += len(p.sql) + 7
		nargs += len(p.args)
		out.valNull = out.valNull || p.valNull
		out.errNull = out.errNull || p.errNull
	}
	var b strings.Builder
	b.Grow(size)
	out.args = writePlain(&b, parts, op, make([]any, 0, nargs))
	out.sql = b.String()
	return out
}

// writePlain writes the SQL of joinPlain(parts, op) to b and returns args
// with the parts' arguments appended.
func writePlain(b *strings.Builder, parts []frag, op prec, args []any) []any {
	sep := " AND "
	if op == pOr {
		sep = " OR "
	}
	n := len(parts)
	for _, p := range parts[:n-1] {
		writeOperand(b, p, op)
		b.WriteString(sep)
		args = append(args, p.args...)
	}
	last := parts[n-1]
	if last.k != fSQL {
		b.WriteString(last.sqlText())
	} else if last.prec == op || last.prec == pAtom {
		b.WriteString(last.sql)
	} else {
		b.WriteByte('(')
		b.WriteString(last.sql)
		b.WriteByte(')')
	}
	return append(args, last.args...)
}

// writeWhere writes " WHERE " and the SQL of and(where...) to b if that is
// not a constant, and returns args with its arguments appended. where is
// compacted in place.
func writeWhere(b *strings.Builder, where []frag, args []any) []any {
	parts := where[:0]
	for _, f := range where {
		if f.k == fTrue {
			continue
		}
		parts = append(parts, f)
		if f.k == fFalse {
			break
		}
	}
	n := len(parts)
	if n == 0 || parts[n-1].k != fSQL {
		return args // true (no condition) or false (not written, as by and)
	}
	b.WriteString(" WHERE ")
	if n == 1 {
		b.WriteString(parts[0].sql)
		return append(args, parts[0].args...)
	}
	for i := range parts {
		parts[i] = loosen(parts[i])
	}
	return writePlain(b, parts, pAnd, args)
}

func writeOperand(b *strings.Builder, f frag, op prec) {
	// Parenthesize anything that is not an atom, so that mixed AND/OR
	// always read unambiguously.
	if f.prec != pAtom {
		b.WriteByte('(')
		b.WriteString(f.sql)
		b.WriteByte(')')
	} else {
		b.WriteString(f.sql)
	}
}

// not negates a fragment: a NULL that stands for false becomes true (NOT
// COALESCE(x, FALSE)); a NULL that stands for an error stays NULL (NOT (x)).
func not(f frag) frag {
	switch f.k {
	case fTrue:
		return fragFalse
	case fFalse:
		return fragTrue
	}
	var sql string
	if f.valNull {
		sql = "NOT COALESCE(" + f.sql + ", FALSE)"
	} else if f.prec == pAtom && strings.HasPrefix(f.sql, "EXISTS (") {
		sql = "NOT " + f.sql
	} else {
		sql = "NOT (" + f.sql + ")"
	}
	return frag{sql: sql, args: f.args, errNull: f.errNull, guard: f.guard}
}
