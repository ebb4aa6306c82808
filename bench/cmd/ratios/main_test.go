package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRatiosTable(t *testing.T) {
	in := `goos: linux
BenchmarkDecision/policy=docs/engine=ursa-2   100  1000 ns/op  800 cpu-ns/op
BenchmarkDecision/policy=docs/engine=ursa-2   100  3000 ns/op  900 cpu-ns/op
BenchmarkDecision/policy=docs/engine=ursa-2   100  2000 ns/op  1000 cpu-ns/op
BenchmarkDecision/policy=docs/engine=cedar-2  100  4000 ns/op  1800 cpu-ns/op
BenchmarkFilter/policy=docs/engine=ursa-2     100  10000 ns/op  5000 cpu-ns/op
BenchmarkFilter/policy=docs/engine=ursa-uncached-2  100  20000 ns/op  15000 cpu-ns/op
BenchmarkFilter/policy=docs/engine=opa-2      100  100000 ns/op  100000 cpu-ns/op
`
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	out := capture(t, func() error { return run(path) })
	for _, want := range []string{
		"| Decision | docs | 2 µs (3) | — | 4 µs (1) | — |", // wall: median of 1, 2, 3 µs
		"| Decision | docs | ursa | 0.5× | — |",
		"| Decision | docs | 900 ns (3) | — | 1.8 µs (1) | — |", // cpu
		"| Filter | docs | ursa-uncached | — | 0.15× |",
		"- Decision docs, ursa at or below cedar-go: met (ursa/cedar = 0.5)",
		"- Filter docs, ursa at least 10× faster than OPA's compile API: met (opa/ursa = 10)",
		"- Filter docs, ursa at least 10× faster than OPA's compile API: met (opa/ursa = 20)",
		"- Filter docs, ursa-uncached at least 10× faster than OPA's compile API: NOT met (opa/ursa-uncached = 5)",
		"- Filter docs, ursa-uncached at least 10× faster than OPA's compile API: NOT met (opa/ursa-uncached = 6.67)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestRatiosNoResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(path, []byte("goos: linux\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(path); err == nil {
		t.Fatal("want an error for a file without results")
	}
}

func capture(t *testing.T, f func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, r)
		done <- b.String()
	}()
	ferr := f()
	os.Stdout = old
	w.Close()
	out := <-done
	if ferr != nil {
		t.Fatal(ferr)
	}
	return out
}
