// Package benchcpu measures benchmarks by CPU time as well as wall time.
//
// Entry points: Loop, and ThreadCPU for a benchmark that times sections of
// its own. On the shared, loaded development machine wall-clock ns/op mostly
// measures waiting for a CPU; the CPU time of the benchmarking thread does
// not, so every benchmark of the project reports both.
package benchcpu

import (
	"runtime"
	"testing"
)

// Loop runs fn in b.Loop on a locked OS thread, reports allocations, and —
// where the platform can tell a thread's CPU time (Linux) — reports that
// time per op as "cpu-ns/op". Work fn hands to other goroutines is not
// counted; pure-Go SQLite runs on the calling thread, so it is.
func Loop(b *testing.B, fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start, ok := ThreadCPU()
	n := 0
	for b.Loop() {
		fn()
		n++
	}
	if end, ok2 := ThreadCPU(); ok && ok2 && n > 0 {
		b.ReportMetric(float64(end-start)/float64(n), "cpu-ns/op")
	}
}
