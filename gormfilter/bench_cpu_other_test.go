//go:build !linux

package gormfilter_test

import "testing"

func reportCPU(b *testing.B, fn func()) {
	b.ReportAllocs()
	for b.Loop() {
		fn()
	}
}
