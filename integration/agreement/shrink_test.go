package agreement

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/gormfilter"
	"github.com/ursa-authz/ursa/integration/dbtest"
	"github.com/ursa-authz/ursa/integration/fixtures"
	"github.com/ursa-authz/ursa/integration/fixtures/gitclub"
	"github.com/ursa-authz/ursa/sqlgen"
	"gorm.io/gorm/schema"
)

// disagreement is one (actor, action, resource) whose three answers differ.
type disagreement struct {
	actorType string
	actorID   int64
	action    string
	class     string
	resID     int64
	want      [3]bool // IsAllowed, sqlgen, gormfilter
}

// Shrinking budget: it only runs on a failure.
const (
	shrinkTrials = 400
	shrinkTime   = 90 * time.Second
)

// item is one generated row: its type and index in data.Rows[typ].
type item struct {
	typ string
	i   int
}

// shrink looks for a small subset of the generated data on which the same
// disagreement (same three answers) still happens, by removing chunks of rows
// (ddmin-style) and re-running on a fresh database of the same dialect.
// Removing a row removes the rows that must refer to it and sets nullable
// references to it to NULL, so no new dangling foreign key appears.
// schemaCache caches the GORM schemas shrinking parses.
var schemaCache sync.Map

func shrink(t *testing.T, dialect string, f *fixtures.Fixture, a *ursa.Authorizer, sch *sqlgen.Schema, data *fixtures.Data, d *disagreement) string {
	t.Helper()
	var items []item
	for _, typ := range data.Order {
		for i := 0; i < reflect.ValueOf(data.Rows[typ]).Len(); i++ {
			if (typ == d.actorType && rowID(data, typ, i) == d.actorID) || (typ == d.class && rowID(data, typ, i) == d.resID) {
				continue // the actor and the resource always stay
			}
			items = append(items, item{typ, i})
		}
	}
	keep := make(map[item]bool, len(items))
	for _, it := range items {
		keep[it] = true
	}
	deadline := time.Now().Add(shrinkTime)
	trials := 0
	try := func(drop []item) bool {
		trials++
		next := make(map[item]bool, len(keep))
		for k, v := range keep {
			next[k] = v
		}
		for _, it := range drop {
			next[it] = false
		}
		sub, err := subset(data, next)
		if err != nil {
			return false
		}
		if same, err := reproduces(t, dialect, f, a, sch, sub, d); err == nil && same {
			keep = next
			return true
		}
		return false
	}
	for chunk := len(items) / 2; chunk >= 1 && trials < shrinkTrials && time.Now().Before(deadline); chunk /= 2 {
		for start := 0; start < len(items) && trials < shrinkTrials && time.Now().Before(deadline); start += chunk {
			var drop []item
			for _, it := range items[start:min(start+chunk, len(items))] {
				if keep[it] {
					drop = append(drop, it)
				}
			}
			if len(drop) > 0 {
				try(drop)
			}
		}
	}
	sub, err := subset(data, keep)
	if err != nil {
		return "shrinking failed: " + err.Error()
	}
	if same, err := reproduces(t, dialect, f, a, sch, sub, d); err != nil || !same {
		return fmt.Sprintf("shrinking failed: the disagreement does not reproduce on a fresh database (%v)", err)
	}
	var b strings.Builder
	n := 0
	for _, typ := range sub.Order {
		n += reflect.ValueOf(sub.Rows[typ]).Len()
	}
	fmt.Fprintf(&b, "---- minimal data (%d rows, %d trials) on which %s %d %q %s %d still gives IsAllowed=%v sqlgen=%v gormfilter=%v ----\n",
		n, trials, d.actorType, d.actorID, d.action, d.class, d.resID, d.want[0], d.want[1], d.want[2])
	for _, typ := range sub.Order {
		rv := reflect.ValueOf(sub.Rows[typ])
		for i := 0; i < rv.Len(); i++ {
			fmt.Fprintf(&b, "  %s\n", oneLine(rv.Index(i).Interface()))
		}
	}
	return b.String()
}

func rowID(data *fixtures.Data, typ string, i int) int64 {
	v := reflect.ValueOf(data.Rows[typ]).Index(i).Elem()
	if f := v.FieldByName("ID"); f.IsValid() {
		return f.Int()
	}
	return -1
}

