package gormfilter

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/ursa-authz/ursa/partial"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// NotLoadedError says which association a decision on a loaded model needs
// and that was not loaded. It wraps ErrNotLoaded.
type NotLoadedError struct {
	Model       string // Go type of the root model
	Association string // preload path, e.g. "Org" or "Memberships.User"
	Recursive   bool   // the path belongs to a recursive rule (a chain of unknown length)
}

func (e *NotLoadedError) Error() string {
	msg := fmt.Sprintf("gormfilter: deciding on %s needs association %q, which is not loaded; Preload(%q) it", e.Model, e.Association, e.Association)
	if e.Recursive {
		msg += " (it is part of a recursive rule: the whole chain must be loaded, or let gormfilter load it)"
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrNotLoaded) hold.
func (e *NotLoadedError) Unwrap() error { return ErrNotLoaded }

// pluginOf returns the plugin installed on db.
func pluginOf(db *gorm.DB) (*Plugin, error) {
	p, ok := db.Config.Plugins[PluginName].(*Plugin)
	if !ok {
		return nil, ErrNotInstalled
	}
	return p, nil
}

// IsAllowed decides whether actor may perform action on one loaded model
// (a pointer to a GORM model struct), in memory through the Authorizer.
//
// A decision must not silently read the zero value of an association that
// was simply not loaded: before deciding, IsAllowed finds the associations
// the policy's rules for this action reach (the relation steps of the
// action's filter, including to-many relations, nested ones and the chains
// of recursive rules) and, for each one that is not loaded on the model,
// loads it through db (GORM's Association API, in db's transaction and
// context) and stores it on the model, like Preload. With the plugin option
// StrictLoading it instead returns a *NotLoadedError naming the association
// to Preload.
//
// An association counts as not loaded when it is a nil pointer or a zero
// struct while its foreign key is set (belongs-to), a nil pointer on a saved
// model (has-one), or a nil slice on a saved model (has-many,
// many-to-many); a non-nil empty slice is a loaded empty association. In
// strict mode a has-one that is genuinely absent, or a belongs-to whose row
// was soft-deleted, cannot be told from one that was not loaded and is
// reported too; the loading mode finds out with one query.
func IsAllowed(db *gorm.DB, actor any, action string, model any) (bool, error) {
	p, err := pluginOf(db)
	if err != nil {
		return false, err
	}
	ctx := db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if err := p.ensureLoaded(db, actor, action, model); err != nil {
		return false, err
	}
	ok, err := p.auth.IsAllowed(ctx, actor, action, model)
	if err != nil {
		return false, err
	}
	return ok, nil
}

// parse returns the GORM schema of model's type.
func parse(db *gorm.DB, model any) (*schema.Schema, error) {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(model); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnknownModel, err)
	}
	return stmt.Schema, nil
}

// ensureLoaded loads (or, strict, reports) the associations the filter of
// action over model's type needs.
func (p *Plugin) ensureLoaded(db *gorm.DB, actor any, action string, model any) error {
	rv := reflect.ValueOf(model)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%w: IsAllowed wants a non-nil pointer to a model struct, got %T", ErrUnknownModel, model)
	}
	gs, err := parse(db, model)
	if err != nil {
		return err
	}
	comp, err := p.compiledFor(gs)
	if err != nil {
		return err
	}
	ctx := db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	f, err := p.auth.Filter(ctx, actor, action, comp.root)
	if err != nil {
		if errors.Is(err, partial.ErrUnsupported) {
			return fmt.Errorf("gormfilter: cannot tell which associations deciding %q on %s needs (the rules cannot be filtered: %w); preload them and call the authorizer's IsAllowed directly", action, comp.root, err)
		}
		return fmt.Errorf("gormfilter: filter %s for %q: %w", comp.root, action, err)
	}
	if f == nil || f.IsAllowAll() || f.IsDenyAll() {
		return nil
	}
	l := &loader{
		p: p, db: db.Session(&gorm.Session{NewDB: true, Context: ctx}), ctx: ctx,
		comp: comp, preds: f.Preds, strict: p.strict, root: gs.ModelType.String(),
		visited: map[string]bool{}, budget: maxLoads,
	}
	return l.filter(f, map[string]binding{partial.RootVar: {v: rv.Elem(), gs: gs}})
}

// maxLoads bounds the associations one decision may load (a guard against a
// policy that walks a huge graph one row at a time).
const maxLoads = 10000

