package partial

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs the package's tests with poisonReused on: evaluators
// overwrite the slab memory and key arena they reuse with values no
// evaluation makes, so a filter that still pointed into them after being
// returned would print and match garbage, and goldens, property tests and
// TestFiltersOutliveReuse would fail. (Benchmarks run without it, as
// applications do.)
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		poisonReused = true
	}
	os.Exit(m.Run())
}
