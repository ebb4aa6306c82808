package sqlgen_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

// TestShortcutsMatchGeneralPath: the shortcuts for common shapes (a plain
// column, ...) write exactly what the general path writes: the same SQL,
// args and error for Where and Select, on random filters and the golden
// ones, every dialect, both schemas and the options. Not parallel: it
// switches the shortcuts off for the whole package.
func TestShortcutsMatchGeneralPath(t *testing.T) {
	type out struct {
		sql, where  string
		args, wargs []any
		err, werr   string
	}
	run := func(f *partial.Filter, s *sqlgen.Schema, d sqlgen.Dialect, opts []sqlgen.Option) out {
		var o out
		var err error
		o.sql, o.args, err = sqlgen.Select(f, s, d, opts...)
		if err != nil {
			o.err = err.Error()
		}
		o.where, o.wargs, err = sqlgen.Where(f, s, d, opts...)
		if err != nil {
			o.werr = err.Error()
		}
		return o
	}
	var filters []*partial.Filter
	for _, gc := range sqlgen.GoldenCases() {
		filters = append(filters, gc.F)
	}
	g := &gen{r: rand.New(rand.NewPCG(7, 11))}
	for range 300 {
		filters = append(filters, g.filter("Repo", repoPaths("resource"), nil, 3))
	}
	schemas := []*sqlgen.Schema{sqlgen.GitClubSchema(), sqlgen.Enforced(sqlgen.GitClubSchema())}
	optss := [][]sqlgen.Option{nil, {sqlgen.WithNilErrors()}, {sqlgen.WithAlias("r")}}
	defer sqlgen.SetGeneralOnly(sqlgen.SetGeneralOnly(false))
	n := 0
	for _, f := range filters {
		for _, s := range schemas {
			for _, d := range sqlgen.Dialects {
				for _, opts := range optss {
					sqlgen.SetGeneralOnly(false)
					fast := run(f, s, d, opts)
					sqlgen.SetGeneralOnly(true)
					general := run(f, s, d, opts)
					if !reflect.DeepEqual(fast, general) {
						t.Fatalf("%s %v, filter\n%s\nshortcuts: %+v\ngeneral:   %+v", d, opts, f, fast, general)
					}
					if fast.err == "" {
						n++
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no filter compiled")
	}
}
