package sqlgen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ursa-authz/ursa/partial"
)

// inSet compiles `path in fixpoint(pred)` as `key IN (WITH RECURSIVE ...)`
// (Postgres: `key = ANY(ARRAY(WITH RECURSIVE ...))`).
func (c *compiler) inSet(sc *binding, x *partial.InSet) (frag, error) {
	if x == nil {
		return frag{}, fmt.Errorf("%w: nil in-set", ErrInvalidFilter)
	}
	pred := c.preds[x.Pred]
	if pred == nil {
		return frag{}, fmt.Errorf("%w: predicate %q is not defined in the filter", ErrInvalidFilter, x.Pred)
	}
	if slices.Contains(c.predStack, x.Pred) {
		return frag{}, fmt.Errorf("%w: predicate %q is used recursively in a way SQL recursion cannot express (mutual or non-linear recursion, or recursion under not)", ErrUnsupported, x.Pred)
	}
	c.keyInSet = true // the path is resolved first, by leaf
	return c.leaf(sc, []partial.Path{x.Path}, false, func(rs []resolved) (frag, error) {
		r := rs[0]
		if !r.object || r.typ != pred.Type {
			return frag{}, fmt.Errorf("%w: %s is not a %s object (predicate %s)", ErrInvalidFilter, pathString(x.Path), pred.Type, pred.Name)
		}
		q, empty, err := c.predQuery(pred)
		if err != nil {
			return frag{}, err
		}
		if empty {
			return fragFalse, nil
		}
		b := c.m.builder()
		var errNull, valNull bool
		for _, ref := range r.refs {
			errNull = errNull || ref.missing
			valNull = valNull || ref.nullable
		}
		switch {
		case len(r.refs) == 1 && c.d == Postgres:
			b.WriteString(r.refs[0].sql)
			b.WriteString(" = ANY(ARRAY(")
			b.WriteString(q.sql)
			b.WriteString("))")
		case len(r.refs) == 1:
			b.WriteString(r.refs[0].sql)
			b.WriteString(" IN (")
			b.WriteString(q.sql)
			b.WriteString(")")
		default:
			b.writeByte('(')
			for i, ref := range r.refs {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(ref.sql)
			}
			b.WriteString(") IN (")
			b.WriteString(q.sql)
			b.WriteString(")")
		}
		return frag{sql: b.String(), args: q.args, errNull: errNull, valNull: valNull && !errNull, sub: subAny}, nil
	})
}

