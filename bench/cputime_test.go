package bench

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time (user + system, all threads: GC, cgo) this
// process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs op b.N times with b.Loop and reports, besides the wall-clock
// sec/op, the process CPU time per operation as cpu-ns/op: on a machine
// shared with other work the wall clock counts the time this process waited
// for a core, the CPU time does not.
func loop(b *testing.B, op func(i int) error) {
	b.ReportAllocs()
	start := processCPU()
	i := 0
	for ; b.Loop(); i++ {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
	}
	if i > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(i), "cpu-ns/op")
	}
}
