package sqlgen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ursa-authz/ursa/partial"
)

// compiler turns one filter into SQL. It is used once, by one goroutine.
type compiler struct {
	s     *Schema
	d     Dialect
	preds map[string]*partial.Pred
	n     int // alias counter: every alias and CTE name in one statement is unique
	// stk holds the operands of the ANDs/ORs being compiled (branch,
	// filter): each call appends above the part that is in use, joins its
	// own operands and truncates back, so one slice serves the statement.
	stk []frag
	// cstk holds the conditions of the branches being compiled that
	// dropNilGuards shortened, the same way.
	cstk []partial.Cond

	// frame is the current subquery nesting depth; corr[i] is set when a
	// condition inside frame i refers to a variable bound outside it.
	frame int
	corr  []bool

	m    *mem                  // text and args of the fragments (see mem)
	memo [memoSize]*quotedName // recently quoted identifiers (see quote)

	predStack []string // predicates being compiled (to refuse mutual recursion)
	nilErrors bool     // Options.NilErrors
	alias     string   // Options.Alias
	// keyInSet: the next walk resolves the path of `path in <recursive
	// set>`. The set holds keys of existing rows only, so a last
	// belongs-to step may use its key even when not Enforced: a dangling
	// key is in no set (false; with NilErrors the row is still read, so a
	// dangling key stays an error). Consumed by that walk.
	keyInSet bool
	// exact: the fragment being compiled must tell an error (NULL) from
	// false, because it is negated or a later operand of OR/AND depends on
	// it. Otherwise only "true" matters and simpler, planner-friendly
	// shapes are used (see join and wrap).
	exact bool
	// plainIn: compiling the anchor of a recursive CTE whose conditions are
	// ANDed only (one branch). There, `= ANY(ARRAY(...))` misleads the
	// Postgres planner (it assumes 10 array rows, then hash-joins with a
	// sequential scan on every recursive step); `IN (SELECT ...)` lets it use
	// the indexes. Under OR, ANY(ARRAY) stays the better shape. Measured in
	// integration/bigbench (docs/benchmarks.md, "Postgres at scale").
	plainIn bool

	// the direct path's plan and text (direct.go)
	dconds    []dcond
	dbranches []dbranch
	dvals     []any
	dbuf      []byte
	smemo     [smemoSize]smemo // (see squote)
}

// colRef is a column expression usable in the current frame.
type colRef struct {
	sql string
	// nullable: NULL is a legitimate value of the column (Go nil).
	nullable bool
	// missing: the column is read through a to-one relation that may be
	// absent (a NULL foreign key); NULL then means "no related object" and any
	// comparison through it is false (its negation true).
	missing bool
	// hop: index+1 of the leaf hop that provides the column, 0 if it comes
	// from outside the leaf context.
	hop int
}

// object is a row reached by a path: either a real alias, or a virtual row of
// which only some columns are known as expressions (e.g. the Org of a Repo is
// known through repos.org_id without reading the orgs table).
type object struct {
	t     *Table
	typ   string
	alias string // quoted alias; "" for a virtual object
	hop   int
	vcols []string // virtual: columns of t ...
	vrefs []colRef // ... and the expressions that hold their values
}

// binding binds a filter variable to an object in a frame.
type binding struct {
	name   string
	obj    *object
	frame  int
	parent *binding
}

func (c *compiler) lookup(sc *binding, name string) (*object, error) {
	for b := sc; b != nil; b = b.parent {
		if b.name == name {
			for i := b.frame + 1; i <= c.frame; i++ {
				c.corr[i] = true
			}
			return b.obj, nil
		}
	}
	return nil, fmt.Errorf("%w: unbound variable %q", ErrInvalidFilter, name)
}

func (c *compiler) push() {
	c.frame++
	if len(c.corr) <= c.frame {
		c.corr = append(c.corr, false)
	}
	c.corr[c.frame] = false
}

func (c *compiler) pop() bool {
	corr := c.corr[c.frame]
	c.frame--
	return corr
}

// quoted caches quoted identifiers (schemas are small and long-lived), one
// map per dialect and qualification, keyed by the name: a map that is never
// modified once published, read without locking (cheaper than sync.Map on
// this hot path) and replaced by a copy on a miss. Each compiler keeps the
// entries it used last in memo (a map lookup per column reference was ~7%
// of a compilation).
var (
	quoted   [2 * (SQLite + 1)]atomic.Pointer[map[string]*quotedName]
	quotedMu sync.Mutex
)

// quotedName is a cached identifier: name (a copy, never changed) quoted
// as q for one dialect and qualification.
type quotedName struct {
	name, q   string
	d         Dialect
	qualified bool
}

// maxQuoted bounds each map (identifiers come from schemas, but a process
// may build many): past it, the map starts over.
const maxQuoted = 4096

// memoSize is the number of entries of a compiler's memo (a power of two).
const memoSize = 128

// quote quotes an identifier; qualified names are split at dots.
func (c *compiler) quote(name string, qualified bool) (string, error) {
	if !c.d.valid() {
		return "", fmt.Errorf("%w: dialect %v", ErrUnsupported, c.d)
	}
	if name == "" {
		_, err := c.d.appendQuoted(nil, name, qualified)
		return "", err
	}
	h := len(name)*31 + int(name[0])*7 + int(name[len(name)/2])*17 + int(name[len(name)-1])*13 + int(c.d)*3
	if qualified {
		h += 61
	}
	slot := &c.memo[h&(memoSize-1)]
	if e := *slot; e != nil && e.name == name && e.d == c.d && e.qualified == qualified {
		return e.q, nil
	}
	e, err := quoteCached(c.d, name, qualified)
	if err != nil {
		return "", err
	}
	*slot = e
	return e.q, nil
}

// quoteCached returns name's entry of the shared cache, adding it.
func quoteCached(d Dialect, name string, qualified bool) (*quotedName, error) {
	cache := &quoted[2*int(d)]
	if qualified {
		cache = &quoted[2*int(d)+1]
	}
	if m := cache.Load(); m != nil {
		if e, ok := (*m)[name]; ok {
			return e, nil
		}
	}
	qb, err := d.appendQuoted(nil, name, qualified)
	if err != nil {
		return nil, err
	}
	e := &quotedName{name: strings.Clone(name), q: string(qb), d: d, qualified: qualified}
	quotedMu.Lock()
	var next map[string]*quotedName
	if old := cache.Load(); old != nil && len(*old) < maxQuoted {
		next = make(map[string]*quotedName, len(*old)+1)
		for k, v := range *old {
			next[k] = v
		}
	} else {
		next = make(map[string]*quotedName)
	}
	next[e.name] = e
	cache.Store(&next)
	quotedMu.Unlock()
	return e, nil
}

func (c *compiler) newAlias(base string) (string, error) {
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base = base[i+1:]
	}
	q, err := c.quote(base, false)
	if err != nil {
		return "", err
	}
	c.n++
	// "base" -> "base_n": the suffix needs no escaping
	var num [20]byte
	return c.m.cat(q[:len(q)-1], "_", string(strconv.AppendInt(num[:0], int64(c.n), 10)), q[len(q)-1:]), nil
}

// col returns alias.column for a real object.
func (c *compiler) col(o *object, col string) (colRef, error) {
	q, err := c.quote(col, false)
	if err != nil {
		return colRef{}, err
	}
	return colRef{sql: c.m.cat(o.alias, ".", q), nullable: o.t.nullable(col), hop: o.hop}, nil
}

// ---- leaf contexts: to-one relations read inside one condition ----

// hopItem is a table joined inside a subquery.
type hopItem struct {
	table, alias string // quoted
	root         bool   // linked to the enclosing query (IN key or correlation)
	hasOne       bool   // reached through a has-one relation (absence is not a NULL key)
	inner        []string
	innerCols    []string // the schema's names of inner's columns ...
	innerT       *Table   // ... in this table, for their nullability (nil: never NULL)
	outer        []colRef // root: inner[i] = outer[i]; else ON inner[i] = outer[i]
}

