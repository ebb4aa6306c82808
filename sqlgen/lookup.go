package sqlgen

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// table returns the table of a Polar type.
func (s *Schema) table(typ string) (*Table, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil schema", ErrInvalidSchema)
	}
	if t := s.Tables[typ]; t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("%w %q: not in the schema", ErrUnknownType, typ)
}

// column returns the column of a field given by Go name or snake_case alias.
func (t *Table) column(name string) (string, bool) {
	if c, ok := t.Fields[name]; ok {
		return c, true
	}
	for k, c := range t.Fields {
		if SnakeCase(k) == name || k == SnakeCase(name) {
			return c, true
		}
	}
	return "", false
}

// relation returns the relation given by Go name or snake_case alias.
func (t *Table) relation(name string) (*Relation, bool) {
	if r, ok := t.Relations[name]; ok && r != nil {
		return r, true
	}
	for k, r := range t.Relations {
		if r != nil && (SnakeCase(k) == name || k == SnakeCase(name)) {
			return r, true
		}
	}
	return nil, false
}

// nullable reports whether a column of t may hold NULL. Primary-key columns
// never do; a column absent from Nullable is treated as nullable.
func (t *Table) nullable(col string) bool {
	if slices.Contains(t.PK, col) {
		return false
	}
	n, ok := t.Nullable[col]
	return !ok || n
}

// hasColumn reports whether col is the column of some field, or a key column.
func (t *Table) hasColumn(col string) bool {
	if slices.Contains(t.PK, col) {
		return true
	}
	for _, c := range t.Fields {
		if c == col {
			return true
		}
	}
	return false
}

// SnakeCase converts a Go identifier to GORM's snake_case column style:
// "CreatorID" -> "creator_id", "HTTPServer" -> "http_server".
func SnakeCase(s string) string {
	if s == "" {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && rs[i-1] != '_' && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
				(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Validate checks that the schema is consistent: every table has a name and a
// primary key, identifiers are quotable, relations point to known types, key
// lists are non-empty and of equal length, and every key column exists on the
// table it belongs to. It returns all problems found, joined, each wrapping
// ErrInvalidSchema.
func (s *Schema) Validate() error {
	if s == nil {
		return fmt.Errorf("%w: nil schema", ErrInvalidSchema)
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	types := make([]string, 0, len(s.Tables))
	for k := range s.Tables {
		types = append(types, k)
	}
	sort.Strings(types)
	for _, typ := range types {
		t := s.Tables[typ]
		if t == nil {
			bad("type %s: nil table", typ)
			continue
		}
		if t.Type != "" && t.Type != typ {
			bad("type %s: table declares Type %q", typ, t.Type)
		}
		if err := checkIdent(t.Name, true); err != nil {
			bad("type %s: table name: %v", typ, err)
		}
		if len(t.PK) == 0 {
			bad("type %s: no primary key", typ)
		}
		for _, c := range t.PK {
			if err := checkIdent(c, false); err != nil {
				bad("type %s: primary key: %v", typ, err)
			}
		}
		fields := sortedKeys(t.Fields)
		for _, f := range fields {
			if err := checkIdent(t.Fields[f], false); err != nil {
				bad("type %s: field %s: %v", typ, f, err)
			}
			if _, ok := t.Relations[f]; ok {
				bad("type %s: %s is both a field and a relation", typ, f)
			}
		}
		for _, rn := range sortedKeys(t.Relations) {
			r := t.Relations[rn]
			where := fmt.Sprintf("type %s: relation %s", typ, rn)
			if r == nil {
				bad("%s: nil relation", where)
				continue
			}
			if r.Name != "" && r.Name != rn {
				bad("%s: declares Name %q", where, r.Name)
			}
			tt := s.Tables[r.Target]
			if tt == nil {
				bad("%s: target type %q is not in the schema", where, r.Target)
				continue
			}
			keys := func(what string, cols []string, on *Table, n int) {
				if len(cols) == 0 {
					bad("%s: no %s", where, what)
					return
				}
				if n >= 0 && len(cols) != n {
					bad("%s: %s has %d columns, want %d", where, what, len(cols), n)
				}
				for _, c := range cols {
					if err := checkIdent(c, false); err != nil {
						bad("%s: %s: %v", where, what, err)
					} else if on != nil && !on.hasColumn(c) {
						bad("%s: %s column %q is not a column of %s (%s)", where, what, c, on.Type, on.Name)
					}
				}
			}
			switch r.Kind {
			case BelongsTo:
				keys("ForeignKey", r.ForeignKey, t, -1)
				keys("References", r.References, withType(tt, r.Target), len(r.ForeignKey))
			case HasOne, HasMany:
				keys("ForeignKey", r.ForeignKey, withType(tt, r.Target), -1)
				keys("References", r.References, withType(t, typ), len(r.ForeignKey))
			case ManyToMany:
				if err := checkIdent(r.JoinTable, true); err != nil {
					bad("%s: JoinTable: %v", where, err)
				}
				keys("References", r.References, withType(t, typ), -1)
				keys("JoinForeignKey", r.JoinForeignKey, nil, len(r.References))
				keys("TargetReferences", r.TargetReferences, withType(tt, r.Target), -1)
				keys("JoinReferences", r.JoinReferences, nil, len(r.TargetReferences))
			default:
				bad("%s: unknown relation kind %d", where, int(r.Kind))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n\t%s", ErrInvalidSchema, strings.Join(errs, "\n\t"))
}

// withType returns t with Type filled in for messages.
func withType(t *Table, typ string) *Table {
	if t.Type == typ {
		return t
	}
	c := *t
	c.Type = typ
	return &c
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
