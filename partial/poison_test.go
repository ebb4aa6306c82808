package partial

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs the package's tests with poisonReused and poisonSimpOut on:
// evaluators overwrite the slab memory, key arena and simplifier results
// they reuse with values no evaluation makes, so a filter that still pointed
// into them after being returned would print and match garbage, and
// goldens, property tests and TestFiltersOutliveReuse would fail (46 tests
// fail with either poison alone when the copy is skipped). They also run
// with verifyDispatch: every hit of the rule dispatch memo is checked against
// the rules computed afresh. Benchmarks run without either, as applications
// do.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		poisonReused = true
		poisonSimpOut = true
		verifyDispatch = true
	}
	os.Exit(m.Run())
}
