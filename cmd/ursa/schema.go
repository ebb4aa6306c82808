package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/sqlgen"
)

// A schema file declares the classes of a policy, their tables, fields and
// relations, for `ursa sql` (and, optionally, the other subcommands). JSON:
//
//	{
//	  "types": {
//	    "User":   {"table": "users", "fields": {"id": "int", "name": "string", "org_id": "int?"}},
//	    "Org":    {"table": "orgs", "fields": {"id": "int", "name": "string"},
//	               "relations": {"repos": {"kind": "has_many", "type": "Repo", "foreign_key": "org_id"}}},
//	    "Repo":   {"table": "repos", "fields": {"id": "int", "org_id": "int", "is_public": "bool"},
//	               "relations": {"org": {"kind": "belongs_to", "type": "Org", "foreign_key": "org_id"}}},
//	    "Folder": {"table": "folders", "fields": {"id": "int", "parent_id": "int?"},
//	               "relations": {"parent": {"kind": "belongs_to", "type": "Folder", "foreign_key": "parent_id"}}}
//	  }
//	}
//
// Field names are column names. Field types: int, float, string, bool, time
// (a trailing ? marks the column nullable). primary_key defaults to ["id"].
// Relation kinds: belongs_to (foreign_key on this table, references the
// target's primary key by default), has_one and has_many (foreign_key on the
// target's table, references this table's key), many_to_many (join_table,
// join_foreign_key -> this table, join_references -> the target). Keys may be
// a string or a list of strings (composite keys).
//
// Each class becomes a Go struct type built with reflect.StructOf: a field per
// column (Go name in CamelCase, `polar` and `gorm:"column:..."` tags with the
// column name, primaryKey on key columns) and a field per relation. Because
// reflect cannot build recursive types (Folder.parent is a Folder), relation
// fields are declared as `any` and their real types (*Target, or []*Target
// for to-many relations) are given to the engine with
// engine.DeclareFieldTypes; partial evaluation then resolves
// `folder.parent.parent` exactly as with compiled Go structs.
type schemaFile struct {
	Types map[string]*schemaType `json:"types"`
}

type schemaType struct {
	Table      string                     `json:"table"`
	PrimaryKey keys                       `json:"primary_key"`
	Fields     map[string]string          `json:"fields"`
	Relations  map[string]*schemaRelation `json:"relations"`

	goType reflect.Type
	decl   map[string]reflect.Type // Go field name -> declared type of an `any` field
}

type schemaRelation struct {
	Kind             string `json:"kind"`
	Type             string `json:"type"`
	ForeignKey       keys   `json:"foreign_key"`
	References       keys   `json:"references"`
	JoinTable        string `json:"join_table"`
	JoinForeignKey   keys   `json:"join_foreign_key"`
	JoinReferences   keys   `json:"join_references"`
	TargetReferences keys   `json:"target_references"`
}

// keys is a string or a list of strings in JSON.
type keys []string

func (k *keys) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*k = keys{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("want a column name or a list of column names")
	}
	*k = l
	return nil
}

func readSchema(path string) (*schemaFile, error) {
	s, err := decodeSchema(path)
	if err != nil {
		return nil, err
	}
	return s.validate(path)
}

// decodeSchema reads a schema file without validating it.
func decodeSchema(path string) (*schemaFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s schemaFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &s, nil
}

