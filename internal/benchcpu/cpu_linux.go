//go:build linux

package benchcpu

import (
	"syscall"
	"time"
)

// ThreadCPU returns the CPU time (user + system) consumed by the calling OS
// thread.
func ThreadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
