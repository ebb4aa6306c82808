//go:build !linux

package ursa_test

import "testing"

func reportCPU(b *testing.B, fn func()) {
	for b.Loop() {
		fn()
	}
}