// binding is the value a filter variable stands for while loading.
type binding struct {
	v         reflect.Value // addressable struct
	gs        *schema.Schema
	path      string // preload path from the root ("" for the root)
	recursive bool
}

type loader struct {
	p       *Plugin
	db      *gorm.DB
	ctx     context.Context
	comp    *compiled
	preds   map[string]*partial.Pred
	strict  bool
	root    string
	visited map[string]bool
	budget  int
}

func (l *loader) filter(f *partial.Filter, env map[string]binding) error {
	for _, br := range f.Branches {
		for _, c := range br.Conds {
			if err := l.cond(c, env); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *loader) cond(c partial.Cond, env map[string]binding) error {
	switch c := c.(type) {
	case *partial.Compare:
		for _, o := range []partial.Operand{c.L, c.R} {
			if p, ok := o.(partial.Path); ok {
				if _, _, err := l.path(p, env); err != nil {
					return err
				}
			}
		}
	case *partial.In:
		_, _, err := l.path(c.L, env)
		return err
	case *partial.Not:
		return l.cond(c.C, env)
	case *partial.NotFilter:
		return l.filter(&c.F, env)
	case *partial.Exists:
		v, b, err := l.path(c.Over, env)
		if err != nil || !v.IsValid() {
			return err
		}
		v = reflect.Indirect(v)
		if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
			return nil
		}
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			for e.Kind() == reflect.Pointer {
				if e.IsNil() {
					break
				}
				e = e.Elem()
			}
			if e.Kind() != reflect.Struct {
				continue
			}
			inner := make(map[string]binding, len(env)+1)
			for k, x := range env {
				inner[k] = x
			}
			inner[c.Var] = binding{v: e, gs: b.gs, path: b.path, recursive: b.recursive}
			if err := l.filter(&c.Cond, inner); err != nil {
				return err
			}
		}
	case *partial.InSet:
		v, b, err := l.path(c.Path, env)
		if err != nil || !v.IsValid() {
			return err
		}
		v = reflect.Indirect(v)
		pred := l.preds[c.Pred]
		if pred == nil || v.Kind() != reflect.Struct || b.gs == nil {
			return nil
		}
		key := c.Pred + "\x00" + pkKey(l.ctx, b.gs, v)
		if l.visited[key] {
			return nil // cyclic data or already explored
		}
		l.visited[key] = true
		return l.filter(&pred.Body, map[string]binding{pred.Param: {v: v, gs: b.gs, path: b.path, recursive: true}})
	}
	return nil
}

// path follows p's relation steps from its variable, loading what is
// missing. It returns the value reached through the last relation step (a
// struct, pointer or slice; invalid when a to-one is absent) and its binding
// (schema of the reached model, preload path). Steps after the last relation
// are plain fields and are not followed.
func (l *loader) path(p partial.Path, env map[string]binding) (reflect.Value, binding, error) {
	b, ok := env[p.Var]
	if !ok || b.gs == nil {
		return reflect.Value{}, binding{}, nil
	}
	cur := b
	var last reflect.Value = b.v
	m := l.comp.models[l.comp.classOf(b.gs)]
	for i := 0; i < len(p.Fields); i++ {
		name := p.Fields[i]
		for m != nil && m.embedded[name] && i+1 < len(p.Fields) {
			i++
			name += "." + p.Fields[i]
		}
		rel := lookupRelation(cur.gs, name)
		if rel == nil {
			break // a column: the rest of the path is fields
		}
		fv := rel.Field.ReflectValueOf(l.ctx, cur.v)
		relPath := strings.TrimPrefix(cur.path+"."+name, ".")
		if l.notLoaded(rel, cur.v, fv) {
			if l.strict {
				return reflect.Value{}, binding{}, &NotLoadedError{Model: l.root, Association: relPath, Recursive: cur.recursive}
			}
			if err := l.load(rel, cur.v); err != nil {
				return reflect.Value{}, binding{}, err
			}
			fv = rel.Field.ReflectValueOf(l.ctx, cur.v)
		}
		next := binding{gs: rel.FieldSchema, path: relPath, recursive: cur.recursive}
		last = fv
		if rel.Type == schema.HasMany || rel.Type == schema.Many2Many {
			return fv, next, nil // to-many: Exists iterates it
		}
		e := fv
		for e.Kind() == reflect.Pointer {
			if e.IsNil() {
				return reflect.Value{}, next, nil // genuinely absent
			}
			e = e.Elem()
		}
		next.v = e
		cur = next
		m = l.comp.models[l.comp.classOf(cur.gs)]
	}
	return last, cur, nil
}