// leafCtx collects the tables a condition must read through to-one
// relations. The condition is compiled inside it and then wrapped in one
// IN/ANY or EXISTS subquery, so a missing relation makes the condition false
// and never drops or multiplies rows of the enclosing query.
type leafCtx struct {
	items []hopItem
}

func (c *compiler) materialize(ctx *leafCtx, o *object, hasOne bool) (*object, error) {
	if o.alias != "" {
		return o, nil
	}
	if ctx == nil {
		return nil, fmt.Errorf("%w: relation read outside a condition", ErrUnsupported)
	}
	it, err := c.item(o.t.Name, o.vcols, o.t, o.vrefs)
	if err != nil {
		return nil, err
	}
	it.hasOne = hasOne
	for _, v := range o.vrefs {
		if v.hop != 0 {
			it.root = false
		}
	}
	if ctx.items == nil {
		ctx.items = c.m.hops.take(4)[:0]
	}
	ctx.items = append(ctx.items, it)
	return c.m.obj(object{t: o.t, typ: o.typ, alias: it.alias, hop: len(ctx.items)}), nil
}

// field returns the column of o for col, materializing a virtual object if
// the column is not among its known ones.
func (c *compiler) field(ctx *leafCtx, o *object, col string) (colRef, error) {
	if o.alias == "" {
		if i := slices.Index(o.vcols, col); i >= 0 {
			return o.vrefs[i], nil
		}
		var err error
		if o, err = c.materialize(ctx, o, false); err != nil {
			return colRef{}, err
		}
	}
	return c.col(o, col)
}

// key returns the primary-key columns of o with object semantics: a virtual
// to-one object that is absent has NULL keys, which compare as Go nil.
func (c *compiler) key(ctx *leafCtx, o *object) ([]colRef, bool, error) {
	if o.alias == "" {
		refs := c.m.refs.take(len(o.t.PK))[:0]
		for _, pk := range o.t.PK {
			i := slices.Index(o.vcols, pk)
			if i < 0 {
				refs = nil
				break
			}
			r := o.vrefs[i]
			refs = append(refs, colRef{sql: r.sql, nullable: r.nullable || r.missing, hop: r.hop})
		}
		if refs != nil {
			return refs, true, nil
		}
		var err error
		if o, err = c.materialize(ctx, o, false); err != nil {
			return nil, false, err
		}
		refs, _, err = c.key(ctx, o)
		return refs, false, err
	}
	refs := c.m.refs.take(len(o.t.PK))
	for i, pk := range o.t.PK {
		r, err := c.col(o, pk)
		if err != nil {
			return nil, false, err
		}
		refs[i] = r
	}
	return refs, true, nil
}

// resolved is what a path denotes.
type resolved struct {
	refs   []colRef // one column for a field; the key columns for an object
	object bool
	typ    string // object type
	// nilSafe: for an object, nil (absence) is represented by NULL keys. It
	// is false when the last relation step had to be read through a join (a
	// has-one), where absence makes the whole condition false instead.
	nilSafe bool
	obj     *object
}

// walk follows a path to its last object and optional final field. Only
// to-one relations may be crossed; toManyLast allows the last step to be a
// to-many relation (returned as rel, for Exists).
func (c *compiler) walk(sc *binding, ctx *leafCtx, p partial.Path, toManyLast bool) (o *object, fieldCol string, rel *Relation, lastHop bool, err error) {
	keyInSet := c.keyInSet
	c.keyInSet = false
	o, err = c.lookup(sc, p.Var)
	if err != nil {
		return nil, "", nil, false, err
	}
	for i, f := range p.Fields {
		last := i == len(p.Fields)-1
		colName, ok := o.t.Fields[f] // (Validate: never also a relation)
		var r *Relation
		isRel := false
		if !ok {
			r, isRel = o.t.Relations[f]
		}
		if ok || !isRel || r == nil {
			if !ok {
				colName, ok = o.t.column(f) // snake_case alias
			}
			if !ok {
				if r, isRel = o.t.relation(f); isRel {
					goto relation
				}
				return nil, "", nil, false, fmt.Errorf("%w: type %s has no field or relation %q (path %s)", ErrUnknownField, o.typ, f, pathString(p))
			}
			if colName == "" {
				return nil, "", nil, false, fmt.Errorf("%w: %s.%s maps to an empty column name", ErrInvalidIdent, o.typ, f)
			}
			if !last {
				return nil, "", nil, false, fmt.Errorf("%w: %s.%s is a field, not a relation (path %s)", ErrInvalidFilter, o.typ, f, pathString(p))
			}
			return o, colName, nil, false, nil
		}
	relation:
		tt, err := c.s.table(r.Target)
		if err != nil {
			return nil, "", nil, false, err
		}
		lastHop = false
		switch r.Kind {
		case BelongsTo:
			refs := c.m.refs.take(len(r.ForeignKey))
			for j, fk := range r.ForeignKey {
				fr, err := c.field(ctx, o, fk)
				if err != nil {
					return nil, "", nil, false, err
				}
				refs[j] = colRef{sql: fr.sql, missing: fr.nullable || fr.missing, hop: fr.hop}
			}
			o = c.m.obj(object{t: tt, typ: r.Target, vcols: r.References, vrefs: refs})
			if !r.Enforced && !(last && keyInSet && !c.nilErrors) {
				// a non-NULL key may have no row: read the row
				if o, err = c.materialize(ctx, o, true); err != nil {
					return nil, "", nil, false, err
				}
				lastHop = true
			}
		case HasOne:
			refs := c.m.refs.take(len(r.References))
			for j, ref := range r.References {
				if refs[j], err = c.field(ctx, o, ref); err != nil {
					return nil, "", nil, false, err
				}
			}
			if o, err = c.materialize(ctx, c.m.obj(object{t: tt, typ: r.Target, vcols: r.ForeignKey, vrefs: refs}), true); err != nil {
				return nil, "", nil, false, err
			}
			lastHop = true
		default:
			if last && toManyLast {
				return o, "", r, false, nil
			}
			return nil, "", nil, false, fmt.Errorf("%w: %s.%s is a to-many relation; it can only be ranged over with exists/in (path %s)", ErrUnsupported, o.typ, f, pathString(p))
		}
	}
	if toManyLast {
		return nil, "", nil, false, fmt.Errorf("%w: %s does not end at a to-many relation", ErrInvalidFilter, pathString(p))
	}
	return o, "", nil, lastHop, nil
}

// generalOnly, set by tests (export_test.go), turns the shortcuts for
// common shapes (plainCol) off, so that they can be checked against the
// general path they stand for.
var generalOnly atomic.Bool

// plainCol resolves a path var.Field that names a column of a real (not
// virtual) object, the commonest leaf: the column leaf would read (with no
// relation, hence no leaf context or subquery). ok is false for any other
// path, which the caller compiles through leaf; err is the error leaf would
// report.
func (c *compiler) plainCol(sc *binding, p partial.Path) (ref colRef, ok bool, err error) {
	if len(p.Fields) != 1 || generalOnly.Load() {
		return colRef{}, false, nil
	}
	c.keyInSet = false // consumed, as by walk
	o, err := c.lookup(sc, p.Var)
	if err != nil {
		return colRef{}, false, err
	}
	col, ok := o.t.Fields[p.Fields[0]]
	if !ok || col == "" || o.alias == "" {
		return colRef{}, false, nil
	}
	ref, err = c.col(o, col)
	return ref, true, err
}

