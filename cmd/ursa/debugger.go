package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/ast"
)

const debugHelp = `debugger commands:
  step, s          run to the next goal (into rule bodies)
  over, n          run to the next goal at this depth or shallower
  out, o           run until this rule's frame is left
  continue, c      run to the next debug() (or the end)
  stack, bt        the call stack, innermost first
  goals            the goal about to run and what is left after it, per frame
  bindings, b      the variables of the current frame
  var NAME         the value of one variable
  line, l          the policy source around the current goal
  abort, q         stop the query
  help, h          this text
An empty line repeats the last command.
`

// debugger implements engine.DebugHook with a debug> prompt on the REPL's
// input.
type debugger struct {
	in       lineReader
	out      io.Writer
	l        *loaded
	querySrc string // source of the running query (for `line` in <query>)
	last     string // last command, repeated by an empty line
	eof      bool   // input ended: run to the end without stopping
}

// start prepares for a new query.
func (d *debugger) start(src string) { d.querySrc, d.last = src, "" }

func (d *debugger) hook(ev engine.DebugEvent) engine.DebugAction {
	if d.eof {
		return engine.DebugContinue
	}
	switch ev.Kind {
	case engine.DebugBreak:
		fmt.Fprintf(d.out, "debug() at %s", ev.Pos)
		if len(ev.Args) > 0 {
			parts := make([]string, len(ev.Args))
			for i, a := range ev.Args {
				parts[i] = d.l.formatValue(a)
			}
			fmt.Fprintf(d.out, ": %s", strings.Join(parts, ", "))
		}
		fmt.Fprintln(d.out)
	default:
		fmt.Fprintf(d.out, "%s: %s\n", ev.Pos, ev.Goal)
	}
	for {
		line, err := d.in.ReadLine("debug> ")
		if errors.Is(err, errInterrupt) {
			return engine.DebugAbort
		}
		if err != nil {
			d.eof = true
			return engine.DebugContinue
		}
		cmd := strings.TrimSpace(line)
		if cmd == "" {
			cmd = d.last
		}
		if cmd == "" {
			continue
		}
		d.last = cmd
		word, arg, _ := strings.Cut(cmd, " ")
		arg = strings.TrimSpace(arg)
		switch word {
		case "step", "s":
			return engine.DebugStepInto
		case "over", "n", "next":
			return engine.DebugStepOver
		case "out", "o":
			return engine.DebugStepOut
		case "continue", "c":
			return engine.DebugContinue
		case "abort", "q", "quit":
			return engine.DebugAbort
		case "stack", "bt", "where":
			d.stack(ev)
		case "goals":
			d.goals(ev)
		case "bindings", "b":
			d.bindings(ev)
		case "var", "v", "p", "print":
			d.variable(ev, arg)
		case "line", "l":
			d.line(ev.Pos)
		case "help", "h", "?":
			fmt.Fprint(d.out, debugHelp)
		default:
			fmt.Fprintf(d.out, "unknown command %q; type help\n", cmd)
		}
	}
}

func (d *debugger) stack(ev engine.DebugEvent) {
	for i, f := range ev.Stack {
		if f.Rule == "" {
			fmt.Fprintf(d.out, "#%d query\n", i)
			continue
		}
		args := make([]string, len(f.Args))
		for j, a := range f.Args {
			args[j] = d.l.formatValue(a)
		}
		fmt.Fprintf(d.out, "#%d %s at %s\n", i, strings.TrimSuffix(f.Rule, ";"), f.RulePos)
		if f.CallPos.IsValid() {
			fmt.Fprintf(d.out, "     called as %s(%s) at %s\n", predName(f.Pred), strings.Join(args, ", "), f.CallPos)
		} else {
			fmt.Fprintf(d.out, "     called as %s(%s)\n", predName(f.Pred), strings.Join(args, ", "))
		}
	}
}

// goals shows the goal about to run, then, frame by frame outwards, the goals
// still to run after it (the engine's DebugEvent.Pending).
func (d *debugger) goals(ev engine.DebugEvent) {
	fmt.Fprintf(d.out, "> %s   (%s)\n", ev.Goal, ev.Pos)
	for i := 0; i < len(ev.Pending); {
		frame := ev.Pending[i].Frame
		what := "an outer frame"
		if frame >= 0 && frame < len(ev.Stack) {
			if f := ev.Stack[frame]; f.Rule == "" {
				what = "the query"
			} else {
				what = strings.TrimSuffix(f.Rule, ";")
			}
		}
		fmt.Fprintf(d.out, "then in %s:\n", what)
		for ; i < len(ev.Pending) && ev.Pending[i].Frame == frame; i++ {
			fmt.Fprintf(d.out, "  %s   (%s)\n", ev.Pending[i].Goal, ev.Pending[i].Pos)
		}
	}
}

func (d *debugger) bindings(ev engine.DebugEvent) {
	if len(ev.Bindings) == 0 {
		fmt.Fprintln(d.out, "no variables")
		return
	}
	for _, k := range sortedKeys(ev.Bindings) {
		fmt.Fprintf(d.out, "%s = %s\n", k, d.formatBinding(ev.Bindings[k]))
	}
}

func (d *debugger) formatBinding(v any) string {
	if _, ok := v.(engine.Variable); ok {
		return "(unbound)"
	}
	return d.l.formatValue(v)
}

func (d *debugger) variable(ev engine.DebugEvent, name string) {
	if name == "" {
		fmt.Fprintln(d.out, "usage: var NAME")
		return
	}
	v, ok := ev.Bindings[name]
	if !ok {
		fmt.Fprintf(d.out, "%s is not a variable of this frame\n", name)
		return
	}
	fmt.Fprintf(d.out, "%s = %s\n", name, d.formatBinding(v))
}

// line prints two lines of context around pos, with a caret under its column.
func (d *debugger) line(pos ast.Position) {
	var src string
	if b, ok := d.l.srcs[pos.Filename]; ok {
		src = string(b)
	} else if pos.Filename == "<query>" {
		src = d.querySrc
	}
	if src == "" || !pos.IsValid() {
		fmt.Fprintln(d.out, "no source for this goal")
		return
	}
	lines := strings.Split(strings.TrimRight(src, "\n"), "\n")
	for n := max(1, pos.Line-2); n <= min(len(lines), pos.Line+2); n++ {
		mark := " "
		if n == pos.Line {
			mark = ">"
		}
		fmt.Fprintf(d.out, "%s %4d | %s\n", mark, n, lines[n-1])
		if n == pos.Line {
			fmt.Fprintf(d.out, "       | %s^\n", strings.Repeat(" ", max(0, pos.Column-1)))
		}
	}
}

// predName is the name of a name/arity key.
func predName(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return key
}
