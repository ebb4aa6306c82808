package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
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
		`CREATE TABLE users (id bigint PRIMARY KEY, org text)`,
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
	actor := `{"id": 7, "org": "other"}`
	code := run([]string{"sql", policy, "--dsn", db.DSN, "--actor", actor, "--actor-type", "User", "--action", "read", "--type", "Folder"}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	t.Logf("output:\n%s", out)

	// The decision: IsAllowed on every row, built as instances of the
	// schema's classes with their relations linked (a cycle included).
	schema, err := schemaFromPostgres(context.Background(), db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.validate("db"); err != nil {
		t.Fatal(err)
	}
	l, err := loadPolicy([]string{policy}, schema, loadOpts{})
	if err != nil || l.policy == nil {
		t.Fatal(err, l.diags)
	}
	orgs := map[int64]reflect.Value{}
	for _, o := range [][2]any{{int64(1), "acme"}, {int64(2), "other"}} {
		v := reflect.New(schema.Types["Org"].goType)
		v.Elem().FieldByName("Id").SetInt(o[0].(int64))
		v.Elem().FieldByName("Name").SetString(o[1].(string))
		orgs[o[0].(int64)] = v
	}
	folders := map[int64]reflect.Value{}
	type link struct{ org, parent int64 }
	links := map[int64]link{1: {1, 0}, 2: {1, 1}, 3: {1, 2}, 4: {0, 0}, 5: {2, 0}, 6: {0, 8}, 8: {0, 6}}
	owners := map[int64]int64{1: 7, 2: 1, 3: 2, 4: 7, 5: 3, 6: 3, 8: 3}
	for id := range links {
		v := reflect.New(schema.Types["Folder"].goType)
		v.Elem().FieldByName("Id").SetInt(id)
		v.Elem().FieldByName("OwnerId").SetInt(owners[id])
		folders[id] = v
	}
	for id, ln := range links {
		if ln.org != 0 {
			v := folders[id].Elem()
			v.FieldByName("Org").Set(orgs[ln.org])
			v.FieldByName("OrgId").Set(reflect.ValueOf(ln.org))
		}
		if ln.parent != 0 {
			v := folders[id].Elem()
			v.FieldByName("Parent").Set(folders[ln.parent])
			v.FieldByName("ParentId").Set(reflect.ValueOf(ln.parent))
		}
	}
	actorVal, err := parseActor(actor, "User", schema)
	if err != nil {
		t.Fatal(err)
	}
	var allowed []string
	for _, id := range []int64{1, 2, 3, 4, 5, 6, 8} {
		ok, err := l.policy.Decide(context.Background(), nil, "allow", actorVal, "read", folders[id].Interface())
		if err != nil {
			t.Logf("decision on folder %d: %v (deny)", id, err)
		}
		if ok {
			allowed = append(allowed, strconv.FormatInt(id, 10))
		}
	}
	if got := strings.Join(allowed, ","); got != "1,2,3,4,5" {
		t.Fatalf("decisions allow %s, want 1,2,3,4,5", got)
	}

	// The filter: run the printed statement with the printed arguments; the
	// rows must be exactly the allowed ones.
	lines := strings.Split(out, "\n")
	var query string
	var args []any
	for i, line := range lines {
		if line == "-- postgres" && i+1 < len(lines) {
			query = lines[i+1]
		}
		if k, v, ok := strings.Cut(line, ": "); ok && query != "" && k != "" && k[0] >= '0' && k[0] <= '9' {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				args = append(args, n)
			} else if s, err := strconv.Unquote(v); err == nil {
				args = append(args, s)
			} else {
				t.Fatalf("argument %q", line)
			}
		}
	}
	rows, err := db.SQL.Query("SELECT id FROM ("+query+") AS q ORDER BY id", args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(ids, ","), strings.Join(allowed, ","); got != want {
		t.Errorf("the SQL returns rows %s; the decision allows %s", got, want)
	}
	if !strings.Contains(out, "WITH RECURSIVE") || !strings.Contains(out, "-- args\n1: 7\n2: \"other\"\n") {
		t.Errorf("unexpected output")
	}
}
