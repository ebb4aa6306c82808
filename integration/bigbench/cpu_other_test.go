//go:build !linux

package bigbench

import "time"

// threadCPU: not available here; the CPU metrics are not reported.
func threadCPU() (time.Duration, bool) { return 0, false }
