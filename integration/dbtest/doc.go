// Package dbtest opens isolated, throw-away databases for integration tests:
// PostgreSQL, MySQL/MariaDB and the embedded SQLite.
//
// Entry points: Open (one database of one dialect), All (a subtest per
// dialect), and DB (the handle: Gorm, SQL, Dialect).
//
// Where the servers come from:
//
//   - PostgreSQL: DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable).
//   - MySQL/MariaDB: MYSQL_URL, a go-sql-driver DSN (e.g. root@tcp(127.0.0.1:3306)/test).
//   - SQLite: always available (github.com/glebarez/sqlite, pure Go).
//
// Without a URL, when a Docker engine answers, a throw-away container
// (PostgresImage, MariaDBImage) is started once per test binary with
// testcontainers-go; its reaper removes it when the binary exits. Otherwise the test is skipped with a message saying how
// to run it. With URSA_REQUIRE_DB=1 an unreachable database fails the test
// instead (CI sets it).
//
// Isolation: every Open creates its own PostgreSQL schema (search_path set in
// the DSN), MySQL database, or SQLite file in t.TempDir(), named
// ursa_<unix time>_<random>, and drops it in t.Cleanup, so tests can run in
// parallel and leave nothing behind. Leftovers of killed runs older than an
// hour are dropped by the next Open.
//
// MySQL databases use a binary NO PAD collation (utf8mb4_nopad_bin on
// MariaDB), so string equality in SQL matches Go's; with the server's default
// case-insensitive collation it would not.
//
// Time values: store them in UTC truncated to whole seconds. SQLite keeps
// times as text in SQLite's own format (the DSN sets _time_format=sqlite), so
// only such values compare correctly as strings there.
package dbtest
