// Package bigbench benchmarks the SQL Ursa generates against hand-written SQL
// for the same question on Postgres tables of a million rows and more
// (docs/benchmarks.md, "Postgres at scale").
//
// Entry points: Open (a pool on one dataset's schema, built on first use and
// reused afterwards) and the datasets GitClub and Folders. The benchmarks are
// in bigbench_test.go; run them with
//
//	go test -run '^$' -bench 'GitClubRead/interleaved' -benchtime 50x -count 10 ./integration/bigbench
//
// (each op runs every variant but the slow ones once for the same user and
// reports per variant ms/op and its ratio to the hand-written SQL, and, with
// Postgres on this host, the CPU time of the benchmark thread plus the
// backend and its ratio; .../per_user logs them per user; -bench . also
// times each variant alone and logs the plans). Figures: docs/benchmarks.md,
// "Postgres at scale".
//
// Without DATABASE_URL they skip. Plain `go test` builds nothing: the data is
// made only by a benchmark.
//
// Data is made with INSERT ... SELECT generate_series in a dedicated schema
// per dataset (ursa_bigbench_gitclub, ursa_bigbench_folders) and marked with
// a version row; a schema whose version differs from Dataset.Version is
// dropped and rebuilt. Values are pseudo-random but deterministic
// (multiplicative hashes of the row number), so every build is the same.
package bigbench

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultURL is the Postgres used when DATABASE_URL is not set by a caller
// that wants a default.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Dataset is one schema of benchmark data.
type Dataset struct {
	Schema  string   // Postgres schema name
	Version int      // bump to rebuild existing schemas
	Build   []string // statements run in order, in the schema, on first use
}

// Open returns a pool whose connections use ds's schema (search_path),
// building the data first if the schema is missing or of another version.
// Builds by concurrent processes are serialized with an advisory lock.
func Open(ctx context.Context, dbURL string, ds *Dataset, logf func(string, ...any)) (*pgxpool.Pool, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("bigbench: DATABASE_URL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", ds.Schema)
	u.RawQuery = q.Encode()
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := ensure(ctx, pool, ds, logf); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

func ensure(ctx context.Context, pool *pgxpool.Pool, ds *Dataset, logf func(string, ...any)) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if ok, err := current(ctx, conn.Conn(), ds); err != nil || ok {
		return err
	}
	// One builder at a time; the others wait and then see the marker.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", ds.Schema); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext($1))", ds.Schema)
	if ok, err := current(ctx, conn.Conn(), ds); err != nil || ok {
		return err
	}
	start := time.Now()
	sch := pgx.Identifier{ds.Schema}.Sanitize()
	stmts := append([]string{
		"DROP SCHEMA IF EXISTS " + sch + " CASCADE",
		"CREATE SCHEMA " + sch,
		"SET search_path TO " + sch,
		"SET maintenance_work_mem = '256MB'",
		"SET synchronous_commit = off",
	}, ds.Build...)
	stmts = append(stmts,
		"CREATE TABLE bigbench_version (version int NOT NULL)",
		fmt.Sprintf("INSERT INTO bigbench_version VALUES (%d)", ds.Version))
	for _, s := range stmts {
		t := time.Now()
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("bigbench: building %s: %w\n%s", ds.Schema, err, s)
		}
		if logf != nil && time.Since(t) > time.Second {
			logf("bigbench: %s: %.1fs: %.60s", ds.Schema, time.Since(t).Seconds(), s)
		}
	}
	// ANALYZE outside the build statements so the planner has statistics,
	// and VACUUM so index-only scans see an all-visible map.
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return err
	}
	if logf != nil {
		logf("bigbench: built %s in %s", ds.Schema, time.Since(start).Round(time.Second))
	}
	return nil
}

// current reports whether ds's schema holds data of ds.Version.
func current(ctx context.Context, conn *pgx.Conn, ds *Dataset) (bool, error) {
	var v int
	err := conn.QueryRow(ctx, "SELECT version FROM "+pgx.Identifier{ds.Schema, "bigbench_version"}.Sanitize()).Scan(&v)
	if err != nil {
		var exists bool
		if err2 := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", ds.Schema+".bigbench_version").Scan(&exists); err2 != nil {
			return false, err2
		}
		if exists {
			return false, err
		}
		return false, nil
	}
	return v == ds.Version, nil
}

// Row counts of the datasets.
const (
	NUsers        = 100_000
	NOrgs         = 1_000
	NRepos        = 1_200_000
	NTeams        = 20_000
	NFolders      = 1_000_000
	folderTree    = 900_000 // folders 1..folderTree form 1,000 4-ary trees; the rest are 100 chains of 1,000
	chainLen      = 1_000
	folderGrants  = 300_000
	teamsPerLevel = 1_000
)