// subset copies the kept rows, cascading removals: a row whose non-nullable
// foreign key points at a removed row is removed too; a nullable one is set
// to NULL.
func subset(data *fixtures.Data, keep map[item]bool) (*fixtures.Data, error) {
	removed := map[string]map[int64]bool{} // type -> removed ids
	isKept := func(typ string, i int) bool {
		if k, ok := keep[item{typ, i}]; ok {
			return k
		}
		return true // actor and resource
	}
	for _, typ := range data.Order {
		removed[typ] = map[int64]bool{}
		for i := 0; i < reflect.ValueOf(data.Rows[typ]).Len(); i++ {
			if !isKept(typ, i) {
				removed[typ][rowID(data, typ, i)] = true
			}
		}
	}
	out := &fixtures.Data{Notes: data.Notes}
	rels := map[string][]*schema.Relationship{}
	for _, typ := range data.Order {
		gs, err := schema.Parse(reflect.New(reflect.TypeOf(data.Rows[typ]).Elem().Elem()).Interface(), &schemaCache, schema.NamingStrategy{})
		if err != nil {
			return nil, err
		}
		rels[typ] = gs.Relationships.BelongsTo
	}
	// Copy kept rows; cascade until nothing changes.
	rows := map[string][]reflect.Value{}
	for _, typ := range data.Order {
		rv := reflect.ValueOf(data.Rows[typ])
		for i := 0; i < rv.Len(); i++ {
			if isKept(typ, i) {
				c := reflect.New(rv.Index(i).Elem().Type())
				c.Elem().Set(rv.Index(i).Elem())
				rows[typ] = append(rows[typ], c)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, typ := range data.Order {
			var kept []reflect.Value
			for _, r := range rows[typ] {
				drop := false
				for _, rel := range rels[typ] {
					fk := r.Elem().FieldByIndex(rel.References[0].ForeignKey.StructField.Index)
					target := rel.FieldSchema.Name
					if fk.Kind() == reflect.Pointer {
						if !fk.IsNil() && removed[target][fk.Elem().Int()] {
							fk.Set(reflect.Zero(fk.Type()))
							changed = true
						}
					} else if removed[target][fk.Int()] {
						drop = true
					}
				}
				if drop {
					if id := r.Elem().FieldByName("ID"); id.IsValid() {
						removed[typ][id.Int()] = true
					}
					changed = true
					continue
				}
				kept = append(kept, r)
			}
			rows[typ] = kept
		}
	}
	for _, typ := range data.Order {
		t := reflect.TypeOf(data.Rows[typ])
		s := reflect.MakeSlice(t, 0, len(rows[typ]))
		for _, r := range rows[typ] {
			s = reflect.Append(s, r)
		}
		out.Add(s.Interface())
	}
	return out, nil
}

// reproduces seeds sub into a fresh database and reports whether the
// disagreement gives the same three answers.
func reproduces(t *testing.T, dialect string, f *fixtures.Fixture, a *ursa.Authorizer, sch *sqlgen.Schema, sub *fixtures.Data, d *disagreement) (bool, error) {
	ctx := context.Background()
	db := dbtest.Open(t, dialect)
	if err := fixtures.Migrate(db.Gorm, f); err != nil {
		return false, err
	}
	if err := fixtures.Insert(db.Gorm, sub); err != nil {
		return false, err
	}
	w, err := fixtures.LoadWorld(db.Gorm, f)
	if err != nil {
		return false, err
	}
	actor, res := w.Get(d.actorType, d.actorID), w.Get(d.class, d.resID)
	if actor == nil || res == nil {
		return false, fmt.Errorf("actor or resource missing")
	}
	allowed, err := a.IsAllowed(ctx, actor, d.action, res)
	if err != nil {
		return false, err
	}
	filter, err := a.Filter(ctx, actor, d.action, d.class)
	if err != nil {
		return false, err
	}
	q, args, err := sqlgen.Select(filter, sch, mustDialect(dialect))
	if err != nil {
		return false, err
	}
	ids, err := queryIDs(ctx, db, q, args)
	if err != nil {
		return false, err
	}
	if err := db.Gorm.Use(gormfilter.New(a)); err != nil {
		return false, err
	}
	rows := reflect.New(reflect.SliceOf(reflect.TypeOf(modelOf(f, d.class))))
	if err := gormfilter.Authorized(db.Gorm, actor, d.action).Find(rows.Interface()).Error; err != nil {
		return false, err
	}
	inGorm := false
	for i := 0; i < rows.Elem().Len(); i++ {
		inGorm = inGorm || fixtures.ID(rows.Elem().Index(i).Interface()) == d.resID
	}
	return [3]bool{allowed, slices.Contains(ids, d.resID), inGorm} == d.want, nil
}

func mustDialect(name string) sqlgen.Dialect {
	d, err := sqlgen.ParseDialect(name)
	if err != nil {
		panic(err)
	}
	return d
}

func typeName(v any) string { return reflect.TypeOf(v).Elem().Name() }

// TestSubsetCascades: removing a row removes rows that must refer to it
// (non-null foreign keys) and sets nullable references to NULL.
func TestSubsetCascades(t *testing.T) {
	d := gitclub.Fixture().Generate(fixtures.NewRand(1, "gitclub"), 1)
	keep := map[item]bool{}
	for _, typ := range d.Order {
		for i := 0; i < reflect.ValueOf(d.Rows[typ]).Len(); i++ {
			keep[item{typ, i}] = true
		}
	}
	keep[item{"Organization", 0}] = false // organization 1
	sub, err := subset(d, keep)
	if err != nil {
		t.Fatal(err)
	}
	n := sub.Count()
	if n["Organization"] != d.Count()["Organization"]-1 {
		t.Fatalf("organizations: %d of %d", n["Organization"], d.Count()["Organization"])
	}
	for _, r := range sub.Rows["OrgRole"].([]*gitclub.OrgRole) {
		if r.OrgID == 1 {
			t.Errorf("org role %d on the removed organization kept", r.ID)
		}
	}
	for _, r := range sub.Rows["Team"].([]*gitclub.Team) {
		if r.OrgID == 1 {
			t.Errorf("team %d of the removed organization kept", r.ID)
		}
	}
	nulled := 0
	for i, r := range sub.Rows["Repository"].([]*gitclub.Repository) {
		if r.OrgID != nil && *r.OrgID == 1 {
			t.Errorf("repository %d still refers to the removed organization", r.ID)
		}
		if orig := d.Rows["Repository"].([]*gitclub.Repository)[i]; orig.OrgID != nil && *orig.OrgID == 1 {
			nulled++
		}
	}
	if nulled == 0 || n["Repository"] != d.Count()["Repository"] {
		t.Errorf("repositories of the removed organization should stay with org_id NULL (%d nulled, %d of %d kept)", nulled, n["Repository"], d.Count()["Repository"])
	}
	// The original data is untouched.
	for _, r := range d.Rows["Repository"].([]*gitclub.Repository) {
		if r.OrgID != nil && *r.OrgID == 1 {
			return
		}
	}
	t.Error("subset modified the original rows")
}
