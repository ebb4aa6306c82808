package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/ursa-authz/ursa/engine"
)

const replHelp = `Enter a Polar query, e.g. allow({name: "alice"}, "read", x). Each solution
prints its bindings (or true); no solution prints false. A query continues on
the next line while a bracket or string is open or the line ends with and, or,
a comma, an operator or \.

commands:
  help               this text
  load FILE...       load other policy files (replaces the policy)
  debug QUERY        run QUERY in the debugger, stopping at its first goal
  explain QUERY      explain a call, e.g. explain allow({name: "alice"}, "read", {owner: "alice"})
  quit               leave (also exit, or end of input)
debug() in a policy stops at a debug> prompt; type help there.
`

// repl is one REPL session.
type repl struct {
	cl     *cmdline
	in     lineReader
	out    io.Writer
	errw   io.Writer
	l      *loaded
	dbg    *debugger
	failed bool // a query or command failed (exit 1 when piped)
}

func runREPL(cl *cmdline, stdin io.Reader, stdout, stderr io.Writer) int {
	in := newLineReader(stdin, stdout, stderr)
	defer in.Close()
	r := &repl{cl: cl, in: in, out: stdout, errw: stderr}
	if len(cl.files) > 0 {
		l, code := setup(cl, loadOpts{inline: true, query: &engine.QueryOptions{Print: stdout}}, stderr)
		if l == nil {
			return code
		}
		r.l = l
	} else {
		// No policy: the "no allow rule" warning is noise here.
		l, code := setup(cl, loadOpts{noWarnings: true}, stderr)
		if l == nil {
			return code
		}
		r.l = l
	}
	r.dbg = &debugger{in: in, out: stdout, l: r.l}
	if in.Interactive() {
		fmt.Fprintf(stdout, "ursa REPL: %s loaded; type help for help.\n", plural(len(cl.files), "file"))
	}
	var buf strings.Builder
	for {
		prompt := "query> "
		if buf.Len() > 0 {
			prompt = "   ...> "
		}
		line, err := in.ReadLine(prompt)
		if errors.Is(err, errInterrupt) {
			buf.Reset()
			continue
		}
		if err != nil {
			if buf.Len() > 0 { // run what is left at the end of input
				r.exec(buf.String())
			}
			break
		}
		if buf.Len() == 0 && strings.TrimSpace(line) == "" {
			continue
		}
		if buf.Len() > 0 {
			buf.WriteString("\n")
		}
		buf.WriteString(line)
		src := buf.String()
		if strings.TrimSpace(line) != "" && incomplete(src) {
			continue
		}
		buf.Reset()
		if r.exec(src) {
			break
		}
	}
	if r.failed && !in.Interactive() {
		return exitFail
	}
	return exitOK
}

// exec runs one command or query; it returns true to quit.
func (r *repl) exec(src string) bool {
	src = strings.TrimSpace(src)
	src = strings.TrimSuffix(strings.TrimSuffix(src, "\\"), ";")
	word, rest := src, ""
	if i := strings.IndexAny(src, " \t\n"); i >= 0 {
		word, rest = src[:i], strings.TrimSpace(src[i:])
	}
	switch word {
	case "quit", "exit":
		if rest == "" {
			return true
		}
	case "help":
		if rest == "" {
			fmt.Fprint(r.out, replHelp)
			return false
		}
	case "load":
		if rest != "" {
			r.load(strings.Fields(rest))
			return false
		}
	case "debug":
		if rest != "" {
			r.dbg.start(rest)
			r.run(rest, &engine.QueryOptions{Print: r.out, Debug: r.dbg.hook, DebugStep: true})
			return false
		}
	case "explain":
		if rest != "" {
			if err := explainQuery(r.out, r.l, rest); err != nil {
				r.fail(err)
			}
			return false
		}
	}
	r.query(src)
	return false
}

func (r *repl) query(src string) {
	r.dbg.start(src)
	r.run(src, &engine.QueryOptions{Print: r.out, Debug: r.dbg.hook})
}

// run runs a query and prints its solutions, or false.
func (r *repl) run(src string, opts *engine.QueryOptions) {
	ctx := context.Background()
	if r.in.Interactive() {
		// Ctrl-C stops a long query (the engine checks its context) instead
		// of the REPL.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
	}
	n := 0
	for b, err := range r.l.policy.Query(ctx, opts, src) {
		if err != nil {
			r.fail(err)
			return
		}
		n++
		fmt.Fprintln(r.out, r.l.formatBindings(b))
	}
	if n == 0 {
		fmt.Fprintln(r.out, "false")
	}
}

func (r *repl) fail(err error) {
	r.failed = true
	fmt.Fprintf(r.out, "error: %v\n", err)
}

func (r *repl) load(files []string) {
	cl := &cmdline{cmd: "repl", files: files, flags: r.cl.flags}
	l, _ := setup(cl, loadOpts{inline: true, query: &engine.QueryOptions{Print: r.out}}, r.out)
	if l == nil {
		r.failed = true
		fmt.Fprintln(r.out, "error: the policy was not loaded; the previous one stays")
		return
	}
	r.l, r.dbg.l = l, l
	fmt.Fprintf(r.out, "loaded %s\n", plural(len(files), "file"))
}

// continuation words and operators: a query ending with one goes on.
var continues = []string{"and", "or", "not", "if", "in", "matches", "forall", "mod", "rem",
	",", "(", "[", "{", "=", "==", "!=", "<", ">", "<=", ">=", ":=", "+", "-", "*", "/", "\\", ":", "."}

// incomplete reports whether a query source needs more lines: an open
// bracket or string, or a trailing operator, comma, keyword or backslash.
func incomplete(src string) bool {
	depth, inStr, esc := 0, false, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"':
			inStr = true
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	if inStr || depth > 0 {
		return true
	}
	s := strings.TrimSpace(stripComment(src))
	if strings.HasSuffix(s, ";") {
		return false
	}
	for _, w := range continues {
		if !strings.HasSuffix(s, w) {
			continue
		}
		if isWord(w) { // a whole word, not the end of a name like "brand"
			before := strings.TrimSuffix(s, w)
			if before != "" && isIdentByte(before[len(before)-1]) {
				continue
			}
		}
		return true
	}
	return false
}

// stripComment drops a # comment from the last line.
func stripComment(src string) string {
	lines := strings.Split(src, "\n")
	last := lines[len(lines)-1]
	inStr := false
	for i := 0; i < len(last); i++ {
		switch last[i] {
		case '"':
			if i == 0 || last[i-1] != '\\' {
				inStr = !inStr
			}
		case '#':
			if !inStr {
				lines[len(lines)-1] = last[:i]
				return strings.Join(lines, "\n")
			}
		}
	}
	return src
}

func isWord(w string) bool { return isIdentByte(w[0]) }

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
