package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// schemaFromPostgres reads the tables of the connection's current schema
// (search_path) from a live PostgreSQL: columns (with type and nullability),
// primary keys and foreign keys. Each table becomes a class named in
// CamelCase singular (repo_roles -> RepoRole); a foreign key org_id -> orgs
// becomes a belongs_to relation `org` and, on the target, a has_many relation
// named after the table (`repo_roles`). A --schema file given too is merged
// over it (its declarations win), e.g. to rename classes.
func schemaFromPostgres(ctx context.Context, dsn string) (*schemaFile, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	s := &schemaFile{Types: map[string]*schemaType{}}
	byTable := map[string]*schemaType{}
	classOf := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT table_name, column_name, data_type, is_nullable
		FROM information_schema.columns WHERE table_schema = current_schema()
		ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var table, col, typ, nullable string
		if err := rows.Scan(&table, &col, &typ, &nullable); err != nil {
			rows.Close()
			return nil, err
		}
		t := byTable[table]
		if t == nil {
			t = &schemaType{Table: table, Fields: map[string]string{}, Relations: map[string]*schemaRelation{}}
			byTable[table] = t
			classOf[table] = className(table)
			s.Types[classOf[table]] = t
		}
		ft := pgType(typ)
		if ft == "" {
			continue // a column type filters cannot use (json, arrays, ...)
		}
		if nullable == "YES" {
			ft += "?"
		}
		t.Fields[col] = ft
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(byTable) == 0 {
		return nil, fmt.Errorf("no tables in the current schema")
	}
	// Primary keys and foreign keys (single-column and composite).
	rows, err = db.QueryContext(ctx, `SELECT tc.constraint_type, tc.constraint_name, tc.table_name, kcu.column_name,
			COALESCE(ccu.table_name, ''), COALESCE(ccu.column_name, ''), kcu.ordinal_position
		FROM information_schema.table_constraints tc
		JOIN information_schema.key_column_usage kcu
		  ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
		LEFT JOIN information_schema.constraint_column_usage ccu
		  ON tc.constraint_type = 'FOREIGN KEY' AND ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
		WHERE tc.table_schema = current_schema() AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
		ORDER BY tc.table_name, tc.constraint_name, kcu.ordinal_position`)
	if err != nil {
		return nil, err
	}
	type fk struct {
		table, target  string
		cols, refs     []string
		seenCol, seenR map[string]bool
	}
	fks := map[string]*fk{}
	var order []string
	for rows.Next() {
		var kind, name, table, col, target, ref string
		var pos int
		if err := rows.Scan(&kind, &name, &table, &col, &target, &ref, &pos); err != nil {
			rows.Close()
			return nil, err
		}
		t := byTable[table]
		if t == nil {
			continue
		}
		if kind == "PRIMARY KEY" {
			t.PrimaryKey = append(t.PrimaryKey, col)
			continue
		}
		k := fks[table+"."+name]
		if k == nil {
			k = &fk{table: table, target: target, seenCol: map[string]bool{}, seenR: map[string]bool{}}
			fks[table+"."+name] = k
			order = append(order, table+"."+name)
		}
		if !k.seenCol[col] {
			k.seenCol[col] = true
			k.cols = append(k.cols, col)
		}
		if !k.seenR[ref] {
			k.seenR[ref] = true
			k.refs = append(k.refs, ref)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, key := range order {
		k := fks[key]
		t, target := byTable[k.table], byTable[k.target]
		if target == nil || len(k.cols) != len(k.refs) {
			continue
		}
		name := strings.TrimSuffix(strings.TrimSuffix(k.cols[0], "_id"), "_fk")
		if len(k.cols) > 1 || name == k.cols[0] {
			name = strings.TrimSuffix(k.target, "s")
		}
		if _, taken := t.Fields[name]; !taken && t.Relations[name] == nil {
			t.Relations[name] = &schemaRelation{Kind: "belongs_to", Type: classOf[k.target], ForeignKey: k.cols, References: k.refs}
		}
		back := k.table
		if _, taken := target.Fields[back]; !taken && target.Relations[back] == nil {
			target.Relations[back] = &schemaRelation{Kind: "has_many", Type: classOf[k.table], ForeignKey: k.cols, References: k.refs}
		}
	}
	return s, nil
}

// className is the CamelCase singular of a table name: repo_roles -> RepoRole.
func className(table string) string {
	switch {
	case strings.HasSuffix(table, "ies"):
		table = strings.TrimSuffix(table, "ies") + "y"
	case strings.HasSuffix(table, "ses"):
		table = strings.TrimSuffix(table, "es")
	case strings.HasSuffix(table, "s") && !strings.HasSuffix(table, "ss"):
		table = strings.TrimSuffix(table, "s")
	}
	return goName(table)
}

// pgType maps a PostgreSQL data type to a schema field type ("" to skip).
func pgType(t string) string {
	switch {
	case t == "integer" || t == "bigint" || t == "smallint":
		return "int"
	case t == "real" || t == "double precision" || t == "numeric":
		return "float"
	case t == "text" || strings.HasPrefix(t, "character") || t == "uuid" || t == "citext":
		return "string"
	case t == "boolean":
		return "bool"
	case strings.HasPrefix(t, "timestamp") || t == "date":
		return "time"
	}
	return ""
}

// redactDSN removes a password from a URL-style DSN for messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
