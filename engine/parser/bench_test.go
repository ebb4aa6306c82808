package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/engine/ast"
)

// policy1000 returns a policy of n rules in the style of real policies:
// specializers, lookups, `in`, `matches`, comparisons and a resource block.
func policy1000(n int) []byte {
	var b strings.Builder
	b.WriteString("actor User {}\nresource Repo {\n  roles = [\"reader\", \"writer\"];\n  permissions = [\"read\", \"write\"];\n  relations = {parent: Org};\n  \"read\" if \"reader\";\n  \"reader\" if \"member\" on \"parent\";\n}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "# rule %d\nrule_%d(user: User, \"read\", repo: Repo{kind: \"k%d\"}) if\n  role in user.roles and\n  role matches {name: \"reader\", repo_id: repo.id} and\n  (repo.size > %d or repo.owner = user) and not repo.archived;\n", i, i%50, i, i)
	}
	return []byte(b.String())
}

func BenchmarkParse1000Rules(b *testing.B) {
	src := policy1000(1000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		_, errs := ParseFile(ast.NewFileSet(), "bench.polar", src)
		if errs.Err() != nil {
			b.Fatal(errs)
		}
	}
}

func BenchmarkPrint1000Rules(b *testing.B) {
	f, errs := ParseFile(ast.NewFileSet(), "bench.polar", policy1000(1000))
	if errs.Err() != nil {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = ast.String(f)
	}
}
