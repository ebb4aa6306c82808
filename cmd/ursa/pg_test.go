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
	"github.com/ursa-authz/ursa/partial"
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
	if err := os.WriteFile(policy, []byte(folderPolicy), 0o644); err != nil {
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
	folders := folderWorld(schema)
	actorVal, err := parseActor(actor, "User", schema)
	if err != nil {
		t.Fatal(err)
	}
	var allowed []string
	for _, id := range folderIDs {
		ok, err := l.policy.Decide(context.Background(), nil, "allow", actorVal, "read", folders[id])
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

// folderPolicy: folders readable by their owner and the owner of any
// ancestor, or by members of the folder's org (a lookup through a nullable
// relation, after a rule that may already have succeeded).
const folderPolicy = `resource Folder {}
allow(user, "read", f: Folder) if can_read(user, f);
allow(user, "read", f: Folder) if f.org.name = user.org;
can_read(user, f: Folder) if f.owner_id = user.id;
can_read(user, f: Folder) if p = f.parent and can_read(user, p);
`

// folderSchema declares the same tables as TestSQLFromLivePostgres creates.
const folderSchema = `{"types": {
  "User":   {"table": "users", "fields": {"id": "int", "org": "string?"}},
  "Org":    {"table": "orgs", "fields": {"id": "int", "name": "string"},
             "relations": {"folders": {"kind": "has_many", "type": "Folder", "foreign_key": "org_id"}}},
  "Folder": {"table": "folders", "fields": {"id": "int", "owner_id": "int", "org_id": "int?", "parent_id": "int?"},
             "relations": {"org": {"kind": "belongs_to", "type": "Org", "foreign_key": "org_id"},
                           "parent": {"kind": "belongs_to", "type": "Folder", "foreign_key": "parent_id"},
                           "folders": {"kind": "has_many", "type": "Folder", "foreign_key": "parent_id"}}}}}`

var folderIDs = []int64{1, 2, 3, 4, 5, 6, 8}

// folderWorld builds the rows of the folder fixture as instances of the
// schema's run-time classes, relations linked: 1 <- 2 <- 3 (1 owned by 7),
// 4 owned by 7 without an org, 5 in org 2, and the cycle 6 <- 8 <- 6.
func folderWorld(schema *schemaFile) map[int64]any {
	orgs := map[int64]reflect.Value{}
	for id, name := range map[int64]string{1: "acme", 2: "other"} {
		v := reflect.New(schema.Types["Org"].goType)
		v.Elem().FieldByName("Id").SetInt(id)
		v.Elem().FieldByName("Name").SetString(name)
		orgs[id] = v
	}
	type row struct{ owner, org, parent int64 }
	rows := map[int64]row{1: {7, 1, 0}, 2: {1, 1, 1}, 3: {2, 1, 2}, 4: {7, 0, 0}, 5: {3, 2, 0}, 6: {3, 0, 8}, 8: {3, 0, 6}}
	folders := map[int64]reflect.Value{}
	for id, r := range rows {
		v := reflect.New(schema.Types["Folder"].goType)
		v.Elem().FieldByName("Id").SetInt(id)
		v.Elem().FieldByName("OwnerId").SetInt(r.owner)
		folders[id] = v
	}
	out := map[int64]any{}
	for id, r := range rows {
		v := folders[id].Elem()
		if r.org != 0 {
			v.FieldByName("Org").Set(orgs[r.org])
			v.FieldByName("OrgId").Set(reflect.ValueOf(r.org))
		}
		if r.parent != 0 {
			v.FieldByName("Parent").Set(folders[r.parent])
			v.FieldByName("ParentId").Set(reflect.ValueOf(r.parent))
		}
		out[id] = folders[id].Interface()
	}
	return out
}

// TestFilterAgreesWithDecision: without a database, the filter `ursa sql`
// prints (partial.Eval over the run-time classes of a schema file) accepts
// exactly the rows IsAllowed accepts (partial.Match on linked instances).
func TestFilterAgreesWithDecision(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"policy.polar": folderPolicy, "schema.json": folderSchema} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	schema, err := readSchema(filepath.Join(dir, "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := loadPolicy([]string{filepath.Join(dir, "policy.polar")}, schema, loadOpts{})
	if err != nil || l.policy == nil {
		t.Fatal(err, l.diags)
	}
	folders := folderWorld(schema)
	for _, actorJSON := range []string{`{"id": 7, "org": "other"}`, `{"id": 2, "org": "acme"}`, `{"id": 3}`} {
		for _, typed := range []string{"User", ""} {
			actor, err := parseActor(actorJSON, typed, schema)
			if err != nil {
				t.Fatal(err)
			}
			f, err := partial.Eval(context.Background(), l.policy, actor, "read", "Folder")
			if err != nil {
				t.Errorf("actor %s (%q): the filter fails where the decision answers: %v", actorJSON, typed, err)
				continue
			}
			for _, id := range folderIDs {
				if typed == "" && (id == 6 || id == 8) {
					continue // a dictionary actor disables the engine's loop check: the cycle runs to the depth limit
				}
				want, _ := l.policy.Decide(context.Background(), nil, "allow", actor, "read", folders[id])
				got, err := partial.Match(l.policy, f, folders[id])
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("actor %s (%q), folder %d: filter %v, decision %v\nfilter: %s", actorJSON, typed, id, got, want, f)
				}
			}
		}
	}
}
