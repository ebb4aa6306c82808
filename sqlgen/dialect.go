package sqlgen

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/Masterminds/squirrel"
)

// Dialect is a SQL dialect: how identifiers are quoted, which null-safe
// comparison operators exist, which placeholders the final statement uses and
// which subquery shape the planner prefers.
type Dialect int

const (
	// Postgres is PostgreSQL (tested on 15). Placeholders $1, $2, ...
	Postgres Dialect = iota + 1
	// MySQL is MySQL 8 and MariaDB 10.2+ (tested on MariaDB 10.11). Placeholders ?.
	MySQL
	// SQLite is SQLite 3.34+ (tested with the pure-Go driver, SQLite 3.41). Placeholders ?.
	SQLite
)

// Dialects lists all dialects, in a stable order.
var Dialects = []Dialect{Postgres, MySQL, SQLite}

// String returns the dialect's canonical name: "postgres", "mysql" or "sqlite".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// ParseDialect parses a dialect name. It accepts the canonical names and the
// usual aliases (postgresql, pgx, pg, mariadb, sqlite3).
func ParseDialect(s string) (Dialect, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "postgres", "postgresql", "pgx", "pg":
		return Postgres, nil
	case "mysql", "mariadb":
		return MySQL, nil
	case "sqlite", "sqlite3":
		return SQLite, nil
	}
	return 0, fmt.Errorf("%w: unknown SQL dialect %q (want postgres, mysql or sqlite)", ErrUnsupported, s)
}

func (d Dialect) valid() bool { return d >= Postgres && d <= SQLite }

// PlaceholderFormat returns the squirrel placeholder format of the dialect's
// final statements (Dollar for Postgres, Question otherwise).
func (d Dialect) PlaceholderFormat() squirrel.PlaceholderFormat {
	if d == Postgres {
		return squirrel.Dollar
	}
	return squirrel.Question
}

// QuoteIdent quotes an identifier for the dialect. A dotted name
// ("app.repos") is quoted part by part ("app"."repos"). It refuses empty
// parts, NUL bytes, '?' (which placeholder rewriting would treat as a bind
// parameter) and invalid UTF-8.
func (d Dialect) QuoteIdent(name string) (string, error) {
	b, err := d.appendQuoted(nil, name, true)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func checkIdent(name string, qualified bool) error {
	if name == "" {
		return fmt.Errorf("%w: empty identifier", ErrInvalidIdent)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: identifier %q is not valid UTF-8", ErrInvalidIdent, name)
	}
	if strings.ContainsAny(name, "\x00?") {
		return fmt.Errorf("%w: identifier %q contains NUL or '?'", ErrInvalidIdent, name)
	}
	if qualified && (name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..")) {
		return fmt.Errorf("%w: identifier %q has an empty part", ErrInvalidIdent, name)
	}
	return nil
}

// appendQuoted appends the quoted identifier to b; qualified names are
// split at dots.
func (d Dialect) appendQuoted(b []byte, name string, qualified bool) ([]byte, error) {
	if err := checkIdent(name, qualified); err != nil {
		return b, err
	}
	q := byte('"')
	if d == MySQL {
		q = '`'
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && (name[i] != '.' || !qualified) {
			continue
		}
		if start > 0 {
			b = append(b, '.')
		}
		b = append(b, q)
		for j := start; j < i; j++ {
			if name[j] == q {
				b = append(b, q)
			}
			b = append(b, name[j])
		}
		b = append(b, q)
		start = i + 1
	}
	return b, nil
}

// nullSafeEq returns the dialect's null-safe equality operator text placed
// between two operands, and whether the whole comparison must be wrapped in
// NOT (...) for inequality.
func (d Dialect) nullSafe(neq bool) (op string, wrapNot bool) {
	switch d {
	case Postgres:
		if neq {
			return " IS DISTINCT FROM ", false
		}
		return " IS NOT DISTINCT FROM ", false
	case MySQL:
		return " <=> ", neq
	default: // SQLite
		if neq {
			return " IS NOT ", false
		}
		return " IS ", false
	}
}
