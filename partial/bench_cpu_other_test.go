//go:build !linux

package partial_test

import "testing"

// loopCPU runs fn in b.Loop (no CPU-time metric on this platform).
func loopCPU(b *testing.B, fn func()) {
	for b.Loop() {
		fn()
	}
}
