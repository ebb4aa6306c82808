package dbtest

import (
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

type widget struct {
	ID   int64
	Name string
	At   time.Time
}

func TestOpenIsolatedAndDropped(t *testing.T) {
	var names = map[string]string{}
	All(t, func(t *testing.T, db *DB) {
		a := Open(t, db.Dialect)
		if a.Name == db.Name {
			t.Fatalf("two Opens share %q", a.Name)
		}
		if err := db.Gorm.AutoMigrate(&widget{}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		name := `it's "quoted" \ ünï'; DROP TABLE widgets; --`
		if err := db.Gorm.Create(&widget{Name: name, At: at}).Error; err != nil {
			t.Fatal(err)
		}
		// database/sql sees what GORM wrote, through the same pool.
		var got string
		var gotAt time.Time
		q := "SELECT name, at FROM widgets WHERE name = ?"
		if db.Dialect == Postgres {
			q = "SELECT name, at FROM widgets WHERE name = $1"
		}
		if err := db.SQL.QueryRow(q, name).Scan(&got, &gotAt); err != nil {
			t.Fatal(err)
		}
		if got != name || !gotAt.Equal(at) {
			t.Fatalf("read back (%q, %v), want (%q, %v)", got, gotAt, name, at)
		}
		// The other database does not have the table.
		if a.Gorm.Migrator().HasTable(&widget{}) {
			t.Fatalf("%s: table visible in another test database", db.Dialect)
		}
		names[db.Dialect] = db.Name
	})
	// After the subtests, their cleanups have dropped the schemas/databases.
	for d, n := range names {
		if gone, err := dropped(d, n); err != nil {
			t.Errorf("%s: %v", d, err)
		} else if !gone {
			t.Errorf("%s: %s still exists after the test", d, n)
		}
	}
}

func dropped(dialect, name string) (bool, error) {
	switch dialect {
	case SQLite:
		_, err := os.Stat(name)
		return os.IsNotExist(err), nil
	case Postgres:
		return absent(adminDB(dialect).QueryRow("SELECT 1 FROM pg_namespace WHERE nspname = $1", name))
	case MySQL:
		return absent(adminDB(dialect).QueryRow("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", name))
	}
	return false, fmt.Errorf("unknown dialect %s", dialect)
}

// adminDB returns the admin pool Open made for a server dialect.
func adminDB(d string) *sql.DB {
	var adm *sql.DB
	prefix := map[string]string{Postgres: "pgx|", MySQL: "mysql|"}[d]
	adminPools.Range(func(k, v any) bool {
		if strings.HasPrefix(k.(string), prefix) {
			adm = v.(*adminPool).db
		}
		return adm == nil
	})
	return adm
}

func absent(row *sql.Row) (bool, error) {
	var one int
	switch err := row.Scan(&one); err {
	case sql.ErrNoRows:
		return true, nil
	case nil:
		return false, nil
	default:
		return false, err
	}
}

func TestStaleNames(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		name  string
		stale bool
	}{
		{fmt.Sprintf("ursa_%d_abc", now.Unix()-7200), true},
		{fmt.Sprintf("ursa_%d_abc", now.Unix()-60), false},
		{"ursa_test", false},
		{"ursa_x_y", false},
		{"public", false},
		{fmt.Sprintf("other_%d_abc", now.Unix()-7200), false},
	} {
		if got := isStale(c.name, now); got != c.stale {
			t.Errorf("isStale(%q) = %v, want %v", c.name, got, c.stale)
		}
	}
	n := newName()
	if isStale(n, time.Now()) || !strings.HasPrefix(n, "ursa_") || n == newName() {
		t.Errorf("newName() = %q: want fresh, unique ursa_<unix>_<hex>", n)
	}
}

func TestWithSearchPath(t *testing.T) {
	got, err := withSearchPath("postgres://u:p@h:5432/test?sslmode=disable", "ursa_1_a")
	if err != nil || got != "postgres://u:p@h:5432/test?search_path=ursa_1_a&sslmode=disable" {
		t.Errorf("URL form: %q, %v", got, err)
	}
	got, _ = withSearchPath("host=h dbname=test", "ursa_1_a")
	if got != "host=h dbname=test search_path=ursa_1_a" {
		t.Errorf("keyword form: %q", got)
	}
}

func TestQuoteIdentRejectsForeignNames(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("quoteIdent accepted a name with a quote")
		}
	}()
	quoteIdent(Postgres, `x"; DROP`)
}

// TestMySQLStringsCompareExactly: a column compares with case and trailing
// spaces significant, as in Go.
func TestMySQLStringsCompareExactly(t *testing.T) {
	db := Open(t, MySQL)
	if _, err := db.SQL.Exec("CREATE TABLE t (s VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.Exec("INSERT INTO t VALUES ('a')"); err != nil {
		t.Fatal(err)
	}
	for arg, want := range map[string]int{"a": 1, "a ": 0, "A": 0} {
		var n int
		if err := db.SQL.QueryRow("SELECT COUNT(*) FROM t WHERE s = ?", arg).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("s = %q matched %d rows of ('a'), want %d", arg, n, want)
		}
	}
}

// TestSweepDropsStaleLeftovers: schemas/databases left by a killed run over an
// hour ago are dropped; fresh ones (another run in progress) are kept.
func TestSweepDropsStaleLeftovers(t *testing.T) {
	for _, d := range []string{Postgres, MySQL} {
		t.Run(d, func(t *testing.T) {
			Open(t, d) // skips or fails like any test without a server
			stale := fmt.Sprintf("ursa_%d_sweeptest", time.Now().Add(-2*time.Hour).Unix())
			fresh := fmt.Sprintf("ursa_%d_sweeptest", time.Now().Unix())
			adm, sweep, create, drop := adminFor(t, d)
			for _, n := range []string{stale, fresh} {
				if _, err := adm.Exec(create + quoteIdent(d, n)); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				adm.Exec(drop + quoteIdent(d, stale))
				adm.Exec(drop + quoteIdent(d, fresh))
			})
			sweep(adm)
			if gone, err := dropped(d, stale); err != nil || !gone {
				t.Errorf("stale %s: dropped=%v err=%v", stale, gone, err)
			}
			if gone, err := dropped(d, fresh); err != nil || gone {
				t.Errorf("fresh %s: dropped=%v err=%v", fresh, gone, err)
			}
		})
	}
}

func adminFor(t *testing.T, d string) (*sql.DB, func(*sql.DB), string, string) {
	t.Helper()
	adm := adminDB(d)
	if adm == nil {
		t.Fatal("no admin pool")
	}
	if d == Postgres {
		return adm, sweepPostgres, "CREATE SCHEMA ", "DROP SCHEMA IF EXISTS "
	}
	return adm, sweepMySQL, "CREATE DATABASE ", "DROP DATABASE IF EXISTS "
}