func lookupRelation(gs *schema.Schema, name string) *schema.Relationship {
	if r := gs.Relationships.Relations[name]; r != nil {
		return r
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		rs := &gs.Relationships
		parts := strings.Split(name, ".")
		for _, pre := range parts[:len(parts)-1] {
			sub := rs.EmbeddedRelations[pre]
			if sub == nil {
				return nil
			}
			rs = sub
		}
		return rs.Relations[parts[len(parts)-1]]
	}
	return nil
}

func (c *compiled) classOf(gs *schema.Schema) string {
	for class, m := range c.models {
		if m.gorm == gs || m.gorm.ModelType == gs.ModelType {
			return class
		}
	}
	return ""
}

// notLoaded applies the rules documented on IsAllowed.
func (l *loader) notLoaded(rel *schema.Relationship, owner, fv reflect.Value) bool {
	switch rel.Type {
	case schema.BelongsTo:
		if !toOneEmpty(l.ctx, rel, fv) {
			return false
		}
		if l.visited[loadedKey(l.ctx, rel, owner)] {
			return false // loaded in this decision and absent (e.g. soft-deleted)
		}
		for _, ref := range rel.References {
			if _, zero := ref.ForeignKey.ValueOf(l.ctx, owner); !zero {
				return true
			}
		}
		return false
	case schema.HasOne:
		return toOneEmpty(l.ctx, rel, fv) && saved(l.ctx, rel.Schema, owner) && !l.visited[loadedKey(l.ctx, rel, owner)]
	case schema.HasMany, schema.Many2Many:
		return fv.Kind() == reflect.Slice && fv.IsNil() && saved(l.ctx, rel.Schema, owner)
	}
	return false
}

func toOneEmpty(ctx context.Context, rel *schema.Relationship, fv reflect.Value) bool {
	if fv.Kind() == reflect.Pointer {
		return fv.IsNil()
	}
	if fv.Kind() == reflect.Struct && rel.FieldSchema != nil {
		return !saved(ctx, rel.FieldSchema, fv)
	}
	return false
}

// saved reports whether v (a struct of gs) has a non-zero primary key.
func saved(ctx context.Context, gs *schema.Schema, v reflect.Value) bool {
	for _, f := range gs.PrimaryFields {
		if _, zero := f.ValueOf(ctx, v); !zero {
			return true
		}
	}
	return false
}

func pkKey(ctx context.Context, gs *schema.Schema, v reflect.Value) string {
	var b strings.Builder
	b.WriteString(gs.ModelType.String())
	for _, f := range gs.PrimaryFields {
		val, _ := f.ValueOf(ctx, v)
		fmt.Fprintf(&b, "\x00%v", val)
	}
	if len(gs.PrimaryFields) == 0 && v.CanAddr() {
		fmt.Fprintf(&b, "\x00%p", v.Addr().Interface())
	}
	return b.String()
}

func loadedKey(ctx context.Context, rel *schema.Relationship, owner reflect.Value) string {
	return "load\x00" + rel.Name + "\x00" + pkKey(ctx, rel.Schema, owner)
}

// load loads one association of owner through GORM and stores it on owner.
func (l *loader) load(rel *schema.Relationship, owner reflect.Value) error {
	if l.budget--; l.budget < 0 {
		return fmt.Errorf("gormfilter: deciding on %s loads more than %d associations; preload them", l.root, maxLoads)
	}
	if !owner.CanAddr() {
		return fmt.Errorf("%w: cannot load %s on a value that is not addressable", ErrNotLoaded, rel.Name)
	}
	l.visited[loadedKey(l.ctx, rel, owner)] = true
	ft := rel.Field.IndirectFieldType // T for *T, []T / []*T for slices
	switch rel.Type {
	case schema.HasMany, schema.Many2Many:
		out := reflect.New(ft)
		out.Elem().Set(reflect.MakeSlice(ft, 0, 0))
		if err := l.db.Model(owner.Addr().Interface()).Association(rel.Name).Find(out.Interface()); err != nil {
			return fmt.Errorf("gormfilter: load %s.%s: %w", rel.Schema.ModelType, rel.Name, err)
		}
		if out.Elem().IsNil() {
			out.Elem().Set(reflect.MakeSlice(ft, 0, 0))
		}
		return rel.Field.Set(l.ctx, owner, out.Elem().Interface())
	default:
		et := ft
		for et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		out := reflect.New(reflect.SliceOf(reflect.PointerTo(et)))
		if err := l.db.Model(owner.Addr().Interface()).Association(rel.Name).Find(out.Interface()); err != nil {
			return fmt.Errorf("gormfilter: load %s.%s: %w", rel.Schema.ModelType, rel.Name, err)
		}
		if out.Elem().Len() == 0 {
			return nil // absent
		}
		return rel.Field.Set(l.ctx, owner, out.Elem().Index(0).Interface())
	}
}

