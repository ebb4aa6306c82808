package agreement

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/gormfilter"
	"github.com/ursa-authz/ursa/integration/dbtest"
	"github.com/ursa-authz/ursa/integration/fixtures"
	"github.com/ursa-authz/ursa/integration/fixtures/all"
	"github.com/ursa-authz/ursa/sqlgen"
	"gorm.io/gorm"
)

// maxReports bounds the disagreements printed per fixture and dialect.
const maxReports = 3

// maxRelated bounds the related rows printed per reproduction.
const maxRelated = 40

// maxRows bounds the disagreeing rows printed per reproduction.
const maxRows = 3

// TestAgreement compares, for every fixture, dialect, actor, action and
// checked resource type, three sets of ids:
//
//   - gormfilter.Authorized(db, actor, action).Find(&rows)
//   - sqlgen.Select(Filter(actor, action, class), schema, dialect) run through database/sql
//   - every loaded row (relations linked) for which IsAllowed says yes
//
// Any difference fails with a reproduction (policy, actor, rows, filter, SQL,
// seed). It reports the number of decisions compared per fixture and dialect.
func TestAgreement(t *testing.T) {
	seed := dbtest.Seed(t)
	rounds, size := 1, 1
	if dbtest.Long() {
		rounds, size = 5, 3
	}
	totals := map[string]int{}
	for round := 0; round < rounds; round++ {
		s := seed + uint64(round)
		t.Logf("seed %d (rerun with: go test ./integration/agreement -run Agreement -seed=%d)", s, s)
		for _, dialect := range dbtest.Dialects {
			t.Run(fmt.Sprintf("%s/seed=%d", dialect, s), func(t *testing.T) {
				for _, f := range all.Fixtures() {
					t.Run(f.Name, func(t *testing.T) {
						n := agree(t, dbtest.Open(t, dialect), f, s, size)
						totals[dialect] += n
						t.Logf("%s on %s: %d decisions compared", f.Name, dialect, n)
					})
				}
			})
		}
	}
	for _, d := range dbtest.Dialects {
		t.Logf("agreement: %s: %d decisions compared in total", d, totals[d])
		if totals[d] > 0 && totals[d] < 10000 && !t.Failed() {
			t.Errorf("agreement: only %d decisions on %s; the fixtures should give at least 10000", totals[d], d)
		}
	}
	fmt.Printf("agreement summary: postgres=%d mysql=%d sqlite=%d decisions (seed %d)\n",
		totals[dbtest.Postgres], totals[dbtest.MySQL], totals[dbtest.SQLite], seed)
}

// newAuthorizer loads f's policy with f's classes registered.
func newAuthorizer(t testing.TB, f *fixtures.Fixture) *ursa.Authorizer {
	t.Helper()
	a, err := ursa.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Classes {
		if err := a.RegisterClass(c); err != nil {
			t.Fatalf("RegisterClass(%T): %v", c, err)
		}
	}
	if err := a.LoadString(f.PolicyFile, f.Policy); err != nil {
		t.Fatal(err)
	}
	return a
}

