// Package sqlgen compiles a filter (package partial's IR: an OR of ANDs of
// conditions over resource paths) and a table schema into a SQL condition
// with bind arguments, for PostgreSQL, MySQL/MariaDB and SQLite; Sqlizer
// nests it in github.com/Masterminds/squirrel builders.
//
// Entry points:
//
//   - Where(f, schema, dialect, opts...) → (sql, args): the WHERE condition
//     with `?` placeholders (for GORM and other ORMs that number
//     placeholders themselves). Allow-all is "" (no condition); deny-all is
//     "1=0", never "no condition".
//   - Sqlizer(...) → squirrel.Sqlizer: the same, to nest in squirrel
//     builders (which number placeholders once, on the outermost statement).
//   - Select(...) → `SELECT t.* FROM t WHERE ...` with the dialect's final
//     placeholders ($1, $2, ... for Postgres).
//   - Schema, Table, Relation (schema.go): Polar type → table, primary key
//     (composite allowed), fields → columns, relations (BelongsTo, HasOne,
//     HasMany, ManyToMany, self relations). Schema.Validate reports every
//     inconsistency; FromStructs reads a Schema from `db:"..."` struct tags
//     (see FromStructs for the tag syntax).
//   - Dialect (Postgres, MySQL, SQLite), ParseDialect, Dialect.QuoteIdent.
//   - Options / WithAlias: the alias of the outer table.
//   - Errors wrap ErrInvalidSchema, ErrUnknownType, ErrUnknownField,
//     ErrInvalidIdent, ErrInvalidFilter or ErrUnsupported (errors.Is).
//
// Guarantees: every value is a bind argument (never spliced); every
// identifier comes from the schema and is quoted for the dialect, and paths
// that are not in the schema are refused. Relations are compiled per branch
// as IN/= ANY(ARRAY(...))/EXISTS subqueries with aliases unique in the
// statement, never as a global join (which would drop rows with NULL foreign
// keys or multiply rows). Recursive predicates compile to WITH RECURSIVE ...
// UNION (so cyclic data terminates). Constructs that cannot be compiled
// exactly (mutual or non-linear recursion, recursion under negation, a
// has-one object compared with nil, ordered comparisons of objects) are
// errors, never a wider query.
//
// Where, Sqlizer and Select may be called concurrently (a Schema must not be
// modified meanwhile). Each call compiles with a pooled compiler whose
// intermediate text and arguments live in reused chunks (mem.go); the
// results are copies that the caller owns. Small flat filters (an OR of
// ANDs of column and one-hop belongs-to key comparisons, without
// NilErrors) are written straight into the result by a direct path
// (direct.go) that writes the same text; anything else, or anything in
// error, goes through the general compiler.
//
// Semantics follow the decision (see docs/sql-mapping.md for every operator
// per dialect):
//
//   - nil is an ordinary value: `x == nil`, `x != 5` (null-safe operators);
//     ordered comparisons with nil are false, and their negation true.
//   - reading a field through a missing to-one relation (resource.Org.Name
//     with a NULL org_id) is false, and its negation true: the contract of
//     partial's filters, whose error regions already exclude the rows a
//     decision would error on (and of partial.Match). Options.NilErrors
//     compiles the decision's error instead (NULL that survives NOT and stops
//     later AND/OR operands), for filters without such guards.
//   - a foreign key may point at a missing row (no FK constraint, a deleted
//     row): the decision then sees the relation as nil. So by default the
//     related row is read: resource.Org.ID in [...] is
//     org_id IN (SELECT id FROM orgs WHERE id IN (...)) (= ANY(ARRAY(...))
//     on Postgres), resource.Org == nil is NOT EXISTS (...). Only a
//     Relation marked Enforced by its author (the database guarantees the
//     reference) is answered from the key alone (org_id IN (...)).
//   - an object compares by its primary key; it never equals a primitive.
//   - time.Time binds as is; time.Duration binds as int64 nanoseconds.
package sqlgen