// createCallback decides every model a Create on an authorized statement
// inserts, in memory (loading associations the policy needs, see IsAllowed),
// and refuses the whole statement if one is not allowed.
func (p *Plugin) createCallback(db *gorm.DB) {
	reqs := requestsOf(db)
	if len(reqs) == 0 || db.Error != nil {
		return
	}
	if db.Statement.Schema == nil {
		_ = db.AddError(fmt.Errorf("%w: Create on an authorized statement needs a model", ErrUnknownModel))
		return
	}
	if err := writeGuards(db, false, true); err != nil {
		_ = db.AddError(err)
		return
	}
	var objs []any
	rv := db.Statement.ReflectValue
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			e := rv.Index(i)
			if e.Kind() != reflect.Pointer {
				e = e.Addr()
			}
			objs = append(objs, e.Interface())
		}
	case reflect.Struct:
		if !rv.CanAddr() {
			_ = db.AddError(fmt.Errorf("%w: Create on an authorized statement needs a pointer", ErrUnsupported))
			return
		}
		objs = append(objs, rv.Addr().Interface())
	default:
		_ = db.AddError(fmt.Errorf("%w: Create from %s on an authorized statement", ErrUnsupported, rv.Kind()))
		return
	}
	tx := db.Session(&gorm.Session{NewDB: true})
	for _, r := range reqs {
		for _, o := range objs {
			// Decide on a shallow copy: associations loaded for the decision
			// must not become part of what GORM inserts.
			cp := reflect.New(reflect.TypeOf(o).Elem())
			cp.Elem().Set(reflect.ValueOf(o).Elem())
			ok, err := IsAllowed(tx, r.actor, r.action, cp.Interface())
			if err != nil {
				_ = db.AddError(err)
				return
			}
			if !ok {
				_ = db.AddError(fmt.Errorf("%w: %s on %T", ErrNotAuthorized, r.action, o))
				return
			}
		}
	}
}