// agree runs one fixture on one database and returns the number of decisions compared.
func agree(t *testing.T, db *dbtest.DB, f *fixtures.Fixture, seed uint64, size int) int {
	ctx := context.Background()
	data, err := fixtures.Seed(db.Gorm, f, seed, size)
	if err != nil {
		t.Fatal(err)
	}
	w, err := fixtures.LoadWorld(db.Gorm, f)
	if err != nil {
		t.Fatal(err)
	}
	a := newAuthorizer(t, f)
	gdb := db.Gorm // seeded and loaded already: install the plugin now
	if err := gdb.Use(gormfilter.New(a, gormOptions(f)...)); err != nil {
		t.Fatal(err)
	}
	sch, err := Schema(db.Gorm, a, f)
	if err != nil {
		t.Fatal(err)
	}
	dialect, err := sqlgen.ParseDialect(db.Dialect)
	if err != nil {
		t.Fatal(err)
	}

	// The fixture's actors, plus a zero-valued one: no ID, no rows, no
	// relations (an actor the database does not know).
	actors := f.Actors(w)
	actors = append(actors[:len(actors):len(actors)], reflect.New(reflect.TypeOf(actors[0]).Elem()).Interface())

	decisions, reports := 0, 0
	var first *disagreement // the first disagreement found, to shrink
	for _, c := range f.Checks {
		model := modelOf(f, c.Class)
		for _, action := range c.Actions {
			allowedSomewhere, deniedSomewhere := false, false
			// Actors run concurrently: the authorizer, the plugin and the
			// pools are shared, as in a server (and checked under -race).
			var mu sync.Mutex
			check := func(actor any) {
				// fail reports one failed comparison; the first maxReports get a reproduction.
				fail := func(msg string, extra func() string) {
					t.Errorf("%s/%s: %s", db.Dialect, f.Name, msg)
					mu.Lock()
					show := reports < maxReports
					reports++
					mu.Unlock()
					if show {
						t.Log(extra())
					}
				}

				// 1. Decisions on loaded rows.
				var want []int64
				decided := true
				for _, res := range w.Rows(c.Class) {
					ok, err := a.IsAllowed(ctx, actor, action, res)
					if err != nil {
						fail(fmt.Sprintf("IsAllowed(%s, %q, %s %d): %v", describe(actor), action, c.Class, fixtures.ID(res), err), func() string {
							return repro(f, db, seed, data, actor, action, c.Class, nil, "", nil, res)
						})
						decided = false
						break
					}
					mu.Lock()
					if ok {
						allowedSomewhere = true
					} else {
						deniedSomewhere = true
					}
					decisions++
					mu.Unlock()
					if ok {
						want = append(want, fixtures.ID(res))
					}
				}
				if !decided {
					return
				}

				// 2. Plain sqlgen through database/sql.
				filter, err := a.Filter(ctx, actor, action, c.Class)
				if err != nil {
					fail(fmt.Sprintf("Filter(%s, %q, %s): %v", describe(actor), action, c.Class, err), func() string {
						return repro(f, db, seed, data, actor, action, c.Class, nil, "", nil)
					})
					return
				}
				q, args, err := sqlgen.Select(filter, sch, dialect)
				if err != nil {
					fail(fmt.Sprintf("sqlgen.Select for %s %q on %s: %v", describe(actor), action, c.Class, err), func() string {
						return repro(f, db, seed, data, actor, action, c.Class, filter, "", nil)
					})
					return
				}
				gotSQL, sqlErr := queryIDs(ctx, db, q, args)
				if sqlErr != nil {
					fail(fmt.Sprintf("running sqlgen SQL for %s %q on %s: %v", describe(actor), action, c.Class, sqlErr), func() string {
						return repro(f, db, seed, data, actor, action, c.Class, filter, q, args)
					})
				}

				// 3. gormfilter.
				rows := reflect.New(reflect.SliceOf(reflect.TypeOf(model)))
				if err := gormfilter.Authorized(gdb.WithContext(ctx), actor, action).Find(rows.Interface()).Error; err != nil {
					fail(fmt.Sprintf("gormfilter for %s %q on %s: %v", describe(actor), action, c.Class, err), func() string {
						return gormSQL(gdb, actor, action, model) + "\n" + repro(f, db, seed, data, actor, action, c.Class, filter, q, args)
					})
					return
				}
				if sqlErr != nil {
					return
				}
				var gotGorm []int64
				for i := 0; i < rows.Elem().Len(); i++ {
					gotGorm = append(gotGorm, fixtures.ID(rows.Elem().Index(i).Interface()))
				}

				sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
				slices.Sort(gotSQL)
				slices.Sort(gotGorm)
				if !slices.Equal(want, gotSQL) || !slices.Equal(want, gotGorm) {
					diff := append(append(minus(want, gotSQL), minus(gotSQL, want)...), append(minus(want, gotGorm), minus(gotGorm, want)...)...)
					mu.Lock()
					if first == nil {
						id := diff[0]
						first = &disagreement{actorType: typeName(actor), actorID: fixtures.ID(actor), action: action, class: c.Class, resID: id,
							want: [3]bool{slices.Contains(want, id), slices.Contains(gotSQL, id), slices.Contains(gotGorm, id)}}
					}
					mu.Unlock()
					fail(fmt.Sprintf("%s %q on %s disagree:\n  IsAllowed:  %v\n  sqlgen:     %v  (missing %v, extra %v)\n  gormfilter: %v  (missing %v, extra %v)",
						describe(actor), action, c.Class,
						want, gotSQL, minus(want, gotSQL), minus(gotSQL, want), gotGorm, minus(want, gotGorm), minus(gotGorm, want)),
						func() string {
							return gormSQL(gdb, actor, action, model) + "\n" + repro(f, db, seed, data, actor, action, c.Class, filter, q, args, rowsOf(w, c.Class, diff)...)
						})
				}
			}
			forEach(actors, workers, check)
			if !allowedSomewhere || !deniedSomewhere {
				t.Errorf("%s: %s %q is allowed=%v denied=%v over all actors and rows: the data does not exercise it (seed %d)",
					f.Name, c.Class, action, allowedSomewhere, deniedSomewhere, seed)
			}
		}
	}
	if reports > maxReports {
		t.Logf("... %d more failures without reproduction", reports-maxReports)
	}
	if first != nil {
		t.Log(shrink(t, db.Dialect, f, a, sch, data, first))
	}
	return decisions
}

