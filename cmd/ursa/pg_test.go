package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/integration/dbtest"
)

// TestSQLFromLivePostgres reads the schema from a real PostgreSQL (--dsn),
// prints the SQL, and runs that SQL with its arguments on the same database:
// the rows are exactly those the policy allows. Needs DATABASE_URL (skipped
// without a server unless URSA_REQUIRE_DB=1).
func TestSQLFromLivePostgres(t *testing.T) {
	db := dbtest.Open(t, dbtest.Postgres)
	for _, stmt := range []string{
		`CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE folders (id bigint PRIMARY KEY, owner_id bigint NOT NULL,
			org_id bigint REFERENCES orgs(id), parent_id bigint REFERENCES folders(id), meta jsonb)`,
		`INSERT INTO orgs VALUES (1, 'acme'), (2, 'other')`,
		// 1 <- 2 <- 3 (owned by 7 at the top), 4 owned by 7, 5 in org 2, 6 <- 8 <- 6 a cycle
		`INSERT INTO folders (id, owner_id, org_id, parent_id) VALUES
			(1, 7, 1, NULL), (2, 1, 1, 1), (3, 2, 1, 2), (4, 7, NULL, NULL), (5, 3, 2, NULL),
			(6, 3, NULL, NULL), (8, 3, NULL, 6)`,
		`UPDATE folders SET parent_id = 8 WHERE id = 6`,
	} {
		if _, err := db.SQL.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.polar")
	if err := os.WriteFile(policy, []byte(`resource Folder {}
allow(user, "read", f: Folder) if can_read(user, f);
allow(user, "read", f: Folder) if f.org.name = user.org;
can_read(user, f: Folder) if f.owner_id = user.id;
can_read(user, f: Folder) if p = f.parent and can_read(user, p);
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"sql", policy, "--dsn", db.DSN, "--actor", `{"id": 7, "org": "other"}`, "--action", "read", "--type", "Folder"}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := `-- filter
resource in can_read or resource.Org.Name = "other"
where can_read(f: Folder) := f.OwnerId = 7 or f.Parent in can_read
-- postgres
SELECT "folders".* FROM "folders" WHERE "folders"."id" = ANY(ARRAY(WITH RECURSIVE "can_read_2" ("id") AS (SELECT "folders_1"."id" FROM "folders" AS "folders_1" WHERE "folders_1"."owner_id" = $1 UNION SELECT "folders_3"."id" FROM "folders" AS "folders_3" JOIN "can_read_2" ON "can_read_2"."id" = "folders_3"."parent_id") SELECT "can_read_2"."id" FROM "can_read_2")) OR "folders"."org_id" = ANY(ARRAY(SELECT "orgs_4"."id" FROM "orgs" AS "orgs_4" WHERE "orgs_4"."name" = $2))
-- args
1: 7
2: "other"
`
	if stdout.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", stdout.String(), want)
	}
	// Run the printed statement with the printed arguments.
	lines := strings.Split(stdout.String(), "\n")
	query := lines[4]
	args := []any{int64(7), "other"}
	rows, err := db.SQL.Query("SELECT * FROM ("+query+") AS q ORDER BY id", args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id, owner int64
		var org, parent, meta any
		if err := rows.Scan(&id, &owner, &org, &parent, &meta); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ids, ","); got != "1,2,3,4,5" {
		t.Errorf("rows %s, want 1,2,3,4,5", got)
	}
}