// relKey compiles a condition on a path var.Rel.K where var is a real
// object, Rel a belongs-to relation that is not Enforced and K a field of
// its target (resource.Org.ID = 2, resource.Org.ID in [...]), the other
// common leaf: what leaf writes for it, a lookup of the related row by its
// key (`fk IN (SELECT t.k FROM t WHERE cond)`, = ANY(ARRAY(...)) on
// Postgres), without walking the path through virtual objects and a leaf
// context. build makes the condition over the target's column (as leaf's
// build over the resolved path); eq is leaf's. ok is false for any other
// path or where an error must be told from false (c.exact), which the
// caller compiles through leaf; nothing observable is changed then.
func (c *compiler) relKey(sc *binding, p partial.Path, eq bool, build func(colRef) frag) (_ frag, ok bool, _ error) {
	if len(p.Fields) != 2 || c.exact || generalOnly.Load() {
		return frag{}, false, nil
	}
	o, err := c.lookup(sc, p.Var)
	if err != nil || o.alias == "" || o.hop != 0 {
		return frag{}, false, nil // (an error: leaf reports it)
	}
	if _, isField := o.t.Fields[p.Fields[0]]; isField {
		return frag{}, false, nil
	}
	r := o.t.Relations[p.Fields[0]]
	if r == nil || r.Kind != BelongsTo || r.Enforced {
		return frag{}, false, nil
	}
	tt := c.s.Tables[r.Target]
	if tt == nil {
		return frag{}, false, nil
	}
	col, isField := tt.Fields[p.Fields[1]]
	if !isField || col == "" {
		return frag{}, false, nil
	}
	c.keyInSet = false // consumed, as by walk
	// walk: the foreign key's columns, then the target row read as a hop
	outer := c.m.refs.take(len(r.ForeignKey))
	for j, fk := range r.ForeignKey {
		fr, err := c.col(o, fk)
		if err != nil {
			return frag{}, true, err
		}
		outer[j] = colRef{sql: fr.sql, missing: fr.nullable, hop: fr.hop}
	}
	it, err := c.item(tt.Name, r.References, tt, outer)
	if err != nil {
		return frag{}, true, err
	}
	it.hasOne = true
	items := c.m.hops.take(1)
	items[0] = it
	// resolve: the column of the hop (alias 1), as col writes it
	ref := colRef{nullable: tt.nullable(col), hop: 1}
	if i := slices.Index(r.References, col); i >= 0 {
		ref.sql = it.inner[i]
	} else {
		q, err := c.quote(col, false)
		if err != nil {
			return frag{}, true, err
		}
		ref.sql = c.m.cat(it.alias, ".", q)
	}
	inner := build(ref)
	f, err := c.subquery(items, inner, false, false) // wrap, not exact
	if err == nil && eq && f.sub == subAny {
		rs := [1]resolved{{refs: []colRef{ref}}}
		if keyLookup(items, rs[:], inner, false) {
			f.sub = subKey
		}
	}
	return f, true, err
}

func (c *compiler) resolve(sc *binding, ctx *leafCtx, p partial.Path) (resolved, error) {
	o, fc, _, lastHop, err := c.walk(sc, ctx, p, false)
	if err != nil {
		return resolved{}, err
	}
	if fc != "" {
		r, err := c.field(ctx, o, fc)
		refs := c.m.refs.take(1)
		refs[0] = r
		return resolved{refs: refs}, err
	}
	refs, virtual, err := c.key(ctx, o)
	if err != nil {
		return resolved{}, err
	}
	return resolved{refs: refs, object: true, typ: o.typ, nilSafe: virtual && !lastHop || len(p.Fields) == 0, obj: o}, nil
}

func pathString(p partial.Path) string {
	if len(p.Fields) == 0 {
		return p.Var
	}
	return p.Var + "." + strings.Join(p.Fields, ".")
}

// leaf compiles a condition that reads paths, possibly through to-one
// relations: build gets the resolved paths and returns the condition over
// them; the relations read are wrapped into one subquery. eq says that the
// condition tests the paths for equality with bound values (a Compare Eq
// with a Value, an In): the subquery may then be a key lookup (subKey).
func (c *compiler) leaf(sc *binding, paths []partial.Path, eq bool, build func([]resolved) (frag, error)) (frag, error) {
	ctx := &leafCtx{}
	rs := c.m.res.take(len(paths))
	for i, p := range paths {
		r, err := c.resolve(sc, ctx, p)
		if err != nil {
			return frag{}, err
		}
		rs[i] = r
	}
	if len(ctx.items) == 0 {
		return build(rs)
	}
	c.push()
	inner, err := build(rs)
	corr := c.pop()
	if err != nil {
		return frag{}, err
	}
	for _, r := range rs {
		for _, ref := range r.refs {
			if ref.hop == 0 {
				corr = true // the condition also reads the enclosing row
			}
		}
	}
	f, err := c.wrap(ctx.items, inner, corr, true)
	if err == nil && eq && f.sub == subAny && keyLookup(ctx.items, rs, inner, corr) {
		f.sub = subKey
		if f.loose != nil {
			f.loose.sub = subKey // made by subquery for this fragment alone
		}
	}
	return f, err
}

// keyLookup reports whether the subquery of items and cond, a test for
// equality with bound values (see leaf), is a key lookup: one table read
// by its primary key, `k IN (SELECT t.pk FROM t WHERE t.pk = ? / IN (?,
// ...))` (the uncorrelated form: one root item, corr false), where cond
// reads only the selected key columns and contains no subquery. Such a
// set has at most one row per bound value, and its query is one index
// probe per value. In the IR: a path r.rel.k (or r.rel) whose to-one
// relation rel must be read (not Enforced) and references the target's
// primary key, compared with values.
func keyLookup(items []hopItem, rs []resolved, cond frag, corr bool) bool {
	if len(items) != 1 || corr || cond.k != fSQL || cond.sub != subNone || cond.errNull {
		return false
	}
	it := &items[0]
	if !it.root || it.innerT == nil || !slices.Equal(it.innerCols, it.innerT.PK) {
		return false
	}
	for _, r := range rs {
		for _, ref := range r.refs {
			if ref.hop != 1 || !slices.Contains(it.inner, ref.sql) {
				return false
			}
		}
	}
	return true
}

// wrap turns joined items and a condition over them into a condition of the
// enclosing query: `outer IN (SELECT inner FROM ... WHERE cond)` (Postgres:
// `outer = ANY(ARRAY(SELECT ...))`) when the subquery depends on the
// enclosing row only through one key, else a correlated EXISTS.
//
// hops says the items are to-one relations read by a condition. Reading
// through a missing one is an error in the decision. Where an error must be
// told from false (c.exact), the shape is a scalar subquery
// `(SELECT cond FROM ... WHERE link)`, which is NULL when a relation on the
// way is missing (to-one relations give at most one row).
func (c *compiler) wrap(items []hopItem, cond frag, corr bool, hops bool) (frag, error) {
	if !hops || !c.exact {
		return c.subquery(items, cond, corr, false)
	}
	// Exact: one to-one hop whose condition is not itself an error is
	// exact as CASE WHEN fk IS NOT NULL THEN fk IN (SELECT ...) END (with
	// referential integrity, a non-NULL key has its row); anything longer
	// needs the scalar form. Either way the loose form (plain IN/EXISTS) is
	// kept for positions where only "true" matters.
	if len(items) == 1 && !items[0].hasOne && !cond.errNull && !corr {
		// subquery sets the loose form itself when it adds the CASE
		return c.subquery(items, cond, corr, false)
	}
	exact := c.exact
	c.exact = false
	loose, err := c.subquery(items, loosen(cond), corr, false)
	c.exact = exact
	if err != nil {
		return frag{}, err
	}
	out, err := c.subquery(items, cond, corr, true)
	if err != nil {
		return frag{}, err
	}
	if loose.k == fSQL || out.k == fSQL {
		out.loose = &loose
	}
	return out, nil
}

