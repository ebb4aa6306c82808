package gormfilter

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// compiled is the sqlgen schema of every model reachable from one root
// model through GORM relationships, plus what gormfilter needs to map filter
// paths onto it.
type compiled struct {
	root   string // Polar class of the root model
	schema *sqlgen.Schema
	// gorm schemas and per-table extras, by Polar class
	models map[string]*model
	// needsRewrite: some table has named embedded structs or unsupported
	// relations, so filter paths must be checked/rewritten.
	needsRewrite bool
	// sqlCache maps a filter (its canonical text, which distinguishes value
	// types) to its compiled SQL: the same actor listing page after page
	// asks for the same filter, and compiling costs more than printing.
	sqlCache sqlCache
}

type compiledSQL struct {
	sql  string
	args []any // shared, read-only
}

// sqlCache is a small bounded cache; when full it starts over.
type sqlCache struct {
	mu sync.Mutex
	m  map[string]compiledSQL
}

const sqlCacheSize = 1024

func (c *sqlCache) get(k string) (compiledSQL, bool) {
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	return v, ok
}

func (c *sqlCache) put(k string, v compiledSQL) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= sqlCacheSize {
		c.m = make(map[string]compiledSQL)
	}
	c.m[k] = v
	c.mu.Unlock()
}

type model struct {
	class    string
	gorm     *schema.Schema
	table    *sqlgen.Table
	embedded map[string]bool   // named embedded struct prefixes ("Author" of Author.Name)
	unsup    map[string]string // relation name -> why it is unsupported
	// softDelete is the key of the gorm.DeletedAt field, if any: GORM
	// hides soft-deleted rows from every query and preload, so a related
	// row counts only while it is NULL.
	softDelete string
}

// compiledFor returns the cached schema for root, building it on first use.
func (p *Plugin) compiledFor(root *schema.Schema) (*compiled, error) {
	if c, ok := p.schemas.Load(root.ModelType); ok {
		return c.(*compiled), nil
	}
	c, err := p.build(root)
	if err != nil {
		return nil, err
	}
	actual, _ := p.schemas.LoadOrStore(root.ModelType, c)
	return actual.(*compiled), nil
}

// className is the Polar class of a Go model type: a WithClass override, or
// what the authorizer registered.
func (p *Plugin) className(t reflect.Type) (string, bool) {
	if n, ok := p.classes[t]; ok {
		return n, true
	}
	if n, ok := p.auth.ClassName(t); ok {
		return n, true
	}
	if n, ok := p.auth.ClassName(reflect.PointerTo(t)); ok {
		return n, true
	}
	return "", false
}

// build walks GORM relationships from root and describes every reachable
// model as a sqlgen table.
func (p *Plugin) build(root *schema.Schema) (*compiled, error) {
	rootClass, ok := p.className(root.ModelType)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not registered with the authorizer (register the type or use gormfilter.WithClass; for a preloaded association that is not a policy resource, Preload(name, gormfilter.Unfiltered))", ErrUnknownModel, root.ModelType)
	}
	c := &compiled{
		root:   rootClass,
		schema: &sqlgen.Schema{Tables: map[string]*sqlgen.Table{}},
		models: map[string]*model{},
	}
	queue := []*schema.Schema{root}
	seen := map[reflect.Type]bool{root.ModelType: true}
	for _, gs := range p.extraGS {
		if !seen[gs.ModelType] {
			seen[gs.ModelType] = true
			queue = append(queue, gs)
		}
	}
	for len(queue) > 0 {
		gs := queue[0]
		queue = queue[1:]
		m := p.describe(gs)
		if prev, dup := c.models[m.class]; dup {
			return nil, fmt.Errorf("%w: Polar class %s names two Go types, %s and %s", ErrUnknownModel, m.class, prev.gorm.ModelType, gs.ModelType)
		}
		c.models[m.class] = m
		c.schema.Tables[m.class] = m.table
		if len(m.embedded) > 0 || len(m.unsup) > 0 || m.softDelete != "" {
			c.needsRewrite = true
		}
		forEachRelation(gs, "", func(_ string, rel *schema.Relationship) {
			if rel.FieldSchema != nil && !seen[rel.FieldSchema.ModelType] {
				seen[rel.FieldSchema.ModelType] = true
				queue = append(queue, rel.FieldSchema)
			}
		})
	}
	return c, nil
}

// classOrGoName names a related model: its Polar class, or its Go type for
// models the policy cannot name (they still serve as join targets).
func (p *Plugin) classOrGoName(t reflect.Type) string {
	if n, ok := p.className(t); ok {
		return n
	}
	return t.String()
}

// forEachRelation calls fn for every relationship of gs, including those of
// named embedded structs (keyed "Embedded.Rel").
func forEachRelation(gs *schema.Schema, prefix string, fn func(key string, rel *schema.Relationship)) {
	forEachRelationIn(&gs.Relationships, prefix, fn)
}