// GitClub is the GitClub schema of integration/fixtures/gitclub at scale:
// 100k users, 1,000 orgs, 1.2M repositories (10% personal, 0.2% public),
// ~200k org roles (each user in 1–3 orgs, 10% admin), 1.2M repo roles
// (~12 per user), 20k teams in chains of 5 (each org: 4 chains), 200k team
// memberships (2 per user), 480k team repo roles (40% of repos). Indexes: the
// primary keys and every foreign-key column, plus repositories(is_public);
// foreign-key constraints on every key.
var GitClub = &Dataset{
	Schema:  "ursa_bigbench_gitclub",
	Version: 3,
	Build: []string{
		`CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text)`,
		`CREATE TABLE organizations (id bigint PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE org_roles (id bigint PRIMARY KEY, user_id bigint NOT NULL, org_id bigint NOT NULL, name text NOT NULL)`,
		`CREATE TABLE repositories (id bigint PRIMARY KEY, name text NOT NULL, org_id bigint, is_public boolean NOT NULL)`,
		`CREATE TABLE repo_roles (id bigint PRIMARY KEY, user_id bigint NOT NULL, repo_id bigint NOT NULL, name text NOT NULL)`,
		`CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL, org_id bigint NOT NULL, parent_id bigint)`,
		`CREATE TABLE team_memberships (id bigint PRIMARY KEY, team_id bigint NOT NULL, user_id bigint NOT NULL)`,
		`CREATE TABLE team_repo_roles (id bigint PRIMARY KEY, team_id bigint NOT NULL, repo_id bigint NOT NULL, name text NOT NULL)`,
		`CREATE TABLE issues (id bigint PRIMARY KEY, title text NOT NULL, repo_id bigint NOT NULL, creator_id bigint, closed boolean NOT NULL)`,

		fmt.Sprintf(`INSERT INTO users SELECT i, 'user' || i, CASE WHEN i %% 10 < 7 THEN 'user' || i || '@example.com' END
			FROM generate_series(1::bigint, %d) i`, NUsers),
		fmt.Sprintf(`INSERT INTO organizations SELECT i, 'org' || i FROM generate_series(1::bigint, %d) i`, NOrgs),
		// user u is in 1 + u%%3 distinct orgs
		fmt.Sprintf(`INSERT INTO org_roles SELECT row_number() OVER (ORDER BY u, k), u, (u * 7919 + k * 104729) %% %d + 1,
			CASE WHEN (u + k) %% 10 = 0 THEN 'admin' ELSE 'member' END
			FROM generate_series(1::bigint, %d) u, generate_series(0, 2) k WHERE k <= u %% 3`, NOrgs, NUsers),
		fmt.Sprintf(`INSERT INTO repositories SELECT i, 'repo' || i,
			CASE WHEN i %% 10 <> 0 THEN (i * 2654435761) %% %d + 1 END, i %% 500 = 0
			FROM generate_series(1::bigint, %d) i`, NOrgs, NRepos),
		fmt.Sprintf(`INSERT INTO repo_roles SELECT i, (i * 48271) %% %d + 1, i,
			(ARRAY['reader', 'maintainer', 'admin'])[i %% 3 + 1]
			FROM generate_series(1::bigint, %d) i`, NUsers, NRepos),
		// team t belongs to org (t-1)%%1000+1; its parent is the same org's team one level up, except at every 5th level
		fmt.Sprintf(`INSERT INTO teams SELECT t, 'team' || t, (t - 1) %% %[1]d + 1,
			CASE WHEN (t - 1) / %[1]d %% 5 <> 0 THEN t - %[1]d END
			FROM generate_series(1::bigint, %[2]d) t`, teamsPerLevel, NTeams),
		fmt.Sprintf(`INSERT INTO team_memberships SELECT row_number() OVER (ORDER BY u, k), (u * 31 + k * 7777) %% %d + 1, u
			FROM generate_series(1::bigint, %d) u, generate_series(0, 1) k`, NTeams, NUsers),
		fmt.Sprintf(`INSERT INTO team_repo_roles SELECT row_number() OVER (ORDER BY i), (i * 2654435761 %% 4294967291) %% %d + 1, i,
			(ARRAY['reader', 'maintainer', 'admin'])[i / 5 %% 3 + 1]
			FROM generate_series(1::bigint, %d) i WHERE i %% 5 < 2`, NTeams, NRepos),

		`CREATE INDEX ON org_roles (user_id)`,
		`CREATE INDEX ON org_roles (org_id)`,
		`CREATE INDEX ON repositories (org_id)`,
		`CREATE INDEX ON repositories (is_public)`,
		`CREATE INDEX ON repo_roles (user_id)`,
		`CREATE INDEX ON repo_roles (repo_id)`,
		`CREATE INDEX ON teams (org_id)`,
		`CREATE INDEX ON teams (parent_id)`,
		`CREATE INDEX ON team_memberships (user_id)`,
		`CREATE INDEX ON team_memberships (team_id)`,
		`CREATE INDEX ON team_repo_roles (team_id)`,
		`CREATE INDEX ON team_repo_roles (repo_id)`,
		`CREATE INDEX ON issues (repo_id)`,

		// Foreign keys, so the benchmark may use gormfilter.EnforcedKeys.
		`ALTER TABLE org_roles ADD FOREIGN KEY (user_id) REFERENCES users, ADD FOREIGN KEY (org_id) REFERENCES organizations`,
		`ALTER TABLE repositories ADD FOREIGN KEY (org_id) REFERENCES organizations`,
		`ALTER TABLE repo_roles ADD FOREIGN KEY (user_id) REFERENCES users, ADD FOREIGN KEY (repo_id) REFERENCES repositories`,
		`ALTER TABLE teams ADD FOREIGN KEY (org_id) REFERENCES organizations, ADD FOREIGN KEY (parent_id) REFERENCES teams`,
		`ALTER TABLE team_memberships ADD FOREIGN KEY (team_id) REFERENCES teams, ADD FOREIGN KEY (user_id) REFERENCES users`,
		`ALTER TABLE team_repo_roles ADD FOREIGN KEY (team_id) REFERENCES teams, ADD FOREIGN KEY (repo_id) REFERENCES repositories`,
		`ALTER TABLE issues ADD FOREIGN KEY (repo_id) REFERENCES repositories, ADD FOREIGN KEY (creator_id) REFERENCES users`,
	},
}