// subquery writes the IN/ANY, EXISTS or (scalar) form of items and cond.
func (c *compiler) subquery(items []hopItem, cond frag, corr bool, scalar bool) (frag, error) {
	roots := 0
	for _, it := range items {
		if it.root {
			roots++
		}
	}
	if cond.k == fFalse && !scalar {
		// no element can match; still an error where the relation that
		// holds the elements is missing
		if g := c.missingGuard(items); g != "" && c.exact {
			return frag{sql: c.m.cat("CASE WHEN ", g, " THEN FALSE END"), errNull: true}, nil
		}
		return fragFalse, nil
	}
	useIn := !scalar && !corr && roots == 1 && items[0].root
	b := c.m.builder()
	var args []any
	anyArray := useIn && len(items[0].outer) == 1 && c.d == Postgres && !c.plainIn
	var wbuf [4]frag
	where := wbuf[:0]
	switch {
	case scalar:
		cv := c.coalesce(cond)
		b.WriteString("(SELECT ")
		b.WriteString(cv.sqlText())
		args = cv.args
		cond = fragTrue
	case useIn:
		it := items[0]
		if len(it.outer) == 1 {
			b.WriteString(it.outer[0].sql)
		} else {
			b.writeByte('(')
			for i, o := range it.outer {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(o.sql)
			}
			b.writeByte(')')
		}
		if anyArray {
			b.WriteString(" = ANY(ARRAY(SELECT ")
		} else {
			b.WriteString(" IN (SELECT ")
		}
		for i, in := range it.inner {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(in)
		}
		for i, col := range it.innerCols {
			if it.innerT != nil && it.innerT.nullable(col) {
				where = append(where, atom(c.m.cat(it.inner[i], " IS NOT NULL"), false, nil))
			}
		}
	default:
		b.WriteString("EXISTS (SELECT 1")
	}
	for i, it := range items {
		if i == 0 {
			b.WriteString(" FROM ")
		} else {
			b.WriteString(" JOIN ")
		}
		b.WriteString(it.table)
		b.WriteString(" AS ")
		b.WriteString(it.alias)
		if i == 0 && useIn {
			continue
		}
		if i == 0 {
			where = append(where, c.linkEq(it.inner, it.outer))
		} else {
			b.WriteString(" ON ")
			writeLinkEq(&b, it.inner, it.outer)
		}
	}
	where = append(where, cond)
	args = c.writeWhere(&b, where, args)
	if anyArray {
		b.WriteString("))")
	} else {
		b.writeByte(')')
	}
	out := frag{sql: b.String(), args: args, sub: subAny}
	switch {
	case scalar:
		out.errNull = true
	case useIn:
		// `k IN (SELECT ...)` is NULL exactly when k is NULL (selected
		// columns are never NULL): an error when k reads a missing relation,
		// a nil value otherwise.
		var nbuf, gbuf [4]string
		nguard, guard := nbuf[:0], gbuf[:0]
		for _, o := range items[0].outer {
			out.errNull = out.errNull || (o.missing && c.nilErrors)
			if o.nullable || (o.missing && !c.nilErrors) {
				out.valNull = true
				nguard = append(nguard, o.sql)
			}
			if o.missing {
				guard = append(guard, o.sql)
			}
		}
		out.nguard, out.guard = c.m.list(nguard...), c.m.list(guard...)
		if out.errNull {
			out.valNull = false
			if c.exact {
				// k IN (empty) is false even for a NULL k: guard it
				plain := out
				out.loose = &plain
				g := c.m.builder()
				g.WriteString("CASE WHEN ")
				writeEach(&g, out.guard, " IS NOT NULL", " AND ")
				g.WriteString(" THEN ")
				g.WriteString(out.sql)
				g.WriteString(" END")
				out.sql = g.String()
				out.prec = pAtom
			}
		}
	default:
		// EXISTS is never NULL; if the link reads a missing relation, the
		// decision errors, so where that matters guard it with CASE.
		if g := c.missingGuard(items); g != "" && c.exact {
			plain := out
			out.loose = &plain
			out.sql = c.m.cat("CASE WHEN ", g, " THEN ", out.sql, " END")
			out.errNull = true
			for _, it := range items {
				for _, o := range it.outer {
					if it.root && o.missing {
						out.guard = append(out.guard, o.sql)
					}
				}
			}
		}
	}
	return out, nil
}

// missingGuard is "every link column that reads a possibly missing
// relation IS NOT NULL", or "".
func (c *compiler) missingGuard(items []hopItem) string {
	var b *sbuf
	var buf sbuf
	for _, it := range items {
		if it.root {
			for _, o := range it.outer {
				if !o.missing {
					continue
				}
				if b == nil {
					buf = c.m.builder()
					b = &buf
				} else {
					b.WriteString(" AND ")
				}
				b.WriteString(o.sql)
				b.WriteString(" IS NOT NULL")
			}
		}
	}
	if b == nil {
		return ""
	}
	return b.String()
}

// scalarQuery is `(SELECT expr FROM items WHERE links)`.
func (c *compiler) scalarQuery(items []hopItem, expr frag) (frag, error) {
	b := c.m.builder()
	b.WriteString("(SELECT ")
	b.WriteString(expr.sql)
	for i, it := range items {
		if i == 0 {
			b.WriteString(" FROM ")
		} else {
			b.WriteString(" JOIN ")
		}
		b.WriteString(it.table)
		b.WriteString(" AS ")
		b.WriteString(it.alias)
		if i > 0 {
			b.WriteString(" ON ")
			writeLinkEq(&b, it.inner, it.outer)
		}
	}
	// the first item's link is the WHERE (a constant-free and(...))
	b.WriteString(" WHERE ")
	writeLinkEq(&b, items[0].inner, items[0].outer)
	b.writeByte(')')
	return frag{sql: b.String(), args: expr.args, sub: subAny}, nil
}

// linkEq is `inner[0] = outer[0] AND ...` (a join condition).
func (c *compiler) linkEq(inner []string, outer []colRef) frag {
	b := c.m.builder()
	writeLinkEq(&b, inner, outer)
	if len(inner) == 1 {
		return frag{sql: b.String()}
	}
	return frag{sql: b.String(), prec: pAnd}
}

func writeLinkEq(b *sbuf, inner []string, outer []colRef) {
	for i := range inner {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(inner[i])
		b.WriteString(" = ")
		b.WriteString(outer[i].sql)
	}
}

// ---- conditions ----

func (c *compiler) filter(sc *binding, f *partial.Filter) (frag, error) {
	for name, p := range f.Preds {
		if _, ok := c.preds[name]; !ok {
			if c.preds == nil {
				c.preds = map[string]*partial.Pred{}
			}
			c.preds[name] = p
		}
	}
	exact := c.exact
	if len(f.Branches) == 1 {
		return c.branch(sc, f.Branches[0].Conds) // join of one operand
	}
	start := len(c.stk)
	defer func() { c.stk = c.stk[:start] }()
	for i, br := range f.Branches {
		// A branch followed by others must tell an error from false: an
		// error stops the decision before the next branch.
		// (Only if it may be one at all: exact and loose agree otherwise.)
		c.exact = exact || (i < len(f.Branches)-1 && c.nilErrors && condsMayErr(br.Conds))
		bf, err := c.branch(sc, br.Conds)
		c.exact = exact
		if err != nil {
			return frag{}, err
		}
		c.stk = append(c.stk, bf)
		if bf.k == fTrue {
			break // later branches are never evaluated
		}
	}
	return c.join(c.stk[start:], pOr, exact), nil
}