// validate checks a schema and fills in defaults.
func (s *schemaFile) validate(path string) (*schemaFile, error) {
	if len(s.Types) == 0 {
		return nil, fmt.Errorf("%s: no types declared (want {\"types\": {...}})", path)
	}
	for _, name := range s.names() {
		t := s.Types[name]
		if t == nil {
			return nil, fmt.Errorf("%s: type %s: empty declaration", path, name)
		}
		if t.Table == "" {
			t.Table = strings.ToLower(name) + "s"
		}
		if len(t.PrimaryKey) == 0 {
			t.PrimaryKey = keys{"id"}
		}
		for _, k := range t.PrimaryKey {
			if _, ok := t.Fields[k]; !ok {
				return nil, fmt.Errorf("%s: type %s: primary key column %s is not among its fields", path, name, k)
			}
		}
		for col, typ := range t.Fields {
			if _, _, err := fieldType(typ); err != nil {
				return nil, fmt.Errorf("%s: type %s: field %s: %v", path, name, col, err)
			}
			if goName(col) == "" {
				return nil, fmt.Errorf("%s: type %s: field name %q is not an identifier", path, name, col)
			}
		}
		for rn, r := range t.Relations {
			if r == nil {
				return nil, fmt.Errorf("%s: type %s: relation %s: empty declaration", path, name, rn)
			}
			target, ok := s.Types[r.Type]
			if !ok {
				return nil, fmt.Errorf("%s: type %s: relation %s: unknown type %q", path, name, rn, r.Type)
			}
			if _, dup := t.Fields[rn]; dup {
				return nil, fmt.Errorf("%s: type %s: relation %s has the name of a field", path, name, rn)
			}
			switch r.Kind {
			case "belongs_to":
				if len(r.References) == 0 {
					r.References = target.PrimaryKey
				}
			case "has_one", "has_many":
				if len(r.References) == 0 {
					r.References = t.PrimaryKey
				}
			case "many_to_many":
				if r.JoinTable == "" || len(r.JoinForeignKey) == 0 || len(r.JoinReferences) == 0 {
					return nil, fmt.Errorf("%s: type %s: relation %s: many_to_many needs join_table, join_foreign_key and join_references", path, name, rn)
				}
				if len(r.References) == 0 {
					r.References = t.PrimaryKey
				}
				if len(r.TargetReferences) == 0 {
					r.TargetReferences = target.PrimaryKey
				}
			default:
				return nil, fmt.Errorf("%s: type %s: relation %s: kind %q (want belongs_to, has_one, has_many or many_to_many)", path, name, rn, r.Kind)
			}
			if r.Kind != "many_to_many" && len(r.ForeignKey) == 0 {
				return nil, fmt.Errorf("%s: type %s: relation %s: foreign_key is required", path, name, rn)
			}
		}
	}
	return s, nil
}

// merge returns s with the types of o added (o's declarations win).
func (s *schemaFile) merge(o *schemaFile) *schemaFile {
	if s == nil {
		return o
	}
	for k, v := range o.Types {
		s.Types[k] = v
	}
	return s
}

