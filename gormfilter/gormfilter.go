package gormfilter

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// Authorizer is what gormfilter needs from an authorization engine. The root
// package's *ursa.Authorizer implements it; gormfilter does not import it so
// that data keeps flowing one way (ursa -> gormfilter is never needed).
type Authorizer interface {
	// Filter returns which resources of the Polar type resourceType the actor
	// may perform action on.
	Filter(ctx context.Context, actor any, action, resourceType string) (*partial.Filter, error)
	// IsAllowed decides on one loaded Go value.
	IsAllowed(ctx context.Context, actor, action, resource any) (bool, error)
	// AuthorizedActions lists the actions the actor may perform on resource.
	AuthorizedActions(ctx context.Context, actor, resource any) ([]string, error)
	// ClassName returns the Polar class name registered for a Go type.
	ClassName(t reflect.Type) (string, bool)
}

// PluginName is the name under which the plugin registers with GORM.
const PluginName = "ursa:gormfilter"

// settingKey is the Statement setting that carries the authorization requests.
const settingKey = "ursa:gormfilter:requests"

// Sentinel errors. Every error gormfilter adds to a statement wraps one of
// them (or an error returned by the Authorizer or sqlgen), so callers can use
// errors.Is.
var (
	// ErrNotInstalled: Authorized/Scope was used on a *gorm.DB whose plugin
	// list does not contain the gormfilter plugin (db.Use(gormfilter.New(a))).
	ErrNotInstalled = errors.New("gormfilter: plugin not installed; call db.Use(gormfilter.New(authorizer)) first")
	// ErrUnknownModel: the statement's model is unknown or not registered with
	// the authorizer.
	ErrUnknownModel = errors.New("gormfilter: unknown model")
	// ErrUnsupported: the statement or the schema uses something gormfilter
	// cannot filter (raw SQL, polymorphic relations, an unknown dialect).
	ErrUnsupported = errors.New("gormfilter: unsupported")
	// ErrReadOnlyAction: a read-only action (by default "read") was used to
	// authorize an Update or Delete.
	ErrReadOnlyAction = errors.New("gormfilter: read-only action used for a write")
	// ErrNotAuthorized: a Create was refused by the policy.
	ErrNotAuthorized = errors.New("gormfilter: not authorized")
	// ErrNotLoaded: a decision on a loaded model needs an association that is
	// not loaded (see NotLoadedError).
	ErrNotLoaded = errors.New("gormfilter: association not loaded")
)

// Plugin is the GORM plugin. Create it with New and install it with db.Use.
// It is safe for concurrent use.
type Plugin struct {
	auth      Authorizer
	classes   map[reflect.Type]string
	overrides map[reflect.Type][]func(*sqlgen.Table)
	readOnly  map[string]bool
	strict    bool
	enforced  bool             // EnforcedKeys
	extra     []any            // WithModels
	extraGS   []*schema.Schema // parsed at Initialize

	schemas sync.Map // reflect.Type -> *compiled
}

// Option configures a Plugin.
type Option func(*Plugin)

// WithClass names the Polar class of a Go model that the authorizer does not
// know by itself (an unusual model). model is a value or pointer of the type.
func WithClass(model any, className string) Option {
	return func(p *Plugin) { p.classes[typeOf(model)] = className }
}

// Override adjusts the table gormfilter derives from a GORM model, for models
// GORM's schema does not describe fully (a relation declared only in the
// database, a column GORM ignores, a nullability GORM cannot see). fn runs
// once, when the table is first built; the table's field and relation keys
// are Go field names.
func Override(model any, fn func(t *sqlgen.Table)) Option {
	return func(p *Plugin) {
		t := typeOf(model)
		p.overrides[t] = append(p.overrides[t], fn)
	}
}

// WithModels adds models to every schema gormfilter builds, beside those
// reachable from the queried model through GORM relations: the targets of
// relations declared with Override, for instance.
func WithModels(models ...any) Option {
	return func(p *Plugin) { p.extra = append(p.extra, models...) }
}

// ReadOnlyActions sets the actions that may not authorize an Update or
// Delete (default: "read"). Using one of them for a write adds
// ErrReadOnlyAction to the statement. Call with no actions to allow any.
func ReadOnlyActions(actions ...string) Option {
	return func(p *Plugin) {
		p.readOnly = map[string]bool{}
		for _, a := range actions {
			p.readOnly[a] = true
		}
	}
}

