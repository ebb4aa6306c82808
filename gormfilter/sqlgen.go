package gormfilter

import (
	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

type sqlDialect = sqlgen.Dialect

const (
	dialectPostgres = sqlgen.Postgres
	dialectMySQL    = sqlgen.MySQL
	dialectSQLite   = sqlgen.SQLite
)

// compileWhere compiles f to a condition with `?` placeholders over alias.
func compileWhere(f *partial.Filter, s *sqlgen.Schema, d sqlDialect, alias string) (string, []any, error) {
	return sqlgen.Where(f, s, d, sqlgen.Options{Alias: alias})
}
