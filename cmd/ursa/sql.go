package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

// runSQL prints the filter of allow(actor, action, resource) for an unknown
// resource of --type, and the SQL statement with its arguments.
func runSQL(cl *cmdline, _ io.Reader, stdout, stderr io.Writer) int {
	for _, f := range []string{"actor", "action", "type"} {
		if cl.flags[f] == "" {
			fmt.Fprintf(stderr, "ursa sql: --%s is required\n\n%s", f, usage)
			return exitUsage
		}
	}
	if cl.flags["schema"] == "" && cl.flags["dsn"] == "" {
		fmt.Fprintf(stderr, "ursa sql: --schema FILE or --dsn URL is required\n\n%s", usage)
		return exitUsage
	}
	if len(cl.files) == 0 {
		fmt.Fprintf(stderr, "ursa sql: no policy files\n\n%s", usage)
		return exitUsage
	}
	dialect := sqlgen.Postgres
	if d := cl.flags["dialect"]; d != "" {
		var err error
		if dialect, err = sqlgen.ParseDialect(d); err != nil {
			fmt.Fprintf(stderr, "ursa sql: %v\n", err)
			return exitUsage
		}
	}
	ctx := context.Background()
	var schema *schemaFile
	if dsn := cl.flags["dsn"]; dsn != "" {
		s, err := schemaFromPostgres(ctx, dsn)
		if err != nil {
			fmt.Fprintf(stderr, "ursa sql: reading the schema from the database: %v\n", err)
			return exitFail
		}
		schema = s
	}
	if path := cl.flags["schema"]; path != "" {
		s, err := decodeSchema(path)
		if err != nil {
			fmt.Fprintf(stderr, "ursa sql: %v\n", err)
			return exitFail
		}
		schema = schema.merge(s)
	}
	what := cl.flags["schema"]
	if what == "" {
		what = "schema from " + redactDSN(cl.flags["dsn"])
	}
	if _, err := schema.validate(what); err != nil {
		fmt.Fprintf(stderr, "ursa sql: %v\n", err)
		return exitFail
	}
	l, err := loadPolicy(cl.files, schema, loadOpts{inline: true, query: quietQuery()})
	if err != nil {
		fmt.Fprintf(stderr, "ursa sql: %v\n", err)
		return exitFail
	}
	if printDiags(stderr, l.diags) > 0 || l.policy == nil {
		return exitFail
	}
	typ := cl.flags["type"]
	if _, ok := schema.Types[typ]; !ok {
		fmt.Fprintf(stderr, "ursa sql: --type %s is not declared in the schema (types: %s)\n", typ, strings.Join(schema.names(), ", "))
		return exitFail
	}
	actor, err := parseActor(cl.flags["actor"], cl.flags["actor-type"], schema)
	if err != nil {
		fmt.Fprintf(stderr, "ursa sql: --actor: %v\n", err)
		return exitFail
	}
	f, err := partial.Eval(ctx, l.policy, actor, cl.flags["action"], typ)
	if err != nil {
		fmt.Fprintf(stderr, "ursa sql: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "-- filter\n%s\n", f.String())
	query, args, err := sqlgen.Select(f, schema.sqlSchema(), dialect)
	if err != nil {
		fmt.Fprintf(stderr, "ursa sql: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "-- %s\n%s\n-- args\n", dialect, query)
	for i, a := range args {
		fmt.Fprintf(stdout, "%d: %s\n", i+1, engine.FormatValue(a))
	}
	return exitOK
}

// parseActor decodes the --actor JSON: a Polar value (numbers without a
// fraction are integers), or with --actor-type an instance of a schema class
// whose fields are set from the JSON object's keys (column names).
func parseActor(src, class string, schema *schemaFile) (any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(src)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	v = fromJSON(v)
	if class == "" {
		return v, nil
	}
	t, ok := schema.Types[class]
	if !ok {
		return nil, fmt.Errorf("--actor-type %s is not declared in the schema", class)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("--actor-type needs a JSON object")
	}
	pv := reflect.New(t.goType)
	sv := pv.Elem()
	for _, k := range sortedKeys(obj) {
		f, ok := fieldByTag(t.goType, k)
		if !ok {
			return nil, fmt.Errorf("%s has no field %s", class, k)
		}
		fv := sv.FieldByIndex(f.Index)
		ft := fv.Type()
		if d, ok := t.decl[f.Name]; ok && d.Kind() == reflect.Pointer {
			ft = d.Elem() // a nullable column: the value or nil
			if obj[k] == nil {
				continue
			}
		}
		x, err := convert(obj[k], ft)
		if err != nil {
			return nil, fmt.Errorf("field %s: %v", k, err)
		}
		fv.Set(x)
	}
	return pv.Interface(), nil
}

func fieldByTag(t reflect.Type, col string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Tag.Get("polar") == col {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// convert converts a decoded JSON value to a field of type t.
func convert(v any, t reflect.Type) (reflect.Value, error) {
	if t.Kind() == reflect.Interface {
		if v == nil {
			return reflect.Zero(t), nil
		}
		return reflect.ValueOf(v), nil
	}
	if t.Kind() == reflect.Pointer {
		if v == nil {
			return reflect.Zero(t), nil
		}
		x, err := convert(v, t.Elem())
		if err != nil {
			return reflect.Value{}, err
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(x)
		return p, nil
	}
	if t == timeType {
		s, ok := v.(string)
		if !ok {
			return reflect.Value{}, fmt.Errorf("want an RFC 3339 time string")
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return reflect.Value{}, err
		}
		return reflect.ValueOf(tm), nil
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return reflect.Value{}, fmt.Errorf("null for a non-nullable field")
	}
	if t.Kind() == reflect.Float64 && rv.Kind() == reflect.Int64 {
		return reflect.ValueOf(float64(v.(int64))), nil
	}
	if rv.Type() != t {
		return reflect.Value{}, fmt.Errorf("want %s, got %s", t, engine.FormatValue(v))
	}
	return rv, nil
}

// fromJSON turns json.Number into int64 (or float64 when it has a fraction
// or does not fit).
func fromJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = fromJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = fromJSON(e)
		}
		return x
	}
	return v
}
