package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	// database/sql drivers: "pgx" (PostgreSQL); "mysql" and "sqlite" come with the imports above.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// Dialect names, as used by DB.Dialect.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
	SQLite   = "sqlite"
)

// Dialects lists every dialect, in the order All runs them.
var Dialects = []string{Postgres, MySQL, SQLite}

// Environment variables read by this package.
const (
	EnvPostgres   = "DATABASE_URL"
	EnvMySQL      = "MYSQL_URL"
	EnvRequireDB  = "URSA_REQUIRE_DB"
	namePrefix    = "ursa_"
	staleAfter    = time.Hour
	connectTimout = 10 * time.Second
)

// DB is one isolated database (a schema, a database, or a file), dropped when
// the test ends. Gorm and SQL share one connection pool.
type DB struct {
	Dialect string   // Postgres, MySQL or SQLite
	Name    string   // schema (Postgres), database (MySQL) or file path (SQLite)
	DSN     string   // connection string that selects Name
	Gorm    *gorm.DB // GORM on the pool, logging off
	SQL     *sql.DB  // database/sql: driver "pgx", "mysql" or "sqlite"
}

// Required reports whether URSA_REQUIRE_DB asks for unreachable databases to
// fail tests instead of skipping them.
func Required() bool {
	v := os.Getenv(EnvRequireDB)
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

// Open returns a fresh, empty database of the dialect, or skips the test (or
// fails it, with URSA_REQUIRE_DB=1) if no server can be reached.
func Open(t testing.TB, dialect string) *DB {
	t.Helper()
	var (
		db  *DB
		err error
	)
	switch dialect {
	case Postgres:
		db, err = openPostgres(t)
	case MySQL:
		db, err = openMySQL(t)
	case SQLite:
		db, err = openSQLite(t)
	default:
		t.Fatalf("dbtest: unknown dialect %q (want one of %v)", dialect, Dialects)
	}
	if err != nil {
		t.Fatalf("dbtest: %s: %v", dialect, err)
	}
	return db
}

// All runs fn as a subtest named after each dialect, each with its own fresh
// database. Subtests run one after another; call t.Parallel in fn to overlap.
func All(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// unavailable skips (or, when required, fails) a test whose server is absent.
func unavailable(t testing.TB, dialect, env, why string) {
	t.Helper()
	msg := fmt.Sprintf("dbtest: no %s server: %s. Set %s (see README.md \"Set up\"), or run `bash .ci/run`", dialect, why, env)
	if Required() {
		t.Fatalf("%s [%s=1: failing instead of skipping]", msg, EnvRequireDB)
	}
	t.Skip(msg)
}

// newName returns ursa_<unix>_<random hex>, unique across processes.
func newName() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%s%d_%s", namePrefix, time.Now().Unix(), hex.EncodeToString(b[:]))
}

// isStale reports whether name was made by newName over staleAfter ago.
func isStale(name string, now time.Time) bool {
	rest, ok := strings.CutPrefix(name, namePrefix)
	if !ok {
		return false
	}
	ts, _, ok := strings.Cut(rest, "_")
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	return now.Sub(time.Unix(sec, 0)) > staleAfter
}

// quoteIdent quotes a name we generated ourselves (letters, digits, _ only).
func quoteIdent(dialect, name string) string {
	for _, r := range name {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
			panic("dbtest: unexpected identifier " + strconv.Quote(name))
		}
	}
	if dialect == MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

func gormConfig() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard, TranslateError: true}
}

// ping checks a pool within connectTimeout.
func ping(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimout)
	defer cancel()
	return db.PingContext(ctx)
}

// adminPools caches one admin connection per server URL for creating and
// dropping schemas.
var adminPools sync.Map // key "dialect|dsn" -> *adminPool

type adminPool struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func admin(driver, dsn string, sweep func(*sql.DB)) (*sql.DB, error) {
	v, _ := adminPools.LoadOrStore(driver+"|"+dsn, &adminPool{})
	p := v.(*adminPool)
	p.once.Do(func() {
		db, err := sql.Open(driver, dsn)
		if err == nil {
			err = ping(db)
		}
		if err != nil {
			if db != nil {
				db.Close()
			}
			p.err = err
			return
		}
		db.SetMaxOpenConns(4)
		p.db = db
		sweep(db)
	})
	return p.db, p.err
}

func openSQLite(t testing.TB) (*DB, error) {
	name := newName()
	path := filepath.Join(t.TempDir(), name+".db")
	dsn := "file:" + path + "?_time_format=sqlite&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=busy_timeout(10000)"
	sqlDB, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		return nil, err
	}
	if err := ping(sqlDB); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return finish(t, &DB{Dialect: SQLite, Name: path, DSN: dsn, SQL: sqlDB}, &sqlite.Dialector{Conn: sqlDB}, nil)
}

// finish opens GORM on db.SQL and registers cleanup (close, then drop).
func finish(t testing.TB, db *DB, d gorm.Dialector, drop func() error) (*DB, error) {
	g, err := gorm.Open(d, gormConfig())
	if err != nil {
		db.SQL.Close()
		if drop != nil {
			drop()
		}
		return nil, err
	}
	db.Gorm = g
	t.Cleanup(func() {
		if err := db.SQL.Close(); err != nil {
			t.Errorf("dbtest: closing %s %s: %v", db.Dialect, db.Name, err)
		}
		if drop != nil {
			if err := drop(); err != nil {
				t.Errorf("dbtest: dropping %s %s: %v", db.Dialect, db.Name, err)
			}
		}
	})
	return db, nil
}

