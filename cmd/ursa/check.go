package main

import (
	"fmt"
	"io"
)

// runCheck parses and validates the policy (inline queries included) and
// prints every error and warning with its location and caret snippet.
func runCheck(cl *cmdline, _ io.Reader, stdout, stderr io.Writer) int {
	if len(cl.files) == 0 {
		fmt.Fprintf(stderr, "ursa check: no policy files\n\n%s", usage)
		return exitUsage
	}
	var schema *schemaFile
	if path := cl.flags["schema"]; path != "" {
		s, err := readSchema(path)
		if err != nil {
			fmt.Fprintf(stderr, "ursa check: %v\n", err)
			return exitFail
		}
		schema = s
	}
	l, err := loadPolicy(cl.files, schema, loadOpts{inline: true, query: quietQuery()})
	if err != nil {
		fmt.Fprintf(stderr, "ursa check: %v\n", err)
		return exitFail
	}
	nerr := printDiags(stdout, l.diags)
	nwarn := len(l.diags) - nerr
	if nerr > 0 || nwarn > 0 {
		fmt.Fprintf(stdout, "%s, %s\n", plural(nerr, "error"), plural(nwarn, "warning"))
	}
	if nerr > 0 || l.policy == nil {
		return exitFail
	}
	rules := 0
	for _, p := range l.prog.Preds {
		rules += len(p.Rules)
	}
	fmt.Fprintf(stdout, "ok: %s, %s\n", plural(len(cl.files), "file"), plural(rules, "rule"))
	return exitOK
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
