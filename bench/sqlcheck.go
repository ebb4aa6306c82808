package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// SQLQuery is a filter compiled to Postgres SQL: a complete SELECT of the
// allowed rows' ids, with $n bind parameters.
type SQLQuery struct {
	SQL  string
	Args []any
}

func (q SQLQuery) String() string {
	if len(q.Args) == 0 {
		return q.SQL
	}
	return fmt.Sprintf("%s %v", q.SQL, q.Args)
}

// AllowedIDs runs the query in the check database.
func (q SQLQuery) AllowedIDs(ctx context.Context, env *CheckEnv) ([]int64, error) {
	if env.DB == nil {
		return nil, errNoDB
	}
	rows, err := env.DB.Query(ctx, q.SQL, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("%w\n  query: %s", err, q)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("%w\n  query: %s", err, q)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

var errNoDB = fmt.Errorf("no check database")

// CheckEnv is what the filter agreement check needs: the fixture, and a
// Postgres connection whose search_path points at a schema holding the
// fixture's tables (nil when Postgres is not reachable).
type CheckEnv struct {
	Fixture *Fixture
	DB      *pgx.Conn
	DBErr   error
}

// CheckSchema is the Postgres schema the fixture tables live in, so that the
// check never touches tables of other test suites.
const CheckSchema = "ursa_bench"

// DatabaseURL is the Postgres the SQL filters are checked against:
// $DATABASE_URL, or the local test database.
func DatabaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// NewCheckEnv connects to Postgres and (re)creates the fixture tables:
// documents(id, owner_id, public), orgs(id, name), repos(id, name, org_id).
// A connection failure is kept in DBErr, not returned: the decision checks
// do not need a database.
func NewCheckEnv(ctx context.Context, f *Fixture) (*CheckEnv, error) {
	env := &CheckEnv{Fixture: f}
	cfg, err := pgx.ParseConfig(DatabaseURL())
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["search_path"] = CheckSchema
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		env.DBErr = err
		return env, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, `DROP SCHEMA IF EXISTS %[1]s CASCADE; CREATE SCHEMA %[1]s;
CREATE TABLE %[1]s.documents (id bigint PRIMARY KEY, owner_id bigint NOT NULL, public boolean NOT NULL);
CREATE TABLE %[1]s.orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE %[1]s.repos (id bigint PRIMARY KEY, name text NOT NULL, org_id bigint NOT NULL REFERENCES %[1]s.orgs(id));
`, CheckSchema)
	for _, d := range f.Docs {
		fmt.Fprintf(&b, "INSERT INTO %s.documents VALUES (%d, %d, %t);\n", CheckSchema, d.ID, d.OwnerID, d.Public)
	}
	for _, o := range f.Orgs {
		fmt.Fprintf(&b, "INSERT INTO %s.orgs VALUES (%d, '%s');\n", CheckSchema, o.ID, o.Name)
	}
	for _, r := range f.Repos {
		fmt.Fprintf(&b, "INSERT INTO %s.repos VALUES (%d, '%s', %d);\n", CheckSchema, r.ID, r.Name, r.OrgID)
	}
	if _, err := conn.Exec(ctx, b.String()); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("creating the check tables: %w", err)
	}
	env.DB = conn
	return env, nil
}

// Close drops the connection.
func (env *CheckEnv) Close() {
	if env.DB != nil {
		env.DB.Close(context.Background())
	}
}

// TableOf is the table of a resource kind.
func TableOf(kind string) string {
	switch kind {
	case "Document":
		return "documents"
	case "Org":
		return "orgs"
	case "Repo":
		return "repos"
	}
	return ""
}