// ---- PostgreSQL ----

func postgresURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvPostgres); u != "" {
		return u
	}
	u, err := containerURL(Postgres)
	if err != nil {
		unavailable(t, "PostgreSQL", EnvPostgres, err.Error())
	}
	return u
}

func openPostgres(t testing.TB) (*DB, error) {
	t.Helper()
	base := postgresURL(t)
	adm, err := admin("pgx", base, sweepPostgres)
	if err != nil {
		if Required() {
			return nil, fmt.Errorf("connecting to %s=%s: %w", EnvPostgres, base, err)
		}
		unavailable(t, "PostgreSQL", EnvPostgres, fmt.Sprintf("connecting to %s: %v", redact(base), err))
	}
	name := newName()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := adm.ExecContext(ctx, "CREATE SCHEMA "+quoteIdent(Postgres, name)); err != nil {
		return nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := adm.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+quoteIdent(Postgres, name)+" CASCADE")
		return err
	}
	dsn, err := withSearchPath(base, name)
	if err != nil {
		drop()
		return nil, err
	}
	sqlDB, err := sql.Open("pgx", dsn)
	if err == nil {
		err = ping(sqlDB)
	}
	if err != nil {
		drop()
		return nil, err
	}
	sqlDB.SetMaxOpenConns(8)
	return finish(t, &DB{Dialect: Postgres, Name: name, DSN: dsn, SQL: sqlDB},
		postgres.New(postgres.Config{Conn: sqlDB}), drop)
}

// withSearchPath adds search_path=schema to a URL or keyword/value DSN.
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := parseURL(dsn)
		if err != nil {
			return "", fmt.Errorf("%s: %w", EnvPostgres, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}

func sweepPostgres(db *sql.DB) {
	sweep(db, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ursa\\_%'", func(n string) string {
		return "DROP SCHEMA IF EXISTS " + quoteIdent(Postgres, n) + " CASCADE"
	})
}

// sweep drops the stale test schemas/databases that list names (left by
// killed runs); errors are ignored, a later run sweeps again.
func sweep(db *sql.DB, list string, drop func(name string) string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := db.QueryContext(ctx, list)
	if err != nil {
		return
	}
	var stale []string
	now := time.Now()
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil && isStale(n, now) {
			stale = append(stale, n)
		}
	}
	rows.Close()
	for _, n := range stale {
		db.ExecContext(ctx, drop(n))
	}
}

// ---- MySQL / MariaDB ----

func mysqlURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvMySQL); u != "" {
		return u
	}
	u, err := containerURL(MySQL)
	if err != nil {
		unavailable(t, "MySQL/MariaDB", EnvMySQL, err.Error())
	}
	return u
}

func openMySQL(t testing.TB) (*DB, error) {
	t.Helper()
	base := mysqlURL(t)
	cfg, err := mysqldriver.ParseDSN(base)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvMySQL, err)
	}
	adm, err := admin("mysql", cfg.FormatDSN(), sweepMySQL)
	if err != nil {
		if Required() {
			return nil, fmt.Errorf("connecting to %s=%s: %w", EnvMySQL, base, err)
		}
		unavailable(t, "MySQL/MariaDB", EnvMySQL, fmt.Sprintf("connecting to %s: %v", cfg.Addr, err))
	}
	name := newName()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A binary, NO PAD collation compares strings exactly as Go does ('a' !=
	// 'A', 'a' != 'a '); MariaDB calls it utf8mb4_nopad_bin, MySQL 8 utf8mb4_0900_bin.
	var createErr error
	for _, coll := range []string{"utf8mb4_nopad_bin", "utf8mb4_0900_bin", "utf8mb4_bin"} {
		_, createErr = adm.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(MySQL, name)+" CHARACTER SET utf8mb4 COLLATE "+coll)
		if createErr == nil {
			break
		}
	}
	if createErr != nil {
		return nil, fmt.Errorf("create database: %w", createErr)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := adm.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(MySQL, name))
		return err
	}
	c := cfg.Clone()
	c.DBName = name
	c.ParseTime = true
	c.Loc = time.UTC
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["time_zone"] = "'+00:00'"
	dsn := c.FormatDSN()
	sqlDB, err := sql.Open("mysql", dsn)
	if err == nil {
		err = ping(sqlDB)
	}
	if err != nil {
		drop()
		return nil, err
	}
	sqlDB.SetMaxOpenConns(8)
	return finish(t, &DB{Dialect: MySQL, Name: name, DSN: dsn, SQL: sqlDB},
		mysql.New(mysql.Config{Conn: sqlDB}), drop)
}

func sweepMySQL(db *sql.DB) {
	sweep(db, "SHOW DATABASES LIKE 'ursa\\_%'", func(n string) string {
		return "DROP DATABASE IF EXISTS " + quoteIdent(MySQL, n)
	})
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }

// redact hides a password in a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