func forEachRelationIn(rs *schema.Relationships, prefix string, fn func(key string, rel *schema.Relationship)) {
	// GORM adds to a model's map, under "_Owner_Field" keys and while it
	// parses other models, the has-one/has-many relations that point at it
	// from other models: skip those, and read under GORM's lock.
	rs.Mux.RLock()
	type kv struct {
		name string
		rel  *schema.Relationship
	}
	rels := make([]kv, 0, len(rs.Relations))
	for name, rel := range rs.Relations {
		if !strings.HasPrefix(name, "_") {
			rels = append(rels, kv{name, rel})
		}
	}
	subs := make(map[string]*schema.Relationships, len(rs.EmbeddedRelations))
	for name, sub := range rs.EmbeddedRelations {
		subs[name] = sub
	}
	rs.Mux.RUnlock()
	for _, r := range rels {
		fn(prefix+r.name, r.rel)
	}
	for name, sub := range subs {
		forEachRelationIn(sub, prefix+name+".", fn)
	}
}

// describe builds the sqlgen table of one GORM model.
func (p *Plugin) describe(gs *schema.Schema) *model {
	class := p.classOrGoName(gs.ModelType)
	t := &sqlgen.Table{
		Type:      class,
		Name:      gs.Table,
		PK:        append([]string(nil), gs.PrimaryFieldDBNames...),
		Fields:    map[string]string{},
		Nullable:  map[string]bool{},
		Relations: map[string]*sqlgen.Relation{},
	}
	m := &model{class: class, gorm: gs, table: t, embedded: map[string]bool{}, unsup: map[string]string{}}
	for _, f := range gs.Fields {
		if f.DBName == "" {
			continue
		}
		key, prefixes := fieldKey(gs.ModelType, f)
		for _, pre := range prefixes {
			m.embedded[pre] = true
		}
		if f.IndirectFieldType == deletedAtType && m.softDelete == "" {
			m.softDelete = key
		}
		if _, dup := t.Fields[key]; !dup {
			t.Fields[key] = f.DBName
		}
		// A column holds NULL unless it is a primary key or declared NOT
		// NULL: even a Go string column may hold NULL written by someone
		// else, which GORM loads as "". sqlgen then uses null-safe
		// comparisons so the filter agrees with decisions on loaded rows.
		t.Nullable[f.DBName] = !(f.PrimaryKey || f.NotNull)
	}
	forEachRelation(gs, "", func(key string, rel *schema.Relationship) {
		if i := strings.LastIndexByte(key, '.'); i >= 0 {
			for pre := key[:i]; pre != ""; {
				m.embedded[pre] = true
				j := strings.LastIndexByte(pre, '.')
				if j < 0 {
					break
				}
				pre = pre[:j]
			}
		}
		r, why := p.relation(key, rel)
		if why != "" {
			m.unsup[key] = why
			return
		}
		t.Relations[key] = r
	})
	for _, fn := range p.overrides[gs.ModelType] {
		fn(t)
	}
	return m
}

var deletedAtType = reflect.TypeOf(gorm.DeletedAt{})

// softDeletes reports whether GORM hides some rows of gs (a gorm.DeletedAt
// field).
func softDeletes(gs *schema.Schema) bool {
	for _, f := range gs.Fields {
		if f.IndirectFieldType == deletedAtType {
			return true
		}
	}
	return false
}

// fieldKey is the canonical name of a GORM field: its Go field name, with
// the names of named (non-anonymous) embedded structs before it
// ("Author.Name"); fields promoted from anonymous embedded structs
// (gorm.Model's ID) keep their own name, as in Go. prefixes lists the named
// embedded struct paths on the way.
func fieldKey(model reflect.Type, f *schema.Field) (key string, prefixes []string) {
	if len(f.BindNames) <= 1 {
		return f.Name, nil
	}
	var parts []string
	t := model
	for i, name := range f.BindNames {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if i == len(f.BindNames)-1 {
			parts = append(parts, name)
			break
		}
		sf, ok := t.FieldByName(name)
		if !ok {
			return f.Name, nil
		}
		if !sf.Anonymous {
			parts = append(parts, name)
			prefixes = append(prefixes, strings.Join(parts, "."))
		}
		t = sf.Type
	}
	return strings.Join(parts, "."), prefixes
}

