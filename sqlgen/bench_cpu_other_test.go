//go:build !linux

package sqlgen

import "testing"

func loop(b *testing.B, fn func()) {
	for b.Loop() {
		fn()
	}
}
