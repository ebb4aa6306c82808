package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// policy1000 writes a 1,000-rule policy (resource blocks with roles and
// shorthand rules, allow rules, helper rules) and returns its path.
func policy1000(tb testing.TB) string {
	var b strings.Builder
	b.WriteString("actor User {}\nallow(actor, action, resource) if has_permission(actor, action, resource);\n")
	b.WriteString("has_role(user: User, name: String, resource: Resource) if role_of(user, name, resource);\n")
	rules := 3
	for i := 0; rules < 1000; i++ {
		fmt.Fprintf(&b, "resource R%d {\n  roles = [\"reader\", \"writer\"];\n  permissions = [\"read\", \"write\"];\n  \"read\" if \"reader\";\n  \"write\" if \"writer\";\n  \"reader\" if \"writer\";\n}\n", i)
		fmt.Fprintf(&b, "allow(user: User, \"list\", r: R%d) if r.owner = user.name and user.level > %d;\n", i, i%10)
		fmt.Fprintf(&b, "role_of(user: User, \"writer\", r: R%d) if r.writer = user.name;\n", i)
		rules += 5
	}
	b.WriteString("role_of(_user: User, \"reader\", _r: Resource) if false;\n")
	path := filepath.Join(tb.TempDir(), "big.polar")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkCheck1000Rules: `ursa check` on a 1,000-rule policy (reading,
// parsing, block expansion, checks, compilation).
func BenchmarkCheck1000Rules(b *testing.B) {
	path := policy1000(b)
	if code := run([]string{"check", path}, nil, io.Discard, io.Discard); code != 0 {
		var out strings.Builder
		run([]string{"check", path}, nil, &out, &out)
		b.Fatalf("check failed: %s", out.String())
	}
	b.ResetTimer()
	for b.Loop() {
		run([]string{"check", path}, nil, io.Discard, io.Discard)
	}
}