// relation converts one GORM relationship; why says why it cannot be used.
func (p *Plugin) relation(key string, rel *schema.Relationship) (*sqlgen.Relation, string) {
	if rel.Polymorphic != nil {
		return nil, "polymorphic relations are not supported"
	}
	if rel.FieldSchema == nil {
		return nil, "the related model could not be parsed"
	}
	r := &sqlgen.Relation{Name: key, Target: p.classOrGoName(rel.FieldSchema.ModelType)}
	switch rel.Type {
	case schema.BelongsTo:
		r.Kind = sqlgen.BelongsTo
	case schema.HasOne:
		r.Kind = sqlgen.HasOne
	case schema.HasMany:
		r.Kind = sqlgen.HasMany
	case schema.Many2Many:
		r.Kind = sqlgen.ManyToMany
		if rel.JoinTable == nil {
			return nil, "many-to-many relation without a join table"
		}
		r.JoinTable = rel.JoinTable.Table
	default:
		return nil, fmt.Sprintf("relationship kind %q is not supported", rel.Type)
	}
	for _, ref := range rel.References {
		if ref.PrimaryValue != "" || ref.PrimaryKey == nil || ref.ForeignKey == nil {
			return nil, "references with constant values are not supported"
		}
		if r.Kind == sqlgen.ManyToMany {
			if ref.OwnPrimaryKey {
				r.JoinForeignKey = append(r.JoinForeignKey, ref.ForeignKey.DBName)
				r.References = append(r.References, ref.PrimaryKey.DBName)
			} else {
				r.JoinReferences = append(r.JoinReferences, ref.ForeignKey.DBName)
				r.TargetReferences = append(r.TargetReferences, ref.PrimaryKey.DBName)
			}
			continue
		}
		r.ForeignKey = append(r.ForeignKey, ref.ForeignKey.DBName)
		r.References = append(r.References, ref.PrimaryKey.DBName)
	}
	if len(r.ForeignKey)+len(r.JoinForeignKey) == 0 {
		return nil, "relation without keys"
	}
	// EnforcedKeys: the database guarantees the reference, and GORM loads
	// every row it references (not so for soft-deleted ones)
	r.Enforced = p.enforced && (r.Kind == sqlgen.BelongsTo || r.Kind == sqlgen.ManyToMany) && !softDeletes(rel.FieldSchema)
	return r, ""
}

// rewrite maps filter paths onto the schema and GORM's semantics:
//   - steps through named embedded structs are merged into one dotted field
//     name (Author, Name -> "Author.Name");
//   - a path through an unsupported relation is an error;
//   - soft deletion: GORM never loads a soft-deleted row (gorm.DeletedAt),
//     so a related row counts only while its DeletedAt is nil. Each EXISTS
//     over a soft-deleting model gets `v.DeletedAt = nil` in every branch,
//     and each branch that reaches a soft-deleting model through a to-one
//     step gets `path.DeletedAt = nil` (also for paths under a negation:
//     the decision on loaded data cannot see a deleted row at all).
//
// f is not modified.
func (c *compiled) rewrite(f *partial.Filter) (*partial.Filter, error) {
	if !c.needsRewrite {
		return f, nil
	}
	rw := &rewriter{c: c, vars: map[string]string{partial.RootVar: f.Type}}
	out, err := rw.filter(f)
	if err != nil {
		return nil, err
	}
	if len(f.Preds) > 0 {
		out.Preds = make(map[string]*partial.Pred, len(f.Preds))
		for name, pr := range f.Preds {
			rw.vars[pr.Param] = pr.Type
			body, err := rw.filter(&pr.Body)
			if err != nil {
				return nil, err
			}
			out.Preds[name] = &partial.Pred{Name: pr.Name, Type: pr.Type, Param: pr.Param, Body: *body}
		}
	}
	return out, nil
}

type rewriter struct {
	c     *compiled
	vars  map[string]string // variable -> Polar class
	scope *guardScope       // the branch that receives soft-delete guards
}

// guardScope collects the soft-delete guards of one branch.
type guardScope struct {
	conds []partial.Cond
	seen  map[string]bool
}

func (g *guardScope) add(p partial.Path) {
	k := p.String()
	if g.seen[k] {
		return
	}
	g.seen[k] = true
	g.conds = append(g.conds, &partial.Compare{Op: partial.Eq, L: p, R: partial.Value{V: nil}})
}

// filter rewrites f; each branch gets its own guards.
func (rw *rewriter) filter(f *partial.Filter) (*partial.Filter, error) {
	return rw.branches(f, true)
}

// branches rewrites f's branches; with own, each branch collects its own
// guards, else (under a negation) they go to the enclosing branch.
func (rw *rewriter) branches(f *partial.Filter, own bool) (*partial.Filter, error) {
	out := &partial.Filter{Type: f.Type, Branches: make([]partial.Branch, len(f.Branches))}
	outer := rw.scope
	defer func() { rw.scope = outer }()
	for i, br := range f.Branches {
		if own || rw.scope == nil {
			rw.scope = &guardScope{seen: map[string]bool{}}
		}
		conds := make([]partial.Cond, 0, len(br.Conds))
		for _, c := range br.Conds {
			nc, err := rw.cond(c)
			if err != nil {
				return nil, err
			}
			conds = append(conds, nc)
		}
		if own || outer == nil {
			conds = append(conds, rw.scope.conds...)
		}
		out.Branches[i].Conds = conds
	}
	return out, nil
}