// predQuery returns the query of the keys of the least fixpoint of pred:
//
//	WITH RECURSIVE p (k) AS (
//	  SELECT x.k FROM t AS x WHERE <base branches>
//	  UNION
//	  SELECT x.k FROM t AS x JOIN ... JOIN p ON p.k = <link> WHERE <rest>
//	) SELECT p.k FROM p
//
// UNION (not UNION ALL) makes cyclic data terminate. Each recursive branch
// references the CTE exactly once, as an inner JOIN (Postgres, MySQL/MariaDB
// and SQLite all forbid the reference inside a subquery); to-many relations
// on the way to it become JOINs too. Several recursive branches are combined
// into one recursive term over a derived table of edges, because Postgres
// allows only one recursive term. empty reports an empty set (no base case).
func (c *compiler) predQuery(p *partial.Pred) (q frag, empty bool, err error) {
	t, err := c.s.table(p.Type)
	if err != nil {
		return frag{}, false, err
	}
	if len(c.predStack) > 64 {
		return frag{}, false, fmt.Errorf("%w: predicates nested too deeply", ErrUnsupported)
	}
	c.predStack = append(c.predStack, p.Name)
	exact := c.exact
	c.exact = false // membership is computed on its own; the caller negates
	defer func() { c.predStack = c.predStack[:len(c.predStack)-1]; c.exact = exact }()
	for name, q := range p.Body.Preds {
		if _, ok := c.preds[name]; !ok {
			c.preds[name] = q
		}
	}

	var base, rec []partial.Branch
	for _, br := range p.Body.Branches {
		var split [2]partial.Branch
		for _, sb := range splitRec(split[:0], br, p.Name) {
			n, underNot := countRefs(sb.Conds, p.Name, false)
			switch {
			case underNot:
				return frag{}, false, fmt.Errorf("%w: predicate %s refers to itself under not (not stratified)", ErrUnsupported, p.Name)
			case n > 1:
				return frag{}, false, fmt.Errorf("%w: predicate %s refers to itself more than once in one rule (non-linear recursion)", ErrUnsupported, p.Name)
			case n == 1:
				rec = append(rec, sb)
			default:
				base = append(base, sb)
			}
		}
	}
	if len(base) == 0 {
		return frag{}, true, nil
	}
	tn, err := c.quote(t.Name, true)
	if err != nil {
		return frag{}, false, err
	}
	pk := c.m.strs.take(len(t.PK))
	for i, k := range t.PK {
		if pk[i], err = c.quote(k, false); err != nil {
			return frag{}, false, err
		}
	}
	c.push()
	defer c.pop()
	selectKeys := func(b *sbuf, al string, as []string) {
		for i, k := range pk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(al)
			b.writeByte('.')
			b.WriteString(k)
			if as != nil {
				b.WriteString(" AS ")
				b.WriteString(as[i])
			}
		}
	}

	// anchor
	al, err := c.newAlias(t.Name)
	if err != nil {
		return frag{}, false, err
	}
	x := c.m.obj(object{t: t, typ: p.Type, alias: al})
	sc := c.m.bind(binding{name: p.Param, obj: x, frame: c.frame})
	plainIn := c.plainIn
	c.plainIn = len(rec) > 0 && len(base) == 1
	cond, err := c.filter(sc, &partial.Filter{Type: p.Type, Branches: base})
	c.plainIn = plainIn
	if err != nil {
		return frag{}, false, err
	}
	if cond.k == fFalse {
		return frag{}, true, nil
	}
	cte := ""
	if len(rec) > 0 {
		if cte, err = c.newAlias(predIdent(p.Name)); err != nil {
			return frag{}, false, err
		}
	}
	b := c.m.builder()
	var args [][]any // of the WHEREs, in order
	if len(rec) > 0 {
		b.WriteString("WITH RECURSIVE ")
		b.WriteString(cte)
		b.WriteString(" (")
		b.WriteString(strings.Join(pk, ", "))
		b.WriteString(") AS (")
	}
	b.WriteString("SELECT ")
	selectKeys(&b, al, nil)
	b.WriteString(" FROM ")
	b.WriteString(tn)
	b.WriteString(" AS ")
	b.WriteString(al)
	if cond.k == fSQL {
		b.WriteString(" WHERE ")
		b.WriteString(cond.sql)
		args = append(args, cond.args)
	}
	if len(rec) == 0 {
		return frag{sql: b.String(), args: c.m.args(args...)}, false, nil
	}

	type step struct {
		al    string
		joins string
		link  []colRef
		where frag
	}
	var stepBuf [2]step
	steps := stepBuf[:0]
	for _, br := range rec {
		al, err := c.newAlias(t.Name)
		if err != nil {
			return frag{}, false, err
		}
		st := step{al: al}
		joins := c.m.builder()
		var where []frag
		sc := c.m.bind(binding{name: p.Param, obj: c.m.obj(object{t: t, typ: p.Type, alias: al}), frame: c.frame})
		if err := c.recConds(sc, br.Conds, p, &joins, &where, &st.link); err != nil {
			return frag{}, false, err
		}
		st.joins, st.where = joins.String(), c.and(where...)
		if st.where.k == fFalse {
			continue
		}
		steps = append(steps, st)
	}
	cteJoin := func(b *sbuf, link []string) {
		b.WriteString(" JOIN ")
		b.WriteString(cte)
		b.WriteString(" ON ")
		for i, k := range pk {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(cte)
			b.writeByte('.')
			b.WriteString(k)
			b.WriteString(" = ")
			b.WriteString(link[i])
		}
	}
	where := func(b *sbuf, w frag) {
		if w.k == fSQL {
			b.WriteString(" WHERE ")
			b.WriteString(w.sql)
			args = append(args, w.args)
		}
	}
	from := func(b *sbuf, al, joins string) {
		b.WriteString(" FROM ")
		b.WriteString(tn)
		b.WriteString(" AS ")
		b.WriteString(al)
		b.WriteString(joins)
	}
	switch len(steps) {
	case 0:
		// only rules that can never hold: the anchor is the whole set
	case 1:
		st := steps[0]
		b.WriteString(" UNION SELECT ")
		selectKeys(&b, st.al, nil)
		from(&b, st.al, st.joins)
		link := make([]string, len(st.link))
		for i, l := range st.link {
			link[i] = l.sql
		}
		cteJoin(&b, link)
		where(&b, st.where)
	default:
		kAs := make([]string, len(pk))
		pAs := make([]string, len(pk))
		for i := range pk {
			kAs[i], _ = c.quote(fmt.Sprintf("k_%d", i+1), false)
			pAs[i], _ = c.quote(fmt.Sprintf("p_%d", i+1), false)
		}
		eal, err := c.newAlias("edges")
		if err != nil {
			return frag{}, false, err
		}
		b.WriteString(" UNION SELECT ")
		for i, k := range kAs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(eal)
			b.writeByte('.')
			b.WriteString(k)
		}
		b.WriteString(" FROM (")
		for i, st := range steps {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			b.WriteString("SELECT ")
			selectKeys(&b, st.al, kAs)
			for j, l := range st.link {
				b.WriteString(", ")
				b.WriteString(l.sql)
				b.WriteString(" AS ")
				b.WriteString(pAs[j])
			}
			from(&b, st.al, st.joins)
			where(&b, st.where)
		}
		b.WriteString(") AS ")
		b.WriteString(eal)
		link := make([]string, len(pAs))
		for i, pa := range pAs {
			link[i] = c.m.cat(eal, ".", pa)
		}
		cteJoin(&b, link)
	}
	b.WriteString(") SELECT ")
	selectKeys(&b, cte, nil)
	b.WriteString(" FROM ")
	b.WriteString(cte)
	return frag{sql: b.String(), args: c.m.args(args...)}, false, nil
}