func (c *compiler) branch(sc *binding, conds []partial.Cond) (frag, error) {
	if !c.nilErrors && len(conds) > 1 {
		cstart := len(c.cstk)
		c.cstk, conds = dropNilGuards(c.cstk, conds)
		if len(c.cstk) > cstart {
			defer func() {
				clear(c.cstk[cstart:])
				c.cstk = c.cstk[:cstart]
			}()
		}
	}
	if len(conds) == 1 {
		return c.cond(sc, conds[0]) // join of one operand
	}
	start := len(c.stk)
	defer func() { c.stk = c.stk[:start] }()
	for _, cd := range conds {
		f, err := c.cond(sc, cd)
		if err != nil {
			return frag{}, err
		}
		c.stk = append(c.stk, f)
		if f.k == fFalse {
			break // later conditions are never evaluated
		}
	}
	return c.join(c.stk[start:], pAnd, c.exact), nil
}

// dropNilGuards removes from a branch the guards `p != nil` that another
// condition of the branch implies: a comparison or list test reading a
// field through p (p.f op v). Without Options.NilErrors a read through a
// missing to-one relation is false (and its negation true), so that
// condition is already false wherever the guard is; dropping it saves a
// subquery (an EXISTS when p's key is not Enforced). conds is not modified:
// if some guard is dropped, the conditions kept are appended to dst (the
// compiler's condition stack) and returned as out; otherwise dst is
// returned as is and out is conds.
func dropNilGuards(dst, conds []partial.Cond) (_, out []partial.Cond) {
	if len(conds) < 2 {
		return dst, conds
	}
	start := -1
	for i, cd := range conds {
		g, ok := nilGuard(cd)
		if ok && slices.ContainsFunc(conds, func(o partial.Cond) bool { return readsThrough(o, g) }) {
			if start < 0 {
				start = len(dst)
				dst = append(dst, conds[:i]...)
			}
			continue
		}
		if start >= 0 {
			dst = append(dst, cd)
		}
	}
	if start < 0 {
		return dst, conds
	}
	return dst, dst[start:len(dst):len(dst)]
}

// nilGuard returns p for `p != nil` (either side) with p a relation path.
func nilGuard(cd partial.Cond) (partial.Path, bool) {
	x, ok := cd.(*partial.Compare)
	if !ok || x == nil || x.Op != partial.Neq {
		return partial.Path{}, false
	}
	p, ok := x.L.(partial.Path)
	v, vok := x.R.(partial.Value)
	if !ok {
		p, ok = x.R.(partial.Path)
		v, vok = x.L.(partial.Value)
	}
	if !ok || !vok || v.V != nil || len(p.Fields) == 0 {
		return partial.Path{}, false
	}
	return p, true
}

// readsThrough reports whether cd is a comparison or list test (not
// negated) one of whose paths strictly extends g (g.f...).
func readsThrough(cd partial.Cond, g partial.Path) bool {
	ext := func(o any) bool {
		p, ok := o.(partial.Path)
		return ok && p.Var == g.Var && len(p.Fields) > len(g.Fields) && slices.Equal(p.Fields[:len(g.Fields)], g.Fields)
	}
	switch x := cd.(type) {
	case *partial.Compare:
		return x != nil && (ext(x.L) || ext(x.R))
	case *partial.In:
		return x != nil && ext(x.L)
	}
	return false
}

func (c *compiler) cond(sc *binding, cd partial.Cond) (frag, error) {
	switch x := cd.(type) {
	case *partial.Compare:
		return c.compare(sc, x)
	case *partial.In:
		return c.in(sc, x)
	case *partial.Exists:
		return c.exists(sc, x)
	case *partial.Not:
		if x == nil || x.C == nil {
			return frag{}, fmt.Errorf("%w: empty not", ErrInvalidFilter)
		}
		exact := c.exact
		c.exact = c.nilErrors && condsMayErr([]partial.Cond{x.C})
		f, err := c.cond(sc, x.C)
		c.exact = exact
		if err != nil {
			return frag{}, err
		}
		return c.not(f), nil
	case *partial.NotFilter:
		if x == nil {
			return frag{}, fmt.Errorf("%w: empty not", ErrInvalidFilter)
		}
		exact := c.exact
		c.exact = c.nilErrors && filterMayErr(&x.F)
		f, err := c.filter(sc, &x.F)
		c.exact = exact
		if err != nil {
			return frag{}, err
		}
		return c.not(f), nil
	case *partial.InSet:
		return c.inSet(sc, x)
	case *partial.Const:
		return fragConst(x.Value), nil
	case nil:
		return frag{}, fmt.Errorf("%w: nil condition", ErrInvalidFilter)
	}
	return frag{}, fmt.Errorf("%w: condition type %T", ErrUnsupported, cd)
}

// flipOp[op] is op with its operands swapped; opSQL[op] is its SQL
// operator ("" for an unknown op). Indexed by partial.CmpOp (Eq..Geq).
var flipOp = [...]partial.CmpOp{
	partial.Eq: partial.Eq, partial.Neq: partial.Neq,
	partial.Lt: partial.Gt, partial.Gt: partial.Lt, partial.Leq: partial.Geq, partial.Geq: partial.Leq,
}

var opSQL = [...]string{
	partial.Eq: " = ", partial.Neq: " <> ", partial.Lt: " < ", partial.Leq: " <= ", partial.Gt: " > ", partial.Geq: " >= ",
}

// validOp reports whether op is a known comparison operator.
func validOp(op partial.CmpOp) bool {
	return op >= partial.Eq && int(op) < len(opSQL) && opSQL[op] != ""
}

func (c *compiler) compare(sc *binding, x *partial.Compare) (frag, error) {
	if x == nil {
		return frag{}, fmt.Errorf("%w: nil compare", ErrInvalidFilter)
	}
	if !validOp(x.Op) {
		return frag{}, fmt.Errorf("%w: unknown comparison operator %d", ErrInvalidFilter, int(x.Op))
	}
	l, r, op := x.L, x.R, x.Op
	if _, ok := l.(partial.Value); ok {
		l, r, op = r, l, flipOp[op]
	}
	switch lp := l.(type) {
	case partial.Path:
		switch rv := r.(type) {
		case partial.Value:
			v, err := bindValue(rv.V)
			if err != nil {
				return frag{}, err
			}
			if v == nil && (op == partial.Eq || op == partial.Neq) {
				if f, ok, err := c.nilRelation(sc, lp, op); ok || err != nil {
					return f, err
				}
			}
			if ref, ok, err := c.plainCol(sc, lp); ok || err != nil {
				if err != nil {
					return frag{}, err
				}
				return c.cmpColValue(ref, op, v), nil // what cmpValue does for a column
			}
			if f, ok, err := c.relKey(sc, lp, op == partial.Eq, func(ref colRef) frag {
				return c.cmpColValue(ref, op, v)
			}); ok || err != nil {
				return f, err
			}
			return c.leaf(sc, []partial.Path{lp}, op == partial.Eq, func(rs []resolved) (frag, error) {
				return c.cmpValue(rs[0], op, v, lp)
			})
		case partial.Path:
			return c.leaf(sc, []partial.Path{lp, rv}, false, func(rs []resolved) (frag, error) {
				return c.cmpPaths(rs[0], rs[1], op, lp, rv)
			})
		}
	case partial.Value:
		rv, ok := r.(partial.Value)
		if ok {
			return constCompare(op, lp.V, rv.V)
		}
	}
	return frag{}, fmt.Errorf("%w: bad compare operands %T and %T", ErrInvalidFilter, x.L, x.R)
}

// errAtom is an atom that is NULL when one of the guard columns (foreign
// keys of to-one relations on its path) is NULL. With Options.NilErrors that
// NULL is an error; by default it is false, like a nil value.
func (c *compiler) errAtom(guard []string, sql string, args []any) frag {
	if c.nilErrors {
		return errAtom(guard, sql, args)
	}
	return frag{sql: sql, args: args, valNull: true, nguard: guard}
}

