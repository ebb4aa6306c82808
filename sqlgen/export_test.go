package sqlgen

import "github.com/ursa-authz/ursa/partial"

// Exported for the external tests (package sqlgen_test), which use
// integration/dbtest and partial.Match.

// GitClubSchema is the golden tests' schema.
func GitClubSchema() *Schema { return gitclub() }

// GoldenCase is a named golden filter.
type GoldenCase struct {
	Name string
	F    *partial.Filter
}

// GoldenCases returns the golden filters.
func GoldenCases() []GoldenCase {
	var out []GoldenCase
	for _, c := range goldenCases() {
		out = append(out, GoldenCase{c.name, c.f})
	}
	return out
}

// Now is the golden tests' clock.
var Now = now

// Enforced marks every relation of s Enforced.
var Enforced = enforced

// SetGeneralOnly turns the shortcuts for common shapes off (true) or on,
// and returns the previous setting.
func SetGeneralOnly(on bool) bool { return generalOnly.Swap(on) }

// BenchStageSchema is BenchmarkSQLStage's schema.
var BenchStageSchema = benchStageSchema

// UsesDirect reports whether Select compiles f with the direct path.
func UsesDirect(f *partial.Filter, s *Schema, d Dialect, opts ...Option) bool {
	c := newCompiler(s, d, opts)
	defer c.release()
	_, _, ok := c.direct(f, true)
	return ok
}