// recConds compiles the conditions of a recursive rule in join mode: the one
// condition that refers to the predicate (directly, or inside a chain of
// single-branch exists) becomes JOINs ending at the CTE's link; the others
// are WHERE conditions.
func (c *compiler) recConds(sc *binding, conds []partial.Cond, p *partial.Pred, joins *sbuf, where *[]frag, link *[]colRef) error {
	for _, cd := range conds {
		if n, _ := countRefs([]partial.Cond{cd}, p.Name, false); n == 0 {
			f, err := c.cond(sc, cd)
			if err != nil {
				return err
			}
			*where = append(*where, f)
			continue
		}
		switch x := cd.(type) {
		case *partial.InSet:
			ctx := &leafCtx{}
			c.keyInSet = true // joined with the set's keys: existing rows only
			r, err := c.resolve(sc, ctx, x.Path)
			if err != nil {
				return err
			}
			if !r.object || r.typ != p.Type {
				return fmt.Errorf("%w: %s is not a %s object (predicate %s)", ErrInvalidFilter, pathString(x.Path), p.Type, p.Name)
			}
			c.writeJoins(joins, ctx.items)
			*link = r.refs
		case *partial.Exists:
			if len(x.Over.Fields) == 0 || len(x.Cond.Branches) != 1 {
				return fmt.Errorf("%w: recursive reference in exists over %s", ErrUnsupported, pathString(x.Over))
			}
			ctx := &leafCtx{}
			o, _, rel, _, err := c.walk(sc, ctx, x.Over, true)
			if err != nil {
				return err
			}
			refs := c.m.refs.take(len(rel.References))
			for i, ref := range rel.References {
				if refs[i], err = c.field(ctx, o, ref); err != nil {
					return err
				}
			}
			tt, err := c.s.table(rel.Target)
			if err != nil {
				return err
			}
			items, elem, err := c.elementItems(nil, rel, tt, refs, false)
			if err != nil {
				return err
			}
			c.writeJoins(joins, ctx.items)
			c.writeJoins(joins, items)
			inner := c.m.bind(binding{name: x.Var, obj: elem, frame: c.frame, parent: sc})
			if err := c.recConds(inner, x.Cond.Branches[0].Conds, p, joins, where, link); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: predicate %s refers to itself inside %T", ErrUnsupported, p.Name, cd)
		}
	}
	return nil
}