// nilRelation compiles `p == nil` / `!= nil` where p's last step is a
// to-one relation whose absence is not a NULL key: a has-one, or a
// belongs-to that is not Enforced (its key may point at no row). The
// relation's row is looked up: (NOT) EXISTS (SELECT 1 FROM target WHERE
// link). Earlier steps of p are read like any other path (a missing one
// makes the test false). ok is false for other paths.
func (c *compiler) nilRelation(sc *binding, p partial.Path, op partial.CmpOp) (frag, bool, error) {
	n := len(p.Fields)
	if n == 0 {
		return frag{}, false, nil
	}
	ctx := &leafCtx{}
	o, err := c.lookup(sc, p.Var)
	if err != nil {
		return frag{}, false, err
	}
	if n > 1 {
		// the relation must be one of the object the prefix reaches; a
		// field or an unknown name is left to the general path
		if o, _, _, _, err = c.walk(sc, ctx, partial.Path{Var: p.Var, Fields: p.Fields[:n-1]}, false); err != nil {
			return frag{}, false, nil
		}
	}
	r, ok := o.t.Relations[p.Fields[n-1]]
	if !ok || r == nil || !(r.Kind == HasOne || r.Kind == BelongsTo && !r.Enforced) {
		return frag{}, false, nil
	}
	tt, err := c.s.table(r.Target)
	if err != nil {
		return frag{}, true, err
	}
	own, other := r.ForeignKey, r.References // belongs-to: fk here, ref there
	if r.Kind == HasOne {
		own, other = r.References, r.ForeignKey
	}
	refs := c.m.refs.take(len(own))
	for i, col := range own {
		if refs[i], err = c.field(ctx, o, col); err != nil {
			return frag{}, true, err
		}
	}
	build := func() (frag, error) {
		target := &leafCtx{}
		if _, err := c.materialize(target, c.m.obj(object{t: tt, typ: r.Target, vcols: other, vrefs: refs}), true); err != nil {
			return frag{}, err
		}
		ex, err := c.subquery(target.items, fragTrue, true, false) // EXISTS (SELECT 1 ... WHERE link)
		if err != nil {
			return frag{}, err
		}
		if op == partial.Eq {
			return c.not(ex), nil
		}
		return ex, nil
	}
	if len(ctx.items) == 0 {
		f, err := build()
		return f, true, err
	}
	c.push()
	inner, err := build()
	corr := c.pop()
	if err != nil {
		return frag{}, true, err
	}
	for _, ref := range refs {
		corr = corr || ref.hop == 0 // the link also reads the enclosing row
	}
	f, err := c.wrap(ctx.items, inner, corr, true)
	return f, true, err
}

// cmpValue compiles `path op value`.
func (c *compiler) cmpValue(r resolved, op partial.CmpOp, v any, p partial.Path) (frag, error) {
	if r.object {
		if op != partial.Eq && op != partial.Neq {
			return frag{}, fmt.Errorf("%w: ordered comparison of object %s", ErrUnsupported, pathString(p))
		}
		if v == nil {
			if !r.nilSafe {
				return frag{}, fmt.Errorf("%w: comparing %s (a has-one relation) with nil; compare one of its fields", ErrUnsupported, pathString(p))
			}
			// nil object: some key column is NULL (a missing to-one relation)
			parts := make([]frag, len(r.refs))
			for i, ref := range r.refs {
				parts[i] = c.cmpColValue(ref, partial.Eq, nil)
			}
			eq := c.or(parts...)
			if op == partial.Neq {
				return c.not(eq), nil
			}
			return eq, nil
		}
		// An object never equals a primitive value (the decision compares
		// a struct with an int as unequal); nil or not, r != v holds.
		return fragConst(op == partial.Neq), nil
	}
	return c.cmpColValue(r.refs[0], op, v), nil
}

func (c *compiler) cmpColValue(ref colRef, op partial.CmpOp, v any) frag {
	if ref.missing {
		// NULL means the relation is missing: the decision errors (NULL);
		// present, the column is never NULL.
		if v == nil {
			return c.errAtom(c.m.list(ref.sql), c.m.cat("CASE WHEN ", ref.sql, " IS NOT NULL THEN ", boolSQL(op == partial.Neq), " END"), nil)
		}
		return c.errAtom(c.m.list(ref.sql), c.m.cat(ref.sql, opSQL[op], "?"), c.m.one(v))
	}
	if v == nil {
		switch op {
		case partial.Eq:
			if ref.missing || !ref.nullable {
				return fragFalse
			}
			return atom(c.m.cat(ref.sql, " IS NULL"), false, nil)
		case partial.Neq:
			if !ref.missing && !ref.nullable {
				return fragTrue
			}
			return atom(c.m.cat(ref.sql, " IS NOT NULL"), false, nil)
		}
		return fragFalse // ordered comparison with nil is false
	}
	if op == partial.Neq && ref.nullable && !ref.missing {
		return c.nullSafeCmp(ref.sql, "?", true, c.m.one(v))
	}
	return c.nullAtom(c.m.cat(ref.sql, opSQL[op], "?"), c.m.one(v), ref)
}

// nullAtom is an atom that is NULL when one of the nullable refs is.
func (c *compiler) nullAtom(sql string, args []any, refs ...colRef) frag {
	f := frag{sql: sql, args: args}
	switch {
	case len(refs) == 1 && refs[0].nullable:
		f.nguard = c.m.list(refs[0].sql)
	case len(refs) == 2 && refs[0].nullable && refs[1].nullable:
		f.nguard = c.m.list(refs[0].sql, refs[1].sql)
	case len(refs) == 2 && refs[0].nullable:
		f.nguard = c.m.list(refs[0].sql)
	case len(refs) == 2 && refs[1].nullable:
		f.nguard = c.m.list(refs[1].sql)
	default:
		for _, r := range refs {
			if r.nullable {
				f.nguard = append(f.nguard, r.sql)
			}
		}
	}
	f.valNull = len(f.nguard) > 0
	return f
}

func boolSQL(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// inList is `col IN (?, ?, ...)` with n placeholders.
func (c *compiler) inList(col string, n int) string {
	b := c.m.builder()
	b.WriteString(col)
	b.WriteString(" IN (")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.writeByte('?')
	}
	b.writeByte(')')
	return b.String()
}

// nullSafeCmp is the dialect's null-safe (in)equality of two expressions.
func (c *compiler) nullSafeCmp(a, b string, neq bool, args []any) frag {
	op, wrapNot := c.d.nullSafe(neq)
	if wrapNot {
		return atom(c.m.cat("NOT (", a, op, b, ")"), false, args)
	}
	return atom(c.m.cat(a, op, b), false, args)
}

func (c *compiler) cmpPaths(a, b resolved, op partial.CmpOp, pa, pb partial.Path) (frag, error) {
	if a.object || b.object {
		if op != partial.Eq && op != partial.Neq {
			return frag{}, fmt.Errorf("%w: ordered comparison of objects %s, %s", ErrUnsupported, pathString(pa), pathString(pb))
		}
		if (a.object && !a.nilSafe) || (b.object && !b.nilSafe) {
			return frag{}, fmt.Errorf("%w: comparing a has-one relation object (%s, %s); compare one of its fields", ErrUnsupported, pathString(pa), pathString(pb))
		}
		if len(a.refs) != len(b.refs) {
			return frag{}, fmt.Errorf("%w: comparing %s and %s: keys of different width", ErrUnsupported, pathString(pa), pathString(pb))
		}
		if a.object && b.object && a.typ != b.typ {
			// objects of different types are never equal
			return fragConst(op == partial.Neq), nil
		}
		parts := make([]frag, len(a.refs))
		for i := range a.refs {
			parts[i] = c.cmpCols(a.refs[i], b.refs[i], partial.Eq)
		}
		eq := c.and(parts...)
		if op == partial.Neq {
			if len(parts) == 1 {
				return c.cmpCols(a.refs[0], b.refs[0], partial.Neq), nil
			}
			return c.not(eq), nil
		}
		return eq, nil
	}
	return c.cmpCols(a.refs[0], b.refs[0], op), nil
}

