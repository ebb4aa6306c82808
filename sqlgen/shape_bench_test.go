package sqlgen_test

import (
	"fmt"
	"testing"

	"github.com/ursa-authz/ursa/integration/dbtest"
	"github.com/ursa-authz/ursa/sqlgen"
)

// BenchmarkShapes measures the subquery shapes sqlgen chooses between, on a
// real server, for the typical filter "public, or created by the user, or in
// an org where the user has a role" (an OR whose last branch reads a
// relation): correlated EXISTS, IN (subquery), and Postgres'
// = ANY(ARRAY(subquery)). URSA_SHAPE_ROWS-free: 1M repos, 1M org roles
// (Postgres), 200k (MariaDB), with the usual indexes. Needs DATABASE_URL /
// MYSQL_URL; each run builds its own schema (a few seconds).
//
//	go test ./sqlgen -run XXX -bench Shapes -benchtime 20x
func BenchmarkShapes(b *testing.B) {
	shapes := map[string]map[string]string{
		dbtest.Postgres: {
			"exists":    `SELECT r.id FROM repos r WHERE r.is_public OR r.creator_id = 7 OR EXISTS (SELECT 1 FROM org_roles m WHERE m.org_id = r.org_id AND m.user_id = 7)`,
			"in":        `SELECT r.id FROM repos r WHERE r.is_public OR r.creator_id = 7 OR r.org_id IN (SELECT m.org_id FROM org_roles m WHERE m.user_id = 7)`,
			"any_array": `SELECT r.id FROM repos r WHERE r.is_public OR r.creator_id = 7 OR r.org_id = ANY(ARRAY(SELECT m.org_id FROM org_roles m WHERE m.user_id = 7))`,
		},
		dbtest.MySQL: {
			"exists": `SELECT r.id FROM repos r WHERE r.is_public OR r.creator_id = 7 OR EXISTS (SELECT 1 FROM org_roles m WHERE m.org_id = r.org_id AND m.user_id = 7)`,
			"in":     `SELECT r.id FROM repos r WHERE r.is_public OR r.creator_id = 7 OR r.org_id IN (SELECT m.org_id FROM org_roles m WHERE m.user_id = 7)`,
		},
	}
	setup := map[string][]string{
		dbtest.Postgres: {
			`CREATE TABLE repos (id BIGINT PRIMARY KEY, org_id BIGINT, creator_id BIGINT, is_public BOOLEAN NOT NULL)`,
			`CREATE TABLE org_roles (org_id BIGINT NOT NULL, user_id BIGINT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (org_id, user_id))`,
			`INSERT INTO repos SELECT g, g % 50000, g % 100003, g % 997 = 0 FROM generate_series(1, 1000000) g`,
			`INSERT INTO org_roles SELECT g % 50000, g / 50000 * 13 + g % 7, 'member' FROM generate_series(1, 1000000) g ON CONFLICT DO NOTHING`,
			`CREATE INDEX ON repos (org_id)`, `CREATE INDEX ON repos (creator_id)`, `CREATE INDEX ON repos (is_public)`,
			`CREATE INDEX ON org_roles (user_id)`, `ANALYZE repos`, `ANALYZE org_roles`,
		},
		dbtest.MySQL: {
			`CREATE TABLE repos (id BIGINT PRIMARY KEY, org_id BIGINT, creator_id BIGINT, is_public BOOLEAN NOT NULL, KEY (org_id), KEY (creator_id), KEY (is_public))`,
			`CREATE TABLE org_roles (org_id BIGINT NOT NULL, user_id BIGINT NOT NULL, role VARCHAR(20) NOT NULL, PRIMARY KEY (org_id, user_id), KEY (user_id))`,
			`INSERT INTO repos SELECT seq, seq % 10000, seq % 100003, seq % 997 = 0 FROM seq_1_to_200000`,
			`INSERT IGNORE INTO org_roles SELECT seq % 10000, seq DIV 10000 * 13 + seq % 7, 'member' FROM seq_1_to_200000`,
			`ANALYZE TABLE repos, org_roles`,
		},
	}
	for _, d := range []string{dbtest.Postgres, dbtest.MySQL} {
		b.Run(d, func(b *testing.B) {
			db := dbtest.Open(b, d)
			for _, q := range setup[d] {
				if _, err := db.SQL.Exec(q); err != nil {
					b.Fatalf("%s: %v", q, err)
				}
			}
			var want int
			for _, name := range []string{"exists", "in", "any_array"} {
				q, ok := shapes[d][name]
				if !ok {
					continue
				}
				b.Run(name, func(b *testing.B) {
					n := 0
					for b.Loop() {
						rows, err := db.SQL.Query(q)
						if err != nil {
							b.Fatal(err)
						}
						n = 0
						for rows.Next() {
							n++
						}
						rows.Close()
					}
					if want == 0 {
						want = n
					} else if n != want {
						b.Fatalf("%s returned %d rows, want %d", name, n, want)
					}
					b.ReportMetric(float64(n), "rows")
				})
			}
			_ = sqlgen.Postgres
			_ = fmt.Sprint
		})
	}
}