// StrictLoading makes IsAllowed and Create checks return a *NotLoadedError
// naming the association to preload instead of loading a missing association
// through GORM.
func StrictLoading() Option { return func(p *Plugin) { p.strict = true } }

// EnforcedKeys tells gormfilter that the database enforces every foreign
// key of the models (FOREIGN KEY constraints, as GORM's AutoMigrate creates
// unless DisableForeignKeyConstraintWhenMigrating is set, and no rows
// deleted behind them). The belongs-to and many-to-many relations are then
// marked sqlgen.Relation.Enforced, and a filter reads a key instead of the
// related row: resource.Org.ID in [...] is org_id IN (...), not
// org_id IN (SELECT id FROM orgs WHERE id IN (...)).
//
// Without it (the default) no reference is trusted: a key that points at a
// missing row is a nil relation for a decision, and the filter agrees by
// checking that the row exists. A relation to a soft-deleting model
// (gorm.DeletedAt) is never marked: a soft-deleted row still satisfies the
// constraint but GORM never loads it, so for a decision the relation is nil.
// To mark single relations instead, use Override and set Enforced on them.
func EnforcedKeys() Option { return func(p *Plugin) { p.enforced = true } }

// New returns the plugin for a. Install it once per *gorm.DB with db.Use.
func New(a Authorizer, opts ...Option) *Plugin {
	p := &Plugin{
		auth:      a,
		classes:   map[reflect.Type]string{},
		overrides: map[reflect.Type][]func(*sqlgen.Table){},
		readOnly:  map[string]bool{"read": true},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Name implements gorm.Plugin.
func (p *Plugin) Name() string { return PluginName }

// Initialize implements gorm.Plugin: it registers the callbacks that compile
// and add the filter before every query, row, update and delete, decide
// creates, and refuse raw SQL on an authorized statement.
func (p *Plugin) Initialize(db *gorm.DB) error {
	for _, m := range p.extra {
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(m); err != nil {
			return fmt.Errorf("gormfilter: WithModels(%T): %w", m, err)
		}
		p.extraGS = append(p.extraGS, stmt.Schema)
	}
	cb := db.Callback()
	if err := cb.Query().Before("gorm:query").Register("ursa:filter_query", p.filterCallback(opQuery)); err != nil {
		return err
	}
	if err := cb.Row().Before("gorm:row").Register("ursa:filter_row", p.filterCallback(opQuery)); err != nil {
		return err
	}
	// Writes are checked before GORM's hooks and association saves, so a
	// refused statement changes nothing.
	if err := cb.Update().Before("gorm:before_update").Register("ursa:filter_update", p.filterCallback(opUpdate)); err != nil {
		return err
	}
	if err := cb.Delete().Before("gorm:before_delete").Register("ursa:filter_delete", p.filterCallback(opDelete)); err != nil {
		return err
	}
	if err := cb.Create().Before("gorm:before_create").Register("ursa:filter_create", p.createCallback); err != nil {
		return err
	}
	return cb.Raw().Before("gorm:raw").Register("ursa:filter_raw", p.rawCallback)
}

// request is one (actor, action) pair recorded on a statement.
type request struct {
	actor  any
	action string
}

// Authorized returns db restricted to the rows actor may perform action on.
// The filter is compiled when the statement runs (Find, First, Take, Count,
// Pluck, Scan, Rows, Update, Delete, ...), once the model is known, and
// ANDed with all other conditions. Any error (unknown model, unsupported
// policy construct, authorizer error) is added to the statement, so the
// query does not run. For Update and Delete, pass the action that matches
// the write ("update", "delete"); only permitted rows change.
//
// Calling Authorized more than once on a chain requires all the actions.
func Authorized(db *gorm.DB, actor any, action string) *gorm.DB {
	var reqs []*request
	if v, ok := db.Get(settingKey); ok {
		reqs, _ = v.([]*request)
	}
	// Copy on write: settings are shared by statements cloned from this one.
	next := make([]*request, len(reqs), len(reqs)+1)
	copy(next, reqs)
	next = append(next, &request{actor: actor, action: action})
	// Set returns a new instance for a fresh *gorm.DB and the same one in
	// the middle of a chain or inside a scope, as every GORM chain method.
	tx := db.Set(settingKey, next)
	if _, ok := tx.Config.Plugins[PluginName].(*Plugin); !ok {
		_ = tx.AddError(ErrNotInstalled)
	}
	return tx
}

// Scope is Authorized as a GORM scope:
//
//	db.Model(&Repo{}).Scopes(gormfilter.Scope(user, "read")).Where("archived = ?", false).Count(&n)
func Scope(actor any, action string) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB { return Authorized(db, actor, action) }
}

// Unfiltered drops the authorization recorded on a statement. Preloads of an
// authorized statement are filtered too (GORM copies the statement's
// settings into preload queries: each association is filtered by the same
// actor and action on its own Polar type); pass Unfiltered as the preload's
// condition for an association that is not a policy resource:
//
//	gormfilter.Authorized(db, user, "read").Preload("Memberships", gormfilter.Unfiltered).Find(&repos)
func Unfiltered(db *gorm.DB) *gorm.DB { return db.Set(settingKey, []*request(nil)) }

func requestsOf(db *gorm.DB) []*request {
	if v, ok := db.Statement.Settings.Load(settingKey); ok {
		r, _ := v.([]*request)
		return r
	}
	return nil
}

type op int

const (
	opQuery op = iota
	opUpdate
	opDelete
)

func (p *Plugin) filterCallback(o op) func(*gorm.DB) {
	return func(db *gorm.DB) {
		reqs := requestsOf(db)
		if len(reqs) == 0 || db.Error != nil {
			return
		}
		if err := p.apply(db, reqs, o); err != nil {
			_ = db.AddError(err)
		}
	}
}

func (p *Plugin) rawCallback(db *gorm.DB) {
	if len(requestsOf(db)) > 0 && db.Error == nil {
		_ = db.AddError(fmt.Errorf("%w: raw SQL (Exec/Raw) cannot be filtered; use Model/Table with Where", ErrUnsupported))
	}
}

// apply compiles the statement's filters and ANDs them with its WHERE clause.
func (p *Plugin) apply(db *gorm.DB, reqs []*request, o op) error {
	stmt := db.Statement
	if stmt.SQL.Len() > 0 {
		return fmt.Errorf("%w: raw SQL (Raw) cannot be filtered; use Model/Table with Where", ErrUnsupported)
	}
	if stmt.Schema == nil {
		return fmt.Errorf("%w: the statement has no model; use db.Model(&T{}) or a typed destination", ErrUnknownModel)
	}
	if o != opQuery {
		if err := writeGuards(db, o == opDelete, false); err != nil {
			return err
		}
	}
	dialect, err := dialectOf(db)
	if err != nil {
		return err
	}
	comp, err := p.compiledFor(stmt.Schema)
	if err != nil {
		return err
	}
	var exprs []clause.Expression
	for _, r := range reqs {
		if alreadyApplied(stmt, r) {
			continue
		}
		if o != opQuery && p.readOnly[r.action] {
			return fmt.Errorf("%w: action %q cannot authorize an %s; pass the write's action (e.g. %q)", ErrReadOnlyAction, r.action, o, o.String())
		}
		var e *filterExpr
		if o != opQuery && dialect == dialectMySQL && len(stmt.Schema.PrimaryFieldDBNames) > 0 {
			e, err = p.compileMySQLWrite(stmt, comp, r)
		} else {
			e, err = p.compile(stmt.Context, comp, r, dialect, stmt.Table)
		}
		if err != nil {
			return err
		}
		exprs = append(exprs, e)
	}
	if len(exprs) == 0 {
		return nil
	}
	where, hadWhere := whereOf(stmt)
	if o != opQuery && !hadWhere && !db.AllowGlobalUpdate && !primaryKeySet(stmt) {
		// Keep GORM's guard: without the filter this statement would fail
		// with ErrMissingWhereClause, so it must still fail with it.
		return gorm.ErrMissingWhereClause
	}
	var all []clause.Expression
	if len(where.Exprs) > 0 {
		all = append(all, group{where.Exprs})
	}
	all = append(all, exprs...)
	c := stmt.Clauses["WHERE"]
	c.Name = "WHERE"
	c.Expression = clause.Where{Exprs: all}
	stmt.Clauses["WHERE"] = c
	return nil
}

func (o op) String() string {
	switch o {
	case opUpdate:
		return "update"
	case opDelete:
		return "delete"
	}
	return "query"
}

// compile asks the authorizer for r's filter on comp's root type and
// compiles it to a condition over alias.
func (p *Plugin) compile(ctx context.Context, comp *compiled, r *request, dialect sqlDialect, alias string) (*filterExpr, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	f, err := p.auth.Filter(ctx, r.actor, r.action, comp.root)
	if err != nil {
		return nil, fmt.Errorf("gormfilter: filter %s for %q: %w", comp.root, r.action, err)
	}
	if f == nil {
		return nil, fmt.Errorf("gormfilter: filter %s for %q: authorizer returned no filter", comp.root, r.action)
	}
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%s", dialect, alias, f.Type, f.String())
	if hit, ok := comp.sqlCache.get(key); ok {
		return &filterExpr{SQL: hit.sql, Vars: hit.args, req: r}, nil
	}
	if f, err = comp.rewrite(f); err != nil {
		return nil, err
	}
	sql, args, err := compileWhere(f, comp.schema, dialect, alias)
	if err != nil {
		return nil, fmt.Errorf("gormfilter: compile %s filter for %q: %w", comp.root, r.action, err)
	}
	if sql == "" {
		// Allow-all compiles to no condition; keep a marker condition so
		// the request counts as applied on a reused statement.
		sql = "1=1"
	}
	comp.sqlCache.put(key, compiledSQL{sql: sql, args: args})
	return &filterExpr{SQL: sql, Vars: args, req: r}, nil
}

// writeAlias names the filtered table inside the derived table of a MySQL
// write (compileMySQLWrite).
const writeAlias = "ursa_w"

// compileMySQLWrite compiles the filter of an UPDATE or DELETE for MySQL,
// which refuses a subquery on the table being changed (error 1093, e.g. a
// self-referencing or recursive filter on folders). The filter selects the
// permitted keys in a derived table, which MySQL materializes first:
//
//	(t.pk) IN (SELECT DISTINCT k.pk FROM (SELECT w.pk FROM t AS w WHERE <filter over w>) AS k)
func (p *Plugin) compileMySQLWrite(stmt *gorm.Statement, comp *compiled, r *request) (*filterExpr, error) {
	inner, err := p.compile(stmt.Context, comp, r, dialectMySQL, writeAlias)
	if err != nil {
		return nil, err
	}
	table := stmt.Table
	if stmt.TableExpr != nil || table == "" {
		table = stmt.Schema.Table
	}
	const keys = "ursa_k"
	cols := func(alias string) string {
		parts := make([]string, len(stmt.Schema.PrimaryFieldDBNames))
		for i, c := range stmt.Schema.PrimaryFieldDBNames {
			parts[i] = stmt.Quote(clause.Column{Table: alias, Name: c})
		}
		return strings.Join(parts, ", ")
	}
	var b strings.Builder
	b.WriteString("(" + cols(stmt.Table) + ") IN (SELECT DISTINCT " + cols(keys) + " FROM (SELECT " + cols(writeAlias) + " FROM ")
	b.WriteString(stmt.Quote(clause.Table{Name: table}) + " AS " + stmt.Quote(writeAlias) + " WHERE " + inner.SQL + ") AS " + stmt.Quote(keys) + ")")
	return &filterExpr{SQL: b.String(), Vars: inner.Vars, req: r}, nil
}

// dialectOf maps GORM's dialector name to a sqlgen dialect.
func dialectOf(db *gorm.DB) (sqlDialect, error) {
	switch name := db.Dialector.Name(); name {
	case "postgres":
		return dialectPostgres, nil
	case "mysql":
		return dialectMySQL, nil
	case "sqlite", "sqlite3":
		return dialectSQLite, nil
	default:
		return dialectPostgres, fmt.Errorf("%w: dialect %q (want postgres, mysql or sqlite)", ErrUnsupported, name)
	}
}

func whereOf(stmt *gorm.Statement) (clause.Where, bool) {
	c, ok := stmt.Clauses["WHERE"]
	if !ok {
		return clause.Where{}, false
	}
	w, _ := c.Expression.(clause.Where)
	return w, len(w.Exprs) > 0
}

// alreadyApplied reports whether r's filter is already in stmt's WHERE (a
// chain reused for a second finisher keeps its clauses).
func alreadyApplied(stmt *gorm.Statement, r *request) bool {
	w, _ := whereOf(stmt)
	return containsReq(w.Exprs, r)
}

func containsReq(exprs []clause.Expression, r *request) bool {
	for _, e := range exprs {
		switch e := e.(type) {
		case *filterExpr:
			if e.req == r {
				return true
			}
		case group:
			if containsReq(e.exprs, r) {
				return true
			}
		}
	}
	return false
}

// anyModel reports whether pred holds for some model struct in v: v itself,
// or an element of a slice or array, through pointers; values of other types
// are skipped.
func anyModel(stmt *gorm.Statement, v reflect.Value, pred func(reflect.Value) bool) bool {
	for v.IsValid() && v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() {
		return false
	}
	if v.Kind() == reflect.Slice || v.Kind() == reflect.Array {
		for i := 0; i < v.Len(); i++ {
			if anyModel(stmt, v.Index(i), pred) {
				return true
			}
		}
		return false
	}
	return v.Kind() == reflect.Struct && v.Type() == stmt.Schema.ModelType && pred(v)
}

// primaryKeySet reports whether the statement's model value carries a
// primary key GORM will turn into a condition.
func primaryKeySet(stmt *gorm.Statement) bool {
	if stmt.Schema == nil || len(stmt.Schema.PrimaryFields) == 0 {
		return false
	}
	hasKey := func(v reflect.Value) bool { return saved(stmt.Context, stmt.Schema, v) }
	for _, m := range []any{stmt.Model, stmt.Dest} {
		if m != nil && anyModel(stmt, reflect.ValueOf(m), hasKey) {
			return true
		}
	}
	return false
}

// writeGuards refuses what GORM would write beside the filtered statement,
// unfiltered: associations saved by a Create/Update (GORM upserts them in
// sessions of their own), associations deleted by Select(...).Delete, and
// upserts whose ON CONFLICT clause updates an existing row.
func writeGuards(db *gorm.DB, del, create bool) error {
	stmt := db.Statement
	if c, ok := stmt.Clauses["ON CONFLICT"]; ok {
		if oc, ok := c.Expression.(clause.OnConflict); ok && !oc.DoNothing && (oc.UpdateAll || len(oc.DoUpdates) > 0) {
			return fmt.Errorf("%w: an upsert (ON CONFLICT ... UPDATE, also Save of a row the filter did not update) would change a row without its filter; use Update/Updates", ErrUnsupported)
		}
	}
	if stmt.Schema == nil {
		return nil
	}
	if del {
		sel, restricted := stmt.SelectAndOmitColumns(true, false)
		if restricted {
			for name, on := range sel {
				if _, isRel := stmt.Schema.Relationships.Relations[name]; on && isRel {
					return fmt.Errorf("%w: deleting association %s with Select would delete its rows without a filter", ErrUnsupported, name)
				}
			}
		}
		return nil
	}
	if db.FullSaveAssociations {
		return fmt.Errorf("%w: FullSaveAssociations would update associated rows without a filter", ErrUnsupported)
	}
	sel, restricted := stmt.SelectAndOmitColumns(create, !create)
	var bad string
	forEachRelation(stmt.Schema, "", func(name string, rel *schema.Relationship) {
		if bad != "" || strings.Contains(name, ".") {
			return
		}
		if v, ok := sel[name]; (ok && !v) || (!ok && restricted) {
			return // GORM will not save it
		}
		if hasAssociationValue(stmt, rel.Field) {
			bad = name
		}
	})
	if bad != "" {
		return fmt.Errorf("%w: an authorized write does not save associations (%s would be written without a filter); Omit(clause.Associations) or save it with its own authorized statement", ErrUnsupported, bad)
	}
	return nil
}

// hasAssociationValue reports whether the statement's model value(s) hold a
// value for the association field that GORM would save.
func hasAssociationValue(stmt *gorm.Statement, f *schema.Field) bool {
	return anyModel(stmt, stmt.ReflectValue, func(v reflect.Value) bool {
		fv := f.ReflectValueOf(stmt.Context, v)
		switch fv.Kind() {
		case reflect.Pointer, reflect.Interface:
			return !fv.IsNil()
		case reflect.Slice, reflect.Array, reflect.Map:
			return fv.Len() > 0
		}
		return !fv.IsZero()
	})
}

func typeOf(model any) reflect.Type {
	t := reflect.TypeOf(model)
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		t = t.Elem()
	}
	return t
}
