package benchcpu

import (
	"runtime"
	"strings"
	"testing"
)

// The metric is reported and counts the work fn does on the thread.
func TestLoopReportsCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread CPU time is read on Linux only")
	}
	r := testing.Benchmark(func(b *testing.B) {
		Loop(b, func() {
			s := 0
			for i := range 20000 {
				s += i
			}
			_ = strings.Repeat("x", s%7)
		})
	})
	cpu, ok := r.Extra["cpu-ns/op"]
	if !ok {
		t.Fatalf("no cpu-ns/op metric in %v", r.Extra)
	}
	if cpu <= 0 {
		t.Fatalf("cpu-ns/op = %v, want > 0", cpu)
	}
}
