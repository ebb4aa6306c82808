// Package gormfilter makes a GORM application list, count, update and delete
// only the rows an actor may act on, with one call:
//
//	db.Use(gormfilter.New(authorizer))                  // once per *gorm.DB
//	gormfilter.Authorized(db, user, "read").Find(&repos)
//	db.Model(&Repo{}).Scopes(gormfilter.Scope(user, "read")).Where("archived = ?", false).Count(&n)
//	gormfilter.Authorized(db, user, "update").Model(&Repo{}).Where("id = ?", id).Update("name", name)
//
// # Entry points
//
//   - New(Authorizer, ...Option) *Plugin: the GORM plugin; install it with db.Use.
//     Options: WithClass, Override and WithModels for unusual models,
//     ReadOnlyActions, StrictLoading, EnforcedKeys.
//   - Authorized(db, actor, action) and Scope(actor, action): record the
//     (actor, action) on the statement. Calling both or twice requires all.
//   - Unfiltered: a preload condition that loads an association unfiltered.
//   - IsAllowed(db, actor, action, model): decide on one loaded model, loading
//     (or, with StrictLoading, naming) associations the policy needs.
//   - AuthorizedActionsFor(db, actor, rows, actions...): the allowed actions
//     per row of a fetched page, in one query.
//   - SchemaFor(db, authorizer, models, ...Option): the sqlgen.Schema
//     gormfilter compiles against, to use sqlgen directly on the same tables.
//   - Authorizer: the interface gormfilter needs; *ursa.Authorizer implements it.
//
// # How it works
//
// Authorized and Scope only record the request in the statement's settings.
// Callbacks the plugin registers before gorm:query and gorm:row, and before
// the hooks of updates, deletes and creates, run once GORM knows the model: they ask the Authorizer for the
// action's filter on the model's Polar class, compile it with sqlgen for the
// dialect (db.Dialector.Name(): postgres, mysql, sqlite) against the
// statement's table (or its alias, Table("repos AS r")), and AND it with the
// statement's own conditions, which are parenthesised first so a caller's
// Or cannot escape the filter. Values are bind parameters handed to GORM as
// `?`, so GORM numbers them with every other clause ($n on Postgres). Find,
// First, Take, Count, Pluck, Scan, Rows, Limit/Offset, Order, Joins,
// subqueries, sessions and transactions all go through these callbacks.
// Preload queries inherit the statement's settings (GORM copies them), so
// each preloaded association is filtered by the same actor and action on its
// own Polar class; pass Unfiltered as the preload's condition for one that is
// not a policy resource. Joins loads the joined association as part of the
// row, unfiltered.
//
// Update and Delete use the action passed to Authorized, so only permitted
// rows change (on MySQL through a materialized derived table of permitted
// keys, since MySQL refuses a subquery on the table being changed); a read-only action (default "read", see ReadOnlyActions) is
// refused for a write, and GORM's missing-WHERE guard still applies (the
// filter does not count as the caller's condition). A Create on an authorized
// statement decides every new model in memory (see IsAllowed) and refuses
// the whole statement if one is not allowed. Raw SQL (Raw, Exec) on an
// authorized statement is refused: it cannot be filtered.
//
// What GORM would write beside the filtered statement is refused, before any
// hook or association runs: an upsert whose ON CONFLICT updates a row
// (including Save's fallback when the filtered UPDATE matched no row: a
// forbidden row stays unchanged and Save returns ErrUnsupported), saving
// associations with a Create/Update/Save (Omit(clause.Associations), or save
// them with their own authorized statement), deleting associations with
// Select(...).Delete, and FullSaveAssociations. (On MySQL, whose affected-row
// count skips unchanged rows, a Save that changes nothing also takes GORM's
// upsert fallback and is refused; use Updates there.)
//
// # Schema
//
// The table schema is read from GORM's parsed model schemas: table names
// (naming strategy, TableName()), columns, primary keys, belongs-to,
// has-one, has-many and many-to-many relations (join tables), self
// references, anonymous embedded structs (gorm.Model: fields keep their
// names) and named embedded structs (`gorm:"embedded"`: fields are keyed
// "Author.Name", and filter paths resource.Author.Name are mapped to them).
// Every model reachable from the queried model through relations is
// described; Polar class names come from Authorizer.ClassName (WithClass
// names unregistered types). A column is nullable unless it is a primary key
// or tagged NOT NULL, so sqlgen's null-safe comparisons agree with decisions
// on loaded rows. Schemas are cached per plugin and model type. Polymorphic
// relations are not described; a filter that uses one fails with
// ErrUnsupported.
//
// Foreign keys: no reference is trusted by default. A key that points at a
// missing row (no FOREIGN KEY constraint, DisableForeignKeyConstraintWhenMigrating,
// a row deleted behind the application) is a nil relation for a decision, so
// the filter checks that the related row exists (resource.Org.ID in [...] is
// org_id IN (SELECT id FROM orgs WHERE id IN (...))). When the database
// enforces every foreign key, EnforcedKeys marks the belongs-to and
// many-to-many relations sqlgen.Relation.Enforced and the filter reads the
// keys alone (org_id IN (...)); relations to soft-deleting models are never
// marked. Override can mark single relations. gormfilter never guesses it.
//
// Soft deletion: GORM hides soft-deleted rows (gorm.DeletedAt) from every
// query, join and preload, so a decision on loaded data never sees them.
// The filter agrees: a related row of a soft-deleting model counts only
// while its DeletedAt is NULL (a revoked, soft-deleted membership grants
// nothing). The queried model's own soft delete is GORM's as usual.
//
// # Failing closed
//
// Every error — plugin not installed, no or unregistered model, an
// authorizer error, a policy construct sqlgen cannot compile, an
// unsupported dialect — is added to the statement with AddError: the
// statement does not run and returns no rows. Errors wrap the sentinel
// errors (ErrNotInstalled, ErrUnknownModel, ErrUnsupported, ...) for
// errors.Is.
//
// # Deciding on loaded models
//
// IsAllowed decides in memory through the Authorizer. It first walks the
// action's filter to find the associations the decision reaches (relation
// steps, to-many relations and what is inside them, the chains of recursive
// rules, with a visited set so cyclic data terminates), and for each one
// that is not loaded on the model it loads it through GORM (in db's
// transaction and context) and stores it on the model like Preload does; so
// a decision never silently reads the zero value of an association that was
// not loaded. With StrictLoading it returns a *NotLoadedError naming the
// association path to Preload ("Memberships.User") instead.
//
// AuthorizedActionsFor answers a page with ONE query for all rows and
// actions: SELECT pk, CASE WHEN <filter of each action> THEN 1 ELSE 0 END ...
// WHERE pk IN (<page>). Its answer is the filter's answer on the rows as
// stored, so it agrees with Authorized and needs no association loaded.
package gormfilter