func (rw *rewriter) cond(c partial.Cond) (partial.Cond, error) {
	switch c := c.(type) {
	case *partial.Compare:
		l, err := rw.operand(c.L)
		if err != nil {
			return nil, err
		}
		r, err := rw.operand(c.R)
		if err != nil {
			return nil, err
		}
		return &partial.Compare{Op: c.Op, L: l, R: r}, nil
	case *partial.In:
		l, err := rw.path(c.L)
		if err != nil {
			return nil, err
		}
		return &partial.In{L: l, Values: c.Values}, nil
	case *partial.Exists:
		over, err := rw.path(c.Over)
		if err != nil {
			return nil, err
		}
		rw.vars[c.Var] = c.Type
		body, err := rw.filter(&c.Cond)
		if err != nil {
			return nil, err
		}
		if m := rw.c.models[c.Type]; m != nil && m.softDelete != "" {
			for i := range body.Branches {
				br := &body.Branches[i]
				br.Conds = append(br.Conds, &partial.Compare{Op: partial.Eq,
					L: partial.Path{Var: c.Var, Fields: []string{m.softDelete}}, R: partial.Value{V: nil}})
			}
		}
		return &partial.Exists{Var: c.Var, Type: c.Type, Over: over, Cond: *body}, nil
	case *partial.Not:
		inner, err := rw.cond(c.C)
		if err != nil {
			return nil, err
		}
		return &partial.Not{C: inner}, nil
	case *partial.NotFilter:
		inner, err := rw.branches(&c.F, false)
		if err != nil {
			return nil, err
		}
		return &partial.NotFilter{F: *inner}, nil
	case *partial.InSet:
		p, err := rw.path(c.Path)
		if err != nil {
			return nil, err
		}
		return &partial.InSet{Path: p, Pred: c.Pred}, nil
	}
	return c, nil
}

func (rw *rewriter) operand(o partial.Operand) (partial.Operand, error) {
	if p, ok := o.(partial.Path); ok {
		return rw.path(p)
	}
	return o, nil
}

func (rw *rewriter) path(p partial.Path) (partial.Path, error) {
	m := rw.c.models[rw.vars[p.Var]]
	if m == nil || len(p.Fields) == 0 {
		return p, nil
	}
	out := partial.Path{Var: p.Var, Fields: make([]string, 0, len(p.Fields))}
	for i := 0; i < len(p.Fields); i++ {
		name := p.Fields[i]
		for m != nil && m.embedded[name] && i+1 < len(p.Fields) {
			i++
			name += "." + p.Fields[i]
		}
		out.Fields = append(out.Fields, name)
		if m == nil {
			continue
		}
		if why, bad := m.unsup[name]; bad {
			return p, fmt.Errorf("%w: relation %s.%s (%s): %s", ErrUnsupported, m.gorm.ModelType, name, m.class, why)
		}
		if rel := m.table.Relations[name]; rel != nil {
			m = rw.c.models[rel.Target]
			if m != nil && m.softDelete != "" && !rel.ToMany() && rw.scope != nil {
				g := partial.Path{Var: p.Var, Fields: append(append([]string(nil), out.Fields...), m.softDelete)}
				rw.scope.add(g)
			}
		} else {
			m = nil
		}
	}
	return out, nil
}

// SchemaFor returns the sqlgen schema gormfilter compiles filters against:
// every model of models and every model reachable from them through GORM
// relations, described as in the package doc ("Schema"), with Polar class
// names from a (or WithClass). opts are New's options; those that shape the
// schema apply (WithClass, Override, WithModels, EnforcedKeys). Use it to
// compile filters with sqlgen directly (sqlgen.Select) against the same
// tables. The filter rewrites gormfilter applies before compiling (named
// embedded structs, soft deletion) are not part of a schema: a filter over
// such models must go through Authorized.
func SchemaFor(db *gorm.DB, a Authorizer, models []any, opts ...Option) (*sqlgen.Schema, error) {
	if len(models) == 0 {
		return nil, fmt.Errorf("%w: SchemaFor needs at least one model", ErrUnknownModel)
	}
	p := New(a, opts...)
	for _, m := range append(models[1:len(models):len(models)], p.extra...) {
		gs, err := parse(db, m)
		if err != nil {
			return nil, err
		}
		p.extraGS = append(p.extraGS, gs)
	}
	root, err := parse(db, models[0])
	if err != nil {
		return nil, err
	}
	c, err := p.build(root)
	if err != nil {
		return nil, err
	}
	return c.schema, nil
}
