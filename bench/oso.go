//go:build cgo

package bench

import (
	"context"
	"fmt"
	"strings"

	oso "github.com/osohq/go-oso"
	osotypes "github.com/osohq/go-oso/types"
)

// oso (github.com/osohq/go-oso, the deprecated cgo library wrapping the Rust
// Polar VM): decisions with IsAllowed on the Go values, filters with
// AuthorizedQuery and a small Postgres adapter (below) that turns oso's
// data-filtering plan into SQL, as oso's own GORM adapter does.

func init() {
	register(Engine{Name: "oso", NewDecider: NewOsoDecider, NewFilter: NewOsoFilter})
}

type osoTable struct {
	name   string
	fields map[string]string // Go field -> column
}

var osoTables = map[string]osoTable{
	"Document": {"documents", map[string]string{"ID": "id", "OwnerID": "owner_id", "Public": "public"}},
	"Org":      {"orgs", map[string]string{"ID": "id", "Name": "name"}},
	"Repo":     {"repos", map[string]string{"ID": "id", "Name": "name", "OrgID": "org_id"}},
}

// osoFields are the field types oso's data filtering needs per class.
var osoFields = map[string]map[string]any{
	"Document": {"ID": "Integer", "OwnerID": "Integer", "Public": "Boolean"},
	"Org":      {"ID": "Integer", "Name": "String"},
	"Repo": {"ID": "Integer", "Name": "String", "OrgID": "Integer",
		"Org": osotypes.Relation{Kind: "one", OtherType: "Org", MyField: "OrgID", OtherField: "ID"}},
}

type osoEngine struct {
	o    oso.Oso
	kind string
}

// newOso loads policy into a fresh oso instance. The filter instance
// declares the classes' fields and relations for data filtering; the decision
// instance does not, since oso then loads declared relations through the
// adapter (a database query) instead of reading the Go field.
func newOso(policy string, forFilter bool) (*osoEngine, error) {
	if policy != "docs" && policy != "gitclub" {
		return nil, unknownPolicy("oso", policy)
	}
	o, err := oso.NewOso()
	if err != nil {
		return nil, err
	}
	classes := []struct {
		v    any
		name string
	}{{User{}, "User"}, {Document{}, "Document"}, {Org{}, "Org"}, {Repo{}, "Repo"}}
	for _, c := range classes {
		var fields map[string]any
		if forFilter {
			fields = osoFields[c.name]
		}
		if err := o.RegisterClassWithNameAndFields(c.v, nil, c.name, fields); err != nil {
			return nil, err
		}
	}
	if forFilter {
		o.SetDataFilteringAdapter(osoSQLAdapter{})
	}
	if err := o.LoadString(Policy(policy + ".polar")); err != nil {
		return nil, err
	}
	return &osoEngine{o: o, kind: ResourceKind(policy)}, nil
}

// NewOsoDecider loads the Polar policy into a fresh oso instance.
func NewOsoDecider(_ *Fixture, policy string) (Decider, error) { return newOso(policy, false) }

// NewOsoFilter loads the Polar policy into a fresh oso instance.
func NewOsoFilter(_ *Fixture, policy string) (Filterer, error) { return newOso(policy, true) }

// osoRequest holds the Go values oso is asked about.
type osoRequest struct {
	actor    any
	action   string
	resource any
}

func (e *osoEngine) Prepare(r Request) (any, error) {
	return osoRequest{actor: *r.Actor, action: r.Action, resource: derefResource(r.Resource)}, nil
}

// derefResource hands oso struct values: its class checks compare the
// registered (non-pointer) type.
func derefResource(res any) any {
	switch x := res.(type) {
	case *Document:
		return *x
	case *Repo:
		return *x
	}
	return res
}

func (e *osoEngine) Decide(_ context.Context, prepared any) (bool, error) {
	r := prepared.(osoRequest)
	return e.o.IsAllowed(r.actor, r.action, r.resource)
}