func (s *schemaFile) names() []string {
	out := make([]string, 0, len(s.Types))
	for k := range s.Types {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var timeType = reflect.TypeOf(time.Time{})

// fieldType maps a schema field type to a Go type.
func fieldType(s string) (reflect.Type, bool, error) {
	nullable := strings.HasSuffix(s, "?")
	base := strings.TrimSuffix(s, "?")
	var t reflect.Type
	switch base {
	case "int", "integer", "bigint":
		t = reflect.TypeOf(int64(0))
	case "float", "double", "real", "numeric":
		t = reflect.TypeOf(float64(0))
	case "string", "text":
		t = reflect.TypeOf("")
	case "bool", "boolean":
		t = reflect.TypeOf(false)
	case "time", "timestamp":
		t = timeType
	default:
		return nil, false, fmt.Errorf("type %q (want int, float, string, bool or time, with ? when nullable)", s)
	}
	if nullable {
		t = reflect.PointerTo(t)
	}
	return t, nullable, nil
}

// goName turns a column name into an exported Go identifier: org_id -> OrgId.
func goName(col string) string {
	var b strings.Builder
	up := true
	for _, r := range col {
		switch {
		case r == '_' || r == '-' || r == ' ':
			up = true
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		default:
			return ""
		}
		if b.Len() == 0 && unicode.IsDigit(r) {
			b.WriteString("F")
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

var anyType = reflect.TypeOf((*any)(nil)).Elem()

// register builds a Go struct type per schema class and registers it in reg.
func (s *schemaFile) register(reg *engine.Registry) error {
	for _, name := range s.names() {
		t := s.Types[name]
		var fields []reflect.StructField
		pk := map[string]bool{}
		for _, k := range t.PrimaryKey {
			pk[k] = true
		}
		t.decl = map[string]reflect.Type{}
		for _, col := range sortedKeys(t.Fields) {
			ft, nullable, _ := fieldType(t.Fields[col])
			if nullable {
				// The engine does not dereference non-nil *int64 & co., so a
				// nullable column is an `any` field holding nil or the value,
				// declared as the pointer type for partial evaluation.
				t.decl[goName(col)] = ft
				ft = anyType
			}
			tag := fmt.Sprintf(`polar:%q gorm:"column:%s`, col, col)
			if pk[col] {
				tag += ";primaryKey"
			}
			tag += `"`
			fields = append(fields, reflect.StructField{Name: goName(col), Type: ft, Tag: reflect.StructTag(tag)})
		}
		for _, rn := range sortedKeys(t.Relations) {
			fields = append(fields, reflect.StructField{Name: goName(rn), Type: anyType, Tag: reflect.StructTag(fmt.Sprintf(`polar:%q`, rn))})
		}
		// A marker field makes the type unique per class (two classes with
		// the same columns must not be the same Go type).
		// (unexported, so it is invisible to policies and in printed values)
		fields = append(fields, markerField(name))
		st, err := structOf(fields)
		if err != nil {
			return fmt.Errorf("schema type %s: %v", name, err)
		}
		t.goType = st
	}
	for _, name := range s.names() {
		t := s.Types[name]
		decl := t.decl
		for rn, r := range t.Relations {
			target := reflect.PointerTo(s.Types[r.Type].goType)
			if r.Kind == "has_many" || r.Kind == "many_to_many" {
				decl[goName(rn)] = reflect.SliceOf(target)
			} else {
				decl[goName(rn)] = target
			}
		}
		if err := engine.DeclareFieldTypes(t.goType, decl); err != nil {
			return err
		}
		if err := reg.RegisterClass(reflect.PointerTo(t.goType), name, nil); err != nil {
			return err
		}
	}
	return nil
}

// markerField is an unexported empty field whose name makes a struct type
// unique to class name.
func markerField(name string) reflect.StructField {
	var b strings.Builder
	b.WriteString("ursaClass_")
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "_%x_", r)
		}
	}
	return reflect.StructField{Name: b.String(), PkgPath: "github.com/ursa-authz/ursa/cmd/ursa", Type: reflect.TypeOf(struct{}{})}
}

// structOf is reflect.StructOf without panics (duplicate Go names, ...).
func structOf(fields []reflect.StructField) (t reflect.Type, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return reflect.StructOf(fields), nil
}

// sqlSchema converts the schema file to sqlgen's Schema (field keys are the Go
// names used by the filter IR).
func (s *schemaFile) sqlSchema() *sqlgen.Schema {
	out := &sqlgen.Schema{Tables: map[string]*sqlgen.Table{}}
	kinds := map[string]sqlgen.RelKind{"belongs_to": sqlgen.BelongsTo, "has_one": sqlgen.HasOne, "has_many": sqlgen.HasMany, "many_to_many": sqlgen.ManyToMany}
	for name, t := range s.Types {
		tb := &sqlgen.Table{Type: name, Name: t.Table, PK: append([]string(nil), t.PrimaryKey...),
			Fields: map[string]string{}, Nullable: map[string]bool{}, Relations: map[string]*sqlgen.Relation{}}
		for col, typ := range t.Fields {
			_, nullable, _ := fieldType(typ)
			tb.Fields[goName(col)] = col
			tb.Nullable[col] = nullable
		}
		for rn, r := range t.Relations {
			tb.Relations[goName(rn)] = &sqlgen.Relation{Name: goName(rn), Kind: kinds[r.Kind], Target: r.Type,
				ForeignKey: r.ForeignKey, References: r.References, JoinTable: r.JoinTable,
				JoinForeignKey: r.JoinForeignKey, JoinReferences: r.JoinReferences, TargetReferences: r.TargetReferences}
		}
		out.Tables[name] = tb
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
