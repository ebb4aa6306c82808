package sqlgen

import "strings"

// frag is a compiled boolean SQL fragment with its bind arguments, or a
// constant. Fragments use `?` placeholders; the dialect's placeholder format
// is applied only to the outermost statement.
type frag struct {
	k    fragKind
	sql  string
	args []any
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

func atom(sql string, valNull bool, args ...any) frag {
	return frag{sql: sql, args: args, valNull: valNull}
}

func errAtom(sql string, args ...any) frag {
	return frag{sql: sql, args: args, errNull: true}
}

// coalesce makes a valNull fragment two-valued.
func coalesce(f frag) frag {
	if !f.valNull || f.k != fSQL {
		return f
	}
	return frag{sql: "COALESCE(" + f.sql + ", FALSE)", args: f.args, errNull: f.errNull}
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

// join combines fragments with AND or OR. fix makes the result negatable:
// when some part is errNull, valNull parts are coalesced to two-valued, so
// that a NULL of the result always means an error. (Only needed under a
// negation; elsewhere every NULL reads as false and the plain form keeps
// the planner's index use.)
func join(fs []frag, op prec, fix bool) frag {
	absorb, unit := fFalse, fTrue // AND
	sep := " AND "
	if op == pOr {
		absorb, unit = fTrue, fFalse
		sep = " OR "
	}
	n := 0
	var last frag
	for _, f := range fs {
		if f.k == absorb {
			return f
		}
		if f.k == unit {
			continue
		}
		n++
		last = f
	}
	switch n {
	case 0:
		return frag{k: unit}
	case 1:
		return last
	}
	var b strings.Builder
	out := frag{prec: op}
	first := true
	hasErr := false
	for _, f := range fs {
		hasErr = hasErr || (fix && f.errNull)
	}
	for _, f := range fs {
		if f.k != fSQL {
			continue
		}
		if hasErr {
			f = coalesce(f)
		}
		if !first {
			b.WriteString(sep)
		}
		first = false
		// Parenthesize anything that is not an atom, so that mixed AND/OR
		// always read unambiguously.
		if f.prec != pAtom {
			b.WriteByte('(')
			b.WriteString(f.sql)
			b.WriteByte(')')
		} else {
			b.WriteString(f.sql)
		}
		out.args = append(out.args, f.args...)
		out.valNull = out.valNull || f.valNull
		out.errNull = out.errNull || f.errNull
	}
	out.sql = b.String()
	return out
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
	return frag{sql: sql, args: f.args, errNull: f.errNull}
}