func (c *compiler) cmpCols(a, b colRef, op partial.CmpOp) frag {
	if a.missing || b.missing {
		// Compare as if present; NULL (an error) where a relation is missing.
		var gbuf [2]string
		gcols := gbuf[:0]
		for _, r := range []*colRef{&a, &b} {
			if r.missing {
				gcols = append(gcols, r.sql)
				r.missing = false
			}
		}
		inner := c.cmpCols(a, b, op)
		if !a.nullable && !b.nullable {
			// a plain operator: NULL exactly when a missing side is NULL
			return c.errAtom(c.m.list(gcols...), inner.sql, nil)
		}
		g := c.m.builder()
		g.WriteString("CASE WHEN ")
		writeEach(&g, gcols, " IS NOT NULL", " AND ")
		g.WriteString(" THEN ")
		g.WriteString(c.coalesce(inner).sql)
		g.WriteString(" END")
		return c.errAtom(c.m.list(gcols...), g.String(), nil)
	}
	switch op {
	case partial.Eq:
		// `=` is NULL only where one side is nil and the other is not,
		// which the decision reads as false too; nil == nil needs the
		// null-safe operator.
		if !a.nullable || !b.nullable {
			return c.nullAtom(c.m.cat(a.sql, " = ", b.sql), nil, a, b)
		}
		return c.nullSafeCmp(a.sql, b.sql, false, nil)
	case partial.Neq:
		if !a.nullable && !b.nullable {
			return atom(c.m.cat(a.sql, " <> ", b.sql), false, nil)
		}
		return c.nullSafeCmp(a.sql, b.sql, true, nil)
	}
	return c.nullAtom(c.m.cat(a.sql, opSQL[op], b.sql), nil, a, b)
}

func (c *compiler) in(sc *binding, x *partial.In) (frag, error) {
	if x == nil {
		return frag{}, fmt.Errorf("%w: nil in", ErrInvalidFilter)
	}
	vals := c.m.vals.take(len(x.Values))[:0]
	hasNil := false
	for _, v := range x.Values {
		bv, err := bindValue(v.V)
		if err != nil {
			return frag{}, err
		}
		if bv == nil {
			hasNil = true
			continue
		}
		vals = append(vals, bv)
	}
	if ref, ok, err := c.plainCol(sc, x.L); ok || err != nil {
		if err != nil {
			return frag{}, err
		}
		return c.inCol(ref, vals, hasNil), nil
	}
	if f, ok, err := c.relKey(sc, x.L, true, func(ref colRef) frag {
		return c.inCol(ref, vals, hasNil)
	}); ok || err != nil {
		return f, err
	}
	return c.leaf(sc, []partial.Path{x.L}, true, func(rs []resolved) (frag, error) {
		r := rs[0]
		if r.object {
			// an object equals no primitive: only nil in the list can match
			if !hasNil {
				return fragFalse, nil
			}
			return c.cmpValue(r, partial.Eq, nil, x.L)
		}
		return c.inCol(r.refs[0], vals, hasNil), nil
	})
}

// inCol is `ref in vals (or nil, if hasNil)` for a column.
func (c *compiler) inCol(ref colRef, vals []any, hasNil bool) frag {
	{
		if ref.missing {
			// present, the column is never NULL: nil in the list never matches
			switch len(vals) {
			case 0:
				return c.cmpColValue(ref, partial.Eq, nil)
			case 1:
				return c.errAtom(c.m.list(ref.sql), c.m.cat(ref.sql, " = ?"), vals)
			}
			return c.errAtom(c.m.list(ref.sql), c.inList(ref.sql, len(vals)), vals)
		}
		var pbuf [2]frag
		parts := pbuf[:0]
		switch len(vals) {
		case 0:
		case 1:
			parts = append(parts, c.nullAtom(c.m.cat(ref.sql, " = ?"), vals, ref))
		default:
			parts = append(parts, c.nullAtom(c.inList(ref.sql, len(vals)), vals, ref))
		}
		if !hasNil && len(parts) == 1 {
			return parts[0] // what or of one part returns
		}
		if hasNil {
			parts = append(parts, c.cmpColValue(ref, partial.Eq, nil))
		}
		return c.or(parts...)
	}
}

// exists compiles `exists v in <to-many relation>: cond`.
func (c *compiler) exists(sc *binding, x *partial.Exists) (frag, error) {
	if x == nil || len(x.Over.Fields) == 0 {
		return frag{}, fmt.Errorf("%w: exists must range over a relation", ErrInvalidFilter)
	}
	ctx := &leafCtx{}
	o, _, rel, _, err := c.walk(sc, ctx, x.Over, true)
	if err != nil {
		return frag{}, err
	}
	refs := c.m.refs.take(len(rel.References))
	for i, ref := range rel.References {
		if refs[i], err = c.field(ctx, o, ref); err != nil {
			return frag{}, err
		}
	}
	tt, err := c.s.table(rel.Target)
	if err != nil {
		return frag{}, err
	}
	if x.Type != "" && x.Type != rel.Target {
		return frag{}, fmt.Errorf("%w: exists %s in %s: element type %s, relation targets %s", ErrInvalidFilter, x.Var, pathString(x.Over), x.Type, rel.Target)
	}
	build := func() (frag, error) {
		c.push()
		var buf [2]hopItem
		items, elem, err := c.elementItems(buf[:0], rel, tt, refs, c.keyOnly(&x.Cond, x.Var, tt, rel))
		if err != nil {
			c.pop()
			return frag{}, err
		}
		// An element whose condition is an error (a missing relation) makes
		// the decision's loop an error. Compile the condition exactly first
		// to see whether that can happen; if not, compile it again for the
		// simpler shapes.
		exact := c.exact
		bind := c.m.bind(binding{name: x.Var, obj: elem, frame: c.frame, parent: sc})
		mayErr := c.nilErrors && filterMayErr(&x.Cond)
		c.exact = mayErr
		inner, err := c.filter(bind, &x.Cond)
		errInner := err == nil && inner.errNull
		if err == nil && mayErr && !errInner {
			c.exact = false
			inner, err = c.filter(bind, &x.Cond)
		}
		c.exact = exact
		corr := c.pop()
		if err != nil {
			return frag{}, err
		}
		if !errInner {
			return c.wrap(items, inner, corr, false)
		}
		// The decision visits elements in an order SQL does not have: any
		// erroring element makes the exists an error (exact), or false
		// (otherwise: fail closed). One correlated aggregate reads the
		// condition once: 1 for true, 0 for false, 2 for an error.
		score := frag{sql: c.m.cat("MAX(CASE (", inner.sql, ") WHEN TRUE THEN 1 WHEN FALSE THEN 0 ELSE 2 END)"), args: inner.args}
		agg, err := c.scalarQuery(items, score)
		if err != nil {
			return frag{}, err
		}
		if exact {
			sql := c.m.cat("CASE ", agg.sql, " WHEN 2 THEN NULL WHEN 1 THEN TRUE ELSE FALSE END")
			if g := c.missingGuard(items); g != "" {
				sql = c.m.cat("CASE WHEN ", g, " THEN ", sql, " END")
			}
			return frag{sql: sql, args: agg.args, errNull: true, sub: subAny}, nil
		}
		return frag{sql: c.m.cat(agg.sql, " = 1"), args: agg.args, valNull: true, sub: subAny}, nil
	}
	if len(ctx.items) == 0 {
		return build()
	}
	c.push()
	inner, err := build()
	corr := c.pop()
	if err != nil {
		return frag{}, err
	}
	return c.wrap(ctx.items, inner, corr, true)
}