func (c *compiler) writeJoins(b *sbuf, items []hopItem) {
	for _, it := range items {
		b.WriteString(" JOIN ")
		b.WriteString(it.table)
		b.WriteString(" AS ")
		b.WriteString(it.alias)
		b.WriteString(" ON ")
		writeLinkEq(b, it.inner, it.outer)
	}
}

// countRefs counts InSet references to pred in conds, and reports whether
// one occurs under a negation.
func countRefs(conds []partial.Cond, pred string, negated bool) (n int, underNot bool) {
	for _, cd := range conds {
		switch x := cd.(type) {
		case *partial.InSet:
			if x.Pred == pred {
				n++
				underNot = underNot || negated
			}
		case *partial.Not:
			m, u := countRefs([]partial.Cond{x.C}, pred, true)
			n, underNot = n+m, underNot || u || (m > 0)
		case *partial.Exists:
			for _, b := range x.Cond.Branches {
				m, u := countRefs(b.Conds, pred, negated)
				n, underNot = n+m, underNot || u
			}
		}
	}
	return n, underNot
}

// splitRec appends to dst the branches of br after distributing
// exists-conditions with several branches that refer to pred:
// exists v in r: (A or B) == (exists v in r: A) or (exists v in r: B),
// so each resulting branch refers to pred along a single chain.
func splitRec(dst []partial.Branch, br partial.Branch, pred string) []partial.Branch {
	for i, cd := range br.Conds {
		x, ok := cd.(*partial.Exists)
		if !ok {
			continue
		}
		if n, _ := countRefs([]partial.Cond{x}, pred, false); n == 0 {
			continue
		}
		if len(x.Cond.Branches) == 1 {
			inner := splitRec(nil, x.Cond.Branches[0], pred)
			if len(inner) == 1 {
				continue
			}
		}
		out := dst
		for _, eb := range x.Cond.Branches {
			for _, sb := range splitRec(nil, eb, pred) {
				nx := *x
				nx.Cond = partial.Filter{Type: x.Cond.Type, Branches: []partial.Branch{sb}, Preds: x.Cond.Preds}
				conds := slices.Clone(br.Conds)
				conds[i] = &nx
				out = splitRec(out, partial.Branch{Conds: conds}, pred)
			}
		}
		return out
	}
	return append(dst, br)
}

// predIdent makes a CTE name from a predicate name.
func predIdent(name string) string {
	if isPlainIdent(name) {
		return name // what predIdentSlow returns for it
	}
	return predIdentSlow(name)
}

func predIdentSlow(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" {
		return "rec"
	}
	return s
}

// isPlainIdent reports whether name is non-empty, of [a-z0-9_] only, and
// neither starts nor ends with '_'.
func isPlainIdent(name string) bool {
	if name == "" || name[0] == '_' || name[len(name)-1] == '_' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if ch := name[i]; !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}
