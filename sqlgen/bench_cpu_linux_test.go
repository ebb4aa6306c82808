//go:build linux

package sqlgen

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// loop runs fn b.N times on a locked OS thread and also reports the
// thread's CPU time per op ("cpu-ns/op"), which unlike ns/op does not count
// waiting for a CPU on a loaded machine (same method as the root package's
// decision benchmarks).
func loop(b *testing.B, fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start, n := cpu(), 0
	for b.Loop() {
		fn()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(cpu()-start)/float64(n), "cpu-ns/op")
	}
}