// filterMayErr reports whether f may read through a to-one relation that
// can be missing (which the decision treats as an error): a path of two or
// more steps, anywhere. Without one, exact and loose compilation agree.
func filterMayErr(f *partial.Filter) bool {
	for _, b := range f.Branches {
		if condsMayErr(b.Conds) {
			return true
		}
	}
	return false
}

func condMayErr(cd partial.Cond) bool {
	path := func(p partial.Path) bool { return len(p.Fields) >= 2 }
	op := func(o partial.Operand) bool { p, ok := o.(partial.Path); return ok && path(p) }
	switch x := cd.(type) {
	case *partial.Compare:
		return op(x.L) || op(x.R)
	case *partial.In:
		return path(x.L)
	case *partial.Exists:
		return path(x.Over) || filterMayErr(&x.Cond)
	case *partial.Not:
		return condMayErr(x.C)
	case *partial.NotFilter:
		return filterMayErr(&x.F)
	case *partial.InSet:
		return path(x.Path)
	case *partial.Const:
		return false
	}
	return true
}

func condsMayErr(conds []partial.Cond) bool {
	for _, cd := range conds {
		if condMayErr(cd) {
			return true
		}
	}
	return false
}

// elementItems returns the subquery tables of a to-many relation's elements,
// linked to refs (the relation's References on the owner), and the element
// object. For many-to-many relations whose condition only reads the target's
// key, the target table is not joined: the join table's columns stand for it.
// The items are appended to dst.
func (c *compiler) elementItems(dst []hopItem, rel *Relation, tt *Table, refs []colRef, keyOnly bool) ([]hopItem, *object, error) {
	target := c.m.obj(object{t: tt, typ: rel.Target})
	switch rel.Kind {
	case HasMany:
		it, err := c.item(tt.Name, rel.ForeignKey, tt, refs)
		if err != nil {
			return nil, nil, err
		}
		target.alias = it.alias
		return append(dst, it), target, nil
	case ManyToMany:
		jt, err := c.item(rel.JoinTable, rel.JoinForeignKey, nil, refs)
		if err != nil {
			return nil, nil, err
		}
		jrefs := c.m.refs.take(len(rel.JoinReferences))
		for i, col := range rel.JoinReferences {
			q, err := c.quote(col, false)
			if err != nil {
				return nil, nil, err
			}
			jrefs[i] = colRef{sql: c.m.cat(jt.alias, ".", q)}
		}
		if keyOnly {
			target.vcols, target.vrefs = rel.TargetReferences, jrefs
			return append(dst, jt), target, nil
		}
		et, err := c.item(tt.Name, rel.TargetReferences, tt, jrefs)
		if err != nil {
			return nil, nil, err
		}
		et.root = false
		target.alias = et.alias
		return append(dst, jt, et), target, nil
	}
	return nil, nil, fmt.Errorf("%w: relation %s is not to-many", ErrInvalidFilter, rel.Name)
}

// item is a subquery table with a fresh alias, linked by its columns cols
// to outer (a root item). t gives the nullability of cols (nil: a join
// table, whose keys are NOT NULL).
func (c *compiler) item(table string, cols []string, t *Table, outer []colRef) (hopItem, error) {
	tn, err := c.quote(table, true)
	if err != nil {
		return hopItem{}, err
	}
	al, err := c.newAlias(table)
	if err != nil {
		return hopItem{}, err
	}
	it := hopItem{table: tn, alias: al, root: true, outer: outer,
		inner: c.m.strs.take(len(cols)), innerCols: cols, innerT: t}
	for i, col := range cols {
		q, err := c.quote(col, false)
		if err != nil {
			return hopItem{}, err
		}
		it.inner[i] = c.m.cat(al, ".", q)
	}
	return it, nil
}

// keyOnly reports whether cond reads variable v only through the target's
// key columns (rel.TargetReferences), so a many-to-many join table suffices.
//
// If the relation is not Enforced, a join row may point at no target row,
// so the join table suffices only when every branch also requires v in a
// recursive set (which holds keys of existing rows only).
func (c *compiler) keyOnly(f *partial.Filter, v string, tt *Table, rel *Relation) bool {
	if rel.Kind != ManyToMany {
		return false
	}
	if !rel.Enforced {
		for _, b := range f.Branches {
			if !slices.ContainsFunc(b.Conds, func(cd partial.Cond) bool {
				x, ok := cd.(*partial.InSet)
				return ok && x.Path.Var == v && len(x.Path.Fields) == 0
			}) {
				return false
			}
		}
	}
	pkIsRef := len(tt.PK) == len(rel.TargetReferences)
	for _, pk := range tt.PK {
		pkIsRef = pkIsRef && slices.Contains(rel.TargetReferences, pk)
	}
	okPath := func(p partial.Path) bool {
		if p.Var != v {
			return true
		}
		switch len(p.Fields) {
		case 0:
			return pkIsRef
		case 1:
			col, ok := tt.column(p.Fields[0])
			return ok && slices.Contains(rel.TargetReferences, col)
		}
		return false
	}
	var okCond func(cd partial.Cond) bool
	okFilter := func(f *partial.Filter) bool {
		for _, b := range f.Branches {
			for _, cd := range b.Conds {
				if !okCond(cd) {
					return false
				}
			}
		}
		return true
	}
	okCond = func(cd partial.Cond) bool {
		switch x := cd.(type) {
		case *partial.Compare:
			lp, lok := x.L.(partial.Path)
			rp, rok := x.R.(partial.Path)
			return (!lok || okPath(lp)) && (!rok || okPath(rp))
		case *partial.In:
			return okPath(x.L)
		case *partial.Exists:
			return x.Over.Var != v && okFilter(&x.Cond)
		case *partial.Not:
			return okCond(x.C)
		case *partial.InSet:
			return okPath(x.Path)
		case *partial.Const:
			return true
		}
		return false
	}
	return okFilter(f)
}

// ---- values ----

// bindValue normalises a filter value into a bind argument. time.Duration
// binds as int64 nanoseconds.
func bindValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time:
		return x, nil
	case time.Duration:
		return int64(x), nil
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	}
	return nil, fmt.Errorf("%w: value of type %T cannot be a bind argument", ErrInvalidFilter, v)
}

// constCompare folds a comparison of two constants with the decision's semantics.
func constCompare(op partial.CmpOp, a, b any) (frag, error) {
	a, err := bindValue(a)
	if err != nil {
		return frag{}, err
	}
	if b, err = bindValue(b); err != nil {
		return frag{}, err
	}
	switch op {
	case partial.Eq:
		return fragConst(valuesEqual(a, b)), nil
	case partial.Neq:
		return fragConst(!valuesEqual(a, b)), nil
	}
	if a == nil || b == nil {
		return fragFalse, nil
	}
	cmp, ok := compareValues(a, b)
	if !ok {
		return frag{}, fmt.Errorf("%w: cannot order %T and %T", ErrUnsupported, a, b)
	}
	switch op {
	case partial.Lt:
		return fragConst(cmp < 0), nil
	case partial.Leq:
		return fragConst(cmp <= 0), nil
	case partial.Gt:
		return fragConst(cmp > 0), nil
	}
	return fragConst(cmp >= 0), nil
}

func valuesEqual(a, b any) bool {
	if cmp, ok := compareValues(a, b); ok {
		return cmp == 0
	}
	return a == b
}

func compareValues(a, b any) (int, bool) {
	num := func(v any) (float64, bool) {
		switch x := v.(type) {
		case int64:
			return float64(x), true
		case float64:
			return x, true
		}
		return 0, false
	}
	if x, ok := num(a); ok {
		if y, ok := num(b); ok {
			if ai, ok := a.(int64); ok {
				if bi, ok := b.(int64); ok {
					return cmpOrdered(ai, bi), true
				}
			}
			return cmpOrdered(x, y), true
		}
		return 0, false
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	}
	return 0, false
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