// AuthorizedActionsFor returns, for a page of rows already fetched (a slice,
// or pointer to a slice, of model structs or pointers), which of actions the
// actor may perform on each row: result[i] lists the allowed actions of
// rows[i], in the order of actions.
//
// It runs ONE query for the whole page and all actions, whatever the page
// size: SELECT pk, CASE WHEN <filter of action 1> THEN 1 ELSE 0 END, ...
// FROM table WHERE pk IN (<page>) (split in chunks of 500 keys). The answer
// is therefore the filter's answer on the rows as stored in the database
// (exactly what Authorized(db, actor, action) would list), needs no
// association loaded, and handles recursive rules. Rows not in the database
// (zero or unknown primary key) get no actions. The actions must be given:
// the filter is per action.
func AuthorizedActionsFor(db *gorm.DB, actor any, rows any, actions ...string) ([][]string, error) {
	p, err := pluginOf(db)
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		return nil, errors.New("gormfilter: AuthorizedActionsFor needs the actions to check")
	}
	rv := reflect.ValueOf(rows)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, fmt.Errorf("gormfilter: AuthorizedActionsFor wants a slice of models, got %T", rows)
	}
	out := make([][]string, rv.Len())
	if rv.Len() == 0 {
		return out, nil
	}
	elemType := rv.Type().Elem()
	for elemType.Kind() == reflect.Pointer {
		elemType = elemType.Elem()
	}
	gs, err := parse(db, reflect.New(elemType).Interface())
	if err != nil {
		return nil, err
	}
	if len(gs.PrimaryFields) == 0 {
		return nil, fmt.Errorf("%w: %s has no primary key", ErrUnsupported, gs.ModelType)
	}
	comp, err := p.compiledFor(gs)
	if err != nil {
		return nil, err
	}
	dialect, err := dialectOf(db)
	if err != nil {
		return nil, err
	}
	ctx := db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	conds := make([]*filterExpr, len(actions))
	for i, a := range actions {
		if conds[i], err = p.compile(ctx, comp, &request{actor: actor, action: a}, dialect, gs.Table); err != nil {
			return nil, err
		}
	}
	// Row keys and positions.
	index := map[string][]int{}
	var keys [][]any
	for i := 0; i < rv.Len(); i++ {
		e := rv.Index(i)
		for e.Kind() == reflect.Pointer && !e.IsNil() {
			e = e.Elem()
		}
		if e.Kind() != reflect.Struct || !saved(ctx, gs, e) {
			continue
		}
		vals := make([]any, len(gs.PrimaryFields))
		for j, f := range gs.PrimaryFields {
			vals[j], _ = f.ValueOf(ctx, e)
		}
		k := keyString(vals)
		if _, dup := index[k]; !dup {
			keys = append(keys, vals)
		}
		index[k] = append(index[k], i)
	}
	tx := db.Session(&gorm.Session{NewDB: true, Context: ctx})
	const chunk = 500
	for start := 0; start < len(keys); start += chunk {
		end := min(start+chunk, len(keys))
		if err := actionsQuery(tx, gs, conds, keys[start:end], func(k string, allowed []bool) {
			for _, i := range index[k] {
				for a, ok := range allowed {
					if ok {
						out[i] = append(out[i], actions[a])
					}
				}
			}
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func keyString(vals []any) string {
	var b strings.Builder
	for _, v := range vals {
		if bs, ok := v.([]byte); ok {
			v = string(bs)
		}
		fmt.Fprintf(&b, "%v\x00", v)
	}
	return b.String()
}

// actionsQuery runs the one query of AuthorizedActionsFor for one chunk.
func actionsQuery(tx *gorm.DB, gs *schema.Schema, conds []*filterExpr, keys [][]any, emit func(key string, allowed []bool)) error {
	q := tx.Statement.Quote
	table := q(gs.Table)
	var sql strings.Builder
	var args []any
	sql.WriteString("SELECT ")
	for i, f := range gs.PrimaryFields {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString(table + "." + q(f.DBName))
	}
	for _, c := range conds {
		sql.WriteString(", CASE WHEN (")
		sql.WriteString(c.SQL)
		sql.WriteString(") THEN 1 ELSE 0 END")
		args = append(args, c.Vars...)
	}
	sql.WriteString(" FROM " + table + " WHERE ")
	if len(gs.PrimaryFields) == 1 {
		sql.WriteString(table + "." + q(gs.PrimaryFields[0].DBName) + " IN (")
		for i, k := range keys {
			if i > 0 {
				sql.WriteString(",")
			}
			sql.WriteString("?")
			args = append(args, k[0])
		}
		sql.WriteString(")")
	} else {
		for i, k := range keys {
			if i > 0 {
				sql.WriteString(" OR ")
			}
			sql.WriteString("(")
			for j, f := range gs.PrimaryFields {
				if j > 0 {
					sql.WriteString(" AND ")
				}
				sql.WriteString(table + "." + q(f.DBName) + " = ?")
				args = append(args, k[j])
			}
			sql.WriteString(")")
		}
	}
	rows, err := tx.Raw("?", &rawSQL{SQL: sql.String(), Vars: args}).Rows()
	if err != nil {
		return fmt.Errorf("gormfilter: authorized actions of %s: %w", gs.ModelType, err)
	}
	defer rows.Close()
	n := len(gs.PrimaryFields)
	for rows.Next() {
		dest := make([]any, n+len(conds))
		pks := make([]reflect.Value, n)
		for j, f := range gs.PrimaryFields {
			pks[j] = reflect.New(f.IndirectFieldType)
			dest[j] = pks[j].Interface()
		}
		flags := make([]int64, len(conds))
		for j := range conds {
			dest[n+j] = &flags[j]
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("gormfilter: authorized actions of %s: %w", gs.ModelType, err)
		}
		vals := make([]any, n)
		for j := range pks {
			vals[j] = pks[j].Elem().Interface()
		}
		allowed := make([]bool, len(conds))
		for j, f := range flags {
			allowed[j] = f == 1
		}
		emit(keyString(vals), allowed)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("gormfilter: authorized actions of %s: %w", gs.ModelType, err)
	}
	return nil
}