// workers is how many actors are checked at once.
const workers = 4

// forEach calls fn on every item from n goroutines and waits.
func forEach(items []any, n int, fn func(any)) {
	ch := make(chan any)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				fn(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

// gormSQL renders the statement gormfilter builds, without running it.
func gormSQL(db *gorm.DB, actor any, action string, model any) string {
	rows := reflect.New(reflect.SliceOf(reflect.TypeOf(model)))
	tx := gormfilter.Authorized(db.Session(&gorm.Session{DryRun: true}), actor, action).Find(rows.Interface())
	if tx.Error != nil {
		return "gormfilter sql: (error: " + tx.Error.Error() + ")"
	}
	return fmt.Sprintf("gormfilter sql:  %s\ngormfilter args: %s", tx.Statement.SQL.String(), jsonOf(tx.Statement.Vars))
}

// queryIDs runs a sqlgen SELECT and returns the id column of its rows.
func queryIDs(ctx context.Context, db *dbtest.DB, q string, args []any) ([]int64, error) {
	rows, err := db.SQL.QueryContext(ctx, "SELECT sub.id FROM ("+q+") sub", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func modelOf(f *fixtures.Fixture, class string) any {
	for _, m := range f.Models {
		if reflect.TypeOf(m).Elem().Name() == class {
			return m
		}
	}
	panic("no model " + class)
}

func minus(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func rowsOf(w *fixtures.World, class string, ids []int64) []any {
	var out []any
	seen := map[int64]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, w.Get(class, id))
		}
	}
	return out
}

// describe prints a row's type, id and column values (relations as ids).
func describe(v any) string {
	rv := reflect.ValueOf(v).Elem()
	var parts []string
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		fv := rv.Field(i)
		switch {
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Pointer:
			var ids []string
			for j := 0; j < fv.Len(); j++ {
				ids = append(ids, oneLine(fv.Index(j).Interface()))
			}
			parts = append(parts, fmt.Sprintf("%s:[%s]", f.Name, strings.Join(ids, " ")))
		case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Struct && fv.Type().Elem().Name() != "Time":
			if fv.IsNil() {
				parts = append(parts, f.Name+":nil")
			} else {
				parts = append(parts, fmt.Sprintf("%s:#%d", f.Name, fixtures.ID(fv.Interface())))
			}
		case fv.Kind() == reflect.Pointer:
			if fv.IsNil() {
				parts = append(parts, f.Name+":NULL")
			} else {
				parts = append(parts, fmt.Sprintf("%s:%s", f.Name, jsonOf(fv.Elem().Interface())))
			}
		default:
			parts = append(parts, fmt.Sprintf("%s:%s", f.Name, jsonOf(fv.Interface())))
		}
	}
	return fmt.Sprintf("%s{%s}", rv.Type().Name(), strings.Join(parts, " "))
}

// oneLine prints a related row's columns only.
func oneLine(v any) string {
	rv := reflect.ValueOf(v).Elem()
	var parts []string
	for i := 0; i < rv.NumField(); i++ {
		fv := rv.Field(i)
		if fv.Kind() == reflect.Slice || (fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Struct && fv.Type().Elem().Name() != "Time") {
			continue
		}
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				parts = append(parts, rv.Type().Field(i).Name+":NULL")
				continue
			}
			fv = fv.Elem()
		}
		parts = append(parts, rv.Type().Field(i).Name+":"+jsonOf(fv.Interface()))
	}
	return rv.Type().Name() + "{" + strings.Join(parts, " ") + "}"
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// repro renders a reproduction of a disagreement.
func repro(f *fixtures.Fixture, db *dbtest.DB, seed uint64, data *fixtures.Data, actor any, action, class string, filter any, q string, args []any, rows ...any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---- reproduction ----\n")
	fmt.Fprintf(&b, "rerun: go test ./integration/agreement -run 'Agreement/%s/.*/%s' -seed=%d -v\n", db.Dialect, f.Name, seed)
	fmt.Fprintf(&b, "fixture %s, dialect %s, data: %s\n", f.Name, db.Dialect, data.Describe())
	if len(data.Notes) > 0 {
		fmt.Fprintf(&b, "data notes: %s\n", strings.Join(data.Notes, "; "))
	}
	fmt.Fprintf(&b, "actor:  %s\naction: %q\nclass:  %s\n", describe(actor), action, class)
	for i, r := range rows {
		if i == maxRows {
			fmt.Fprintf(&b, "(%d more rows)\n", len(rows)-maxRows)
			break
		}
		if r != nil {
			fmt.Fprintf(&b, "row:    %s\n", describe(r))
		}
	}
	// The data the decision can see: rows reachable through relations from
	// the actor and the first disagreeing row.
	// Of the disagreeing rows, show the one with the least related data.
	var focus any
	best := -1
	for _, r := range rows {
		if r == nil {
			continue
		}
		if n, _ := reachable([]any{r}, maxRelated); best < 0 || len(n) < best {
			focus, best = r, len(n)
		}
	}
	roots := []any{actor}
	if focus != nil {
		fmt.Fprintf(&b, "focus:  %s\n", describe(focus))
		roots = []any{focus, actor}
	}
	related, more := reachable(roots, maxRelated)
	fmt.Fprintf(&b, "related data (%d rows reachable from the focus row and the actor", len(related))
	if more {
		fmt.Fprintf(&b, ", cut at %d", maxRelated)
	}
	fmt.Fprintf(&b, "):\n")
	for _, r := range related {
		fmt.Fprintf(&b, "  %s\n", oneLine(r))
	}
	if filter != nil {
		fmt.Fprintf(&b, "filter: %v\n", filter)
	}
	if q != "" {
		fmt.Fprintf(&b, "sql:    %s\nargs:   %s\n", q, jsonOf(args))
	}
	fmt.Fprintf(&b, "policy %s:\n%s\n----------------------", f.PolicyFile, f.Policy)
	return b.String()
}

// reachable walks to-one and to-many relation fields breadth first from
// roots and returns the distinct rows reached (roots first), at most limit;
// more reports whether it stopped early. Cycles are fine: rows are visited once.
func reachable(roots []any, limit int) (out []any, more bool) {
	seen := map[any]bool{}
	queue := append([]any(nil), roots...)
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if v == nil || seen[v] {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		seen[v] = true
		out = append(out, v)
		rv := reflect.ValueOf(v).Elem()
		for i := 0; i < rv.NumField(); i++ {
			fv := rv.Field(i)
			switch {
			case isRowPtr(fv.Type()):
				if !fv.IsNil() {
					queue = append(queue, fv.Interface())
				}
			case fv.Kind() == reflect.Slice && isRowPtr(fv.Type().Elem()):
				for j := 0; j < fv.Len(); j++ {
					queue = append(queue, fv.Index(j).Interface())
				}
			}
		}
	}
	return out, false
}

func isRowPtr(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && t.Elem().Name() != "Time"
}
