package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ursa-authz/ursa"
)

// runExplain prints why the --query call succeeded (the rules that proved
// it) or failed (the closest attempts). Exit 0 either way; 1 on errors.
func runExplain(cl *cmdline, _ io.Reader, stdout, stderr io.Writer) int {
	q := cl.flags["query"]
	if q == "" || len(cl.files) == 0 {
		fmt.Fprintf(stderr, "ursa explain: need policy files and --query 'allow(...)'\n\n%s", usage)
		return exitUsage
	}
	l, code := setup(cl, loadOpts{inline: true, query: quietQuery()}, stderr)
	if l == nil {
		return code
	}
	if err := explainQuery(stdout, l, q); err != nil {
		fmt.Fprintf(stderr, "ursa explain: %s\n", strings.TrimPrefix(err.Error(), "ursa: "))
		return exitFail
	}
	return exitOK
}

func explainQuery(w io.Writer, l *loaded, src string) error {
	ex, err := ursa.ExplainPolicyQuery(context.Background(), l.policy, quietQuery(), src)
	if err != nil {
		return err
	}
	fmt.Fprint(w, ex.Format(l.formatValue))
	return nil
}