func (e *osoEngine) PrepareActor(u *User) (any, error) { return *u, nil }

func (e *osoEngine) Filter(_ context.Context, actor any, action string) (Filtered, error) {
	q, err := e.o.AuthorizedQuery(actor, action, e.kind)
	if err != nil {
		return nil, err
	}
	return q.(SQLQuery), nil
}

// osoSQLAdapter compiles oso's filter plan (a root type, joined relations,
// and an OR of ANDs of comparisons) to a Postgres SELECT of the root's ids.
type osoSQLAdapter struct{}

func (osoSQLAdapter) BuildQuery(f *osotypes.Filter) (any, error) {
	root, ok := osoTables[f.Root]
	if !ok {
		return nil, fmt.Errorf("oso adapter: no table for %s", f.Root)
	}
	var b strings.Builder
	var args []any
	b.WriteString("SELECT " + root.name + ".id FROM " + root.name)
	for _, rel := range f.Relations {
		from, to := osoTables[rel.FromTypeName], osoTables[rel.ToTypeName]
		r, ok := osoFields[rel.FromTypeName][rel.FromFieldName].(osotypes.Relation)
		if !ok || to.name == "" {
			return nil, fmt.Errorf("oso adapter: unknown relation %s.%s", rel.FromTypeName, rel.FromFieldName)
		}
		fmt.Fprintf(&b, " JOIN %s ON %s.%s = %s.%s", to.name, to.name, to.fields[r.OtherField], from.name, from.fields[r.MyField])
	}
	datum := func(d osotypes.Datum) (string, error) {
		switch x := d.DatumVariant.(type) {
		case osotypes.Projection:
			t, ok := osoTables[x.TypeName]
			if !ok {
				return "", fmt.Errorf("oso adapter: no table for %s", x.TypeName)
			}
			col := "id" // a projection without a field is the object itself
			if x.FieldName != "" {
				if col, ok = t.fields[x.FieldName]; !ok {
					return "", fmt.Errorf("oso adapter: no column for %s.%s", x.TypeName, x.FieldName)
				}
			}
			return t.name + "." + col, nil
		case osotypes.Immediate:
			args = append(args, x.Value)
			return fmt.Sprintf("$%d", len(args)), nil
		}
		return "", fmt.Errorf("oso adapter: unsupported datum %T", d.DatumVariant)
	}
	var ors []string
	for _, and := range f.Conditions {
		var ands []string
		for _, c := range and {
			// oso says "deny" as the condition true = false: fold
			// comparisons of two constants here.
			li, lok := c.Lhs.DatumVariant.(osotypes.Immediate)
			ri, rok := c.Rhs.DatumVariant.(osotypes.Immediate)
			if lok && rok && c.Cmp != osotypes.In {
				if (li.Value == ri.Value) == (c.Cmp == osotypes.Eq) {
					ands = append(ands, "true")
				} else {
					ands = append(ands, "false")
				}
				continue
			}
			l, err := datum(c.Lhs)
			if err != nil {
				return nil, err
			}
			r, err := datum(c.Rhs)
			if err != nil {
				return nil, err
			}
			switch c.Cmp {
			case osotypes.Eq:
				ands = append(ands, l+" = "+r)
			case osotypes.Neq:
				ands = append(ands, l+" <> "+r)
			case osotypes.In:
				ands = append(ands, l+" = ANY("+r+")")
			default:
				return nil, fmt.Errorf("oso adapter: unsupported comparison %v", c.Cmp)
			}
		}
		if len(ands) == 0 {
			ors = append(ors, "true")
		} else {
			ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		}
	}
	if len(ors) == 0 {
		ors = []string{"false"}
	}
	b.WriteString(" WHERE " + strings.Join(ors, " OR "))
	return SQLQuery{SQL: b.String(), Args: args}, nil
}

func (osoSQLAdapter) ExecuteQuery(any) ([]any, error) {
	return nil, fmt.Errorf("oso adapter: the benchmark only builds queries")
}
