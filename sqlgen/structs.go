package sqlgen

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// FromStructs builds a Schema from Go struct types and their `db` tags. The
// map is keyed by Polar type name; values are struct values or pointers
// (e.g. map[string]any{"Repo": Repo{}, "Org": &Org{}}).
//
// Table name: the TableName() string method if the type has one (as in
// GORM), else the snake_case type name plus "s" ("es" after s/x/z/ch/sh,
// "ies" for a consonant + y).
//
// Columns: every exported field of a basic type, time.Time, []byte, a
// driver.Valuer, or a pointer to one of these, is a column named by its tag
// or, untagged, by its snake_case name:
//
//	ID      int64  `db:"id,pk"`        // primary key (several pk fields: composite key)
//	OrgID   *int64 `db:"org_id"`       // a pointer or sql.Null* type is nullable
//	Name    string `db:"name,null"`    // force nullable (null) or not (notnull)
//	Secret  string `db:"-"`            // not a column
//
// Without any pk tag, the field named ID is the primary key.
//
// Relations: a field whose type is (a pointer to, or a slice of) another
// registered struct type is a relation. Options, all optional:
//
//	Org     *Org          `db:",rel=belongs_to,fk=org_id,ref=id"`
//	Profile *Profile      `db:",rel=has_one,fk=user_id,ref=id"`
//	Roles   []RepoRole    `db:",rel=has_many,fk=repo_id,ref=id"`
//	Teams   []*Team       `db:",rel=many_to_many,join=repo_teams,join_fk=repo_id,join_ref=team_id,ref=id,target_ref=id"`
//
// The flag enforced (`db:",enforced"`) sets Relation.Enforced: the database
// guarantees the reference (a foreign-key constraint), so keys are trusted
// without reading the referenced row. Without it they are not.
// Composite keys list columns joined with '+' (fk=tenant_id+org_id). The
// defaults follow GORM: a to-one field X with a sibling field XID is
// belongs_to with fk = XID's column; otherwise has_one. A slice is has_many,
// or many_to_many when join= is given. fk defaults to <this type>_id on the
// other table (belongs_to: XID's column), ref to the primary key of the
// referenced table, join_fk to <this type>_id and join_ref to <target type>_id
// (a many-to-many from a type to itself must name both). The result is
// validated (Schema.Validate).
func FromStructs(types map[string]any) (*Schema, error) {
	s := &Schema{Tables: map[string]*Table{}}
	byGo := map[reflect.Type]string{}
	goTypes := map[string]reflect.Type{}
	names := sortedKeys(types)
	var errs []string
	for _, name := range names {
		t := reflect.TypeOf(types[name])
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			errs = append(errs, fmt.Sprintf("type %s: %T is not a struct", name, types[name]))
			continue
		}
		if other, dup := byGo[t]; dup {
			errs = append(errs, fmt.Sprintf("type %s: Go type %s is also registered as %s", name, t, other))
			continue
		}
		byGo[t] = name
		goTypes[name] = t
	}
	// pass 1: tables, columns, keys
	for _, name := range names {
		t := goTypes[name]
		if t == nil {
			continue
		}
		tb := &Table{Type: name, Name: tableName(t), Fields: map[string]string{}, Nullable: map[string]bool{}, Relations: map[string]*Relation{}}
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
				continue
			}
			tag, ok := f.Tag.Lookup("db")
			if tag == "-" {
				continue
			}
			col, opts := parseTag(tag)
			if _, isRel := relTarget(f.Type, byGo); isRel || opts["rel"] != "" {
				continue
			}
			if !isColumnType(f.Type) && !(ok && col != "") {
				continue
			}
			if col == "" {
				col = SnakeCase(f.Name)
			}
			tb.Fields[f.Name] = col
			nullable := isNullableType(f.Type)
			if _, ok := opts["null"]; ok {
				nullable = true
			}
			if _, ok := opts["notnull"]; ok {
				nullable = false
			}
			tb.Nullable[col] = nullable
			if _, ok := opts["pk"]; ok {
				tb.PK = append(tb.PK, col)
			}
		}
		if len(tb.PK) == 0 {
			if c, ok := tb.Fields["ID"]; ok {
				tb.PK = []string{c}
			}
		}
		s.Tables[name] = tb
	}
	// pass 2: relations
	for _, name := range names {
		t, tb := goTypes[name], s.Tables[name]
		if tb == nil {
			continue
		}
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
				continue
			}
			tag := f.Tag.Get("db")
			if tag == "-" {
				continue
			}
			_, opts := parseTag(tag)
			target, isRel := relTarget(f.Type, byGo)
			if !isRel {
				if opts["rel"] != "" {
					errs = append(errs, fmt.Sprintf("type %s: field %s: %s is not a registered struct type", name, f.Name, f.Type))
				}
				continue
			}
			tt := s.Tables[target]
			toMany := f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Array
			r := &Relation{Name: f.Name, Target: target}
			kind := opts["rel"]
			if kind == "" {
				switch {
				case toMany && opts["join"] != "":
					kind = "many_to_many"
				case toMany:
					kind = "has_many"
				default:
					if _, ok := tb.Fields[f.Name+"ID"]; ok {
						kind = "belongs_to"
					} else {
						kind = "has_one"
					}
				}
			}
			list := func(key string, def []string) []string {
				if v := opts[key]; v != "" {
					return strings.Split(v, "+")
				}
				return def
			}
			thisFK := SnakeCase(t.Name()) + "_id"
			switch kind {
			case "belongs_to":
				r.Kind = BelongsTo
				var def []string
				if c, ok := tb.Fields[f.Name+"ID"]; ok {
					def = []string{c}
				}
				r.ForeignKey = list("fk", def)
				r.References = list("ref", tt.PK)
			case "has_one", "has_many":
				r.Kind = HasOne
				if kind == "has_many" {
					r.Kind = HasMany
				}
				r.ForeignKey = list("fk", []string{thisFK})
				r.References = list("ref", tb.PK)
			case "many_to_many":
				r.Kind = ManyToMany
				r.JoinTable = opts["join"]
				r.References = list("ref", tb.PK)
				r.TargetReferences = list("target_ref", tt.PK)
				r.JoinForeignKey = list("join_fk", []string{thisFK})
				r.JoinReferences = list("join_ref", []string{SnakeCase(goTypes[target].Name()) + "_id"})
				if target == name && (opts["join_fk"] == "" || opts["join_ref"] == "") {
					errs = append(errs, fmt.Sprintf("type %s: relation %s: a many-to-many from a type to itself needs join_fk and join_ref", name, f.Name))
				}
			default:
				errs = append(errs, fmt.Sprintf("type %s: field %s: unknown rel=%q (want belongs_to, has_one, has_many or many_to_many)", name, f.Name, kind))
				continue
			}
			if toMany != r.ToMany() {
				errs = append(errs, fmt.Sprintf("type %s: field %s: rel=%s does not fit a field of type %s", name, f.Name, kind, f.Type))
				continue
			}
			_, r.Enforced = opts["enforced"]
			tb.Relations[f.Name] = r
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%w:\n\t%s", ErrInvalidSchema, strings.Join(errs, "\n\t"))
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func parseTag(tag string) (string, map[string]string) {
	parts := strings.Split(tag, ",")
	opts := map[string]string{}
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		opts[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return strings.TrimSpace(parts[0]), opts
}

var (
	timeType   = reflect.TypeOf(time.Time{})
	valuerType = reflect.TypeOf((*driver.Valuer)(nil)).Elem()
)

// relTarget returns the registered Polar type of a relation field: T, *T,
// []T, []*T with T registered.
func relTarget(t reflect.Type, byGo map[reflect.Type]string) (string, bool) {
	if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name, ok := byGo[t]
	return name, ok
}

func isColumnType(t reflect.Type) bool {
	if t.Implements(valuerType) || reflect.PointerTo(t).Implements(valuerType) {
		return true
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8
	}
	return false
}

func isNullableType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		return true
	}
	return t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "Null") && t.Implements(valuerType)
}

// tableName is TableName() if the type has it, else a plural snake_case name.
func tableName(t reflect.Type) string {
	type tabler interface{ TableName() string }
	if tn, ok := reflect.New(t).Interface().(tabler); ok {
		return tn.TableName()
	}
	if tn, ok := reflect.Zero(t).Interface().(tabler); ok {
		return tn.TableName()
	}
	return plural(SnakeCase(t.Name()))
}

func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "z"),
		strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}