// Folders is the folder-tree schema of integration/fixtures/folders at
// scale: 100k users; 1M folders: 1,000 roots with 4-ary trees below them
// (folders 1..900,000, depth ~6) and 100 chains 1,000 deep hanging off tree
// folders; 90% of folders have an owner (~9 per user), 0.01% are public;
// 300k grants (~3 per user, roles "viewer", "editor", "Editor", "editor ").
// Indexes: primary keys, folders(parent_id), folders(owner_id),
// folders(public), grants(user_id), grants(folder_id); foreign-key
// constraints on every key.
var Folders = &Dataset{
	Schema:  "ursa_bigbench_folders",
	Version: 2,
	Build: []string{
		`CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE folders (id bigint PRIMARY KEY, name text NOT NULL, parent_id bigint, owner_id bigint, public boolean NOT NULL)`,
		`CREATE TABLE grants (id bigint PRIMARY KEY, user_id bigint NOT NULL, folder_id bigint NOT NULL, role text NOT NULL)`,
		`CREATE TABLE documents (id bigint PRIMARY KEY, title text NOT NULL, folder_id bigint, owner_id bigint NOT NULL, locked boolean NOT NULL)`,

		fmt.Sprintf(`INSERT INTO users SELECT i, 'user' || i FROM generate_series(1::bigint, %d) i`, NUsers),
		fmt.Sprintf(`INSERT INTO folders SELECT i, 'folder' || i,
			CASE WHEN i <= 1000 THEN NULL
			     WHEN i <= %[1]d THEN (i - 1001) / 4 + 1
			     WHEN (i - %[1]d - 1) %% %[2]d = 0 THEN ((i - %[1]d - 1) / %[2]d * 2654435761) %% %[1]d + 1
			     ELSE i - 1 END,
			CASE WHEN i %% 10 <> 0 THEN (i * 2654435761) %% %[3]d + 1 END,
			i %% 10000 = 0
			FROM generate_series(1::bigint, %[4]d) i`, folderTree, chainLen, NUsers, NFolders),
		fmt.Sprintf(`INSERT INTO grants SELECT k, (k * 48271) %% %d + 1, (k * 2654435761) %% %d + 1,
			(ARRAY['viewer', 'editor', 'Editor', 'editor '])[k %% 4 + 1]
			FROM generate_series(1::bigint, %d) k`, NUsers, NFolders, folderGrants),

		`CREATE INDEX ON folders (parent_id)`,
		`CREATE INDEX ON folders (owner_id)`,
		`CREATE INDEX ON folders (public)`,
		`CREATE INDEX ON grants (user_id)`,
		`CREATE INDEX ON grants (folder_id)`,
		`CREATE INDEX ON documents (folder_id)`,
		`CREATE INDEX ON documents (owner_id)`,

		`ALTER TABLE folders ADD FOREIGN KEY (parent_id) REFERENCES folders, ADD FOREIGN KEY (owner_id) REFERENCES users`,
		`ALTER TABLE grants ADD FOREIGN KEY (user_id) REFERENCES users, ADD FOREIGN KEY (folder_id) REFERENCES folders`,
		`ALTER TABLE documents ADD FOREIGN KEY (folder_id) REFERENCES folders, ADD FOREIGN KEY (owner_id) REFERENCES users`,
	},
}
