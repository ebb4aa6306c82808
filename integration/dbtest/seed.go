package dbtest

import (
	"flag"
	"os"
	"strconv"
	"testing"
	"time"
)

// Flags shared by every integration test binary (they all import dbtest), so
// `go test ./integration/... -seed=N -long` works on the whole tree.
var (
	seedFlag = flag.Uint64("seed", 0, "seed for generated test data (0: a new one per run, printed)")
	longFlag = flag.Bool("long", false, "soak: larger data and more seeds")
)

// EnvSeed sets the seed when -seed is not given (CI fixes it, so a run is
// repeatable; local runs explore a new seed each time).
const EnvSeed = "URSA_SEED"

var runSeed = uint64(time.Now().UnixNano())

// Seed returns the data seed of this run (-seed, else $URSA_SEED, else one
// fixed per process) and logs it with the flag that replays it.
func Seed(t testing.TB) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		if v, err := strconv.ParseUint(os.Getenv(EnvSeed), 10, 64); err == nil && v != 0 {
			s = v
		}
	}
	if s == 0 {
		s = runSeed
	}
	t.Logf("data seed %d (replay with -seed=%d)", s, s)
	return s
}

// Long reports whether -long asks for a soak run.
func Long() bool { return *longFlag }
