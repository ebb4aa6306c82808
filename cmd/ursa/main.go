package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // errors in the policy, failing tests, query errors
	exitUsage = 2
)

const usage = `usage: ursa <command> [files...] [flags]

commands:
  repl    [files...] [--schema FILE]            answer queries (query> prompt, or piped stdin)
  check   [files...] [--schema FILE]            parse and validate the policy
  test    [files...] [--schema FILE]            run test_* rules and inline ?= queries
  explain [files...] --query 'allow(...)'       explain a decision [--schema FILE]
  sql     [files...] --schema FILE --actor JSON --action ACTION --type CLASS
          [--dialect postgres|mysql|sqlite] [--dsn URL] [--actor-type CLASS]
                                                print the filter and its SQL
  help                                          this text
`

// run is the whole command, testable: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var spec map[string]bool // flags taking a value
	var f func(*cmdline, io.Reader, io.Writer, io.Writer) int
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "repl":
		spec, f = map[string]bool{"schema": true}, runREPL
	case "check":
		spec, f = map[string]bool{"schema": true}, runCheck
	case "test":
		spec, f = map[string]bool{"schema": true}, runTest
	case "explain":
		spec, f = map[string]bool{"schema": true, "query": true}, runExplain
	case "sql":
		spec, f = map[string]bool{"schema": true, "actor": true, "actor-type": true, "action": true, "type": true, "dialect": true, "dsn": true}, runSQL
	default:
		fmt.Fprintf(stderr, "ursa: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	cl, err := parseArgs(rest, spec)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "ursa %s: %v\n\n%s", cmd, err, usage)
		return exitUsage
	}
	cl.cmd = cmd
	return f(cl, stdin, stdout, stderr)
}

// cmdline is a parsed command line: files and --flag values, in any order.
type cmdline struct {
	cmd   string
	files []string
	flags map[string]string
}

var errHelp = errors.New("help requested")

// parseArgs accepts --name value, --name=value and -name forms anywhere;
// "--" ends the flags.
func parseArgs(args []string, spec map[string]bool) (*cmdline, error) {
	cl := &cmdline{flags: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			cl.files = append(cl.files, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			cl.files = append(cl.files, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		val, hasVal := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, val, hasVal = k, v, true
		}
		if name == "h" || name == "help" {
			return nil, errHelp
		}
		if !spec[name] {
			return nil, fmt.Errorf("unknown flag %s", a)
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if _, dup := cl.flags[name]; dup {
			return nil, fmt.Errorf("flag --%s given twice", name)
		}
		cl.flags[name] = val
	}
	return cl, nil
}
