package engine

import (
	"errors"
	"fmt"

	"github.com/ursa-authz/ursa/engine/ast"
)

// Debugging.
//
// A DebugHook (QueryOptions.Debug) is called:
//   - at every `debug(...)` goal (Kind DebugBreak), and
//   - while stepping, before goals (Kind DebugStep): after the hook returned
//     DebugStepInto, before the very next goal; after DebugStepOver, before
//     the next goal whose frame is at the same or a shallower call depth; after
//     DebugStepOut, before the next goal in a shallower frame. DebugContinue
//     runs until the next debug() goal. QueryOptions.DebugStep starts stepping
//     at the first goal.
//
// The event carries the goal about to run (as Polar source) and its position,
// the goals still to run after it (Pending), the call stack (innermost
// first, with each frame's rule, call position and arguments) and the
// bindings of the innermost frame. A debug() goal stops once, as a
// DebugBreak, also when stepping onto it. A hook runs
// synchronously on the querying goroutine; the query waits for its answer.
// DebugAbort stops the query with an error wrapping ErrDebugAbort.

// DebugEventKind tells why the hook is called.
type DebugEventKind int

const (
	DebugBreak DebugEventKind = iota + 1 // a debug() goal ran
	DebugStep                            // stepping: a goal is about to run
)

// DebugAction is the hook's answer: how to go on.
type DebugAction int

const (
	DebugContinue DebugAction = iota // run until the next debug() goal
	DebugStepInto                    // stop before the next goal
	DebugStepOver                    // stop before the next goal at this depth or shallower
	DebugStepOut                     // stop before the next goal in a shallower frame
	DebugAbort                       // stop the query with ErrDebugAbort
)

// ErrDebugAbort is wrapped by the error of a query aborted by its debug hook.
var ErrDebugAbort = errors.New("aborted by the debugger")

// StackFrame is one rule activation on the call stack.
type StackFrame struct {
	Pred    string       // name/arity
	Rule    string       // the rule's head as Polar source ("" for the top query)
	RulePos ast.Position // position of the rule (of its shorthand rule when expanded)
	CallPos ast.Position // position of the call that entered the rule (invalid at top level)
	Args    []any        // arguments of that call, resolved
	Depth   int
}

// DebugEvent describes the state of the VM at a debug stop.
type DebugEvent struct {
	Kind     DebugEventKind
	Goal     string        // the goal about to run (DebugStep) or the debug(...) goal
	Pos      ast.Position  // position of Goal
	Depth    int           // call depth of the goal's frame (0: the query itself)
	Pending  []PendingGoal // goals still to run after Goal if it succeeds, in order
	Stack    []StackFrame  // innermost first
	Bindings Bindings      // variables of the innermost frame (unbound ones as Variable)
	Args     []any         // arguments of debug(...) (DebugBreak)
	Steps    int           // goals executed so far
}

// PendingGoal is a goal still to run: the rest of the current rule body,
// then of its caller's, out to the query. Alternatives not yet tried (other
// rules, `or` branches, `in` elements) are not pending goals.
type PendingGoal struct {
	Goal  string       // as Polar source
	Pos   ast.Position // its position
	Depth int          // call depth of the frame it runs in
	Frame int          // index in DebugEvent.Stack of that frame (-1: none)
}

// DebugHook is called at debug stops; see DebugEvent and DebugAction.
type DebugHook func(DebugEvent) DebugAction

type debugMode int

const (
	modeRun debugMode = iota
	stepInto
	stepOver
	stepOut
)

type debugState struct {
	mode  debugMode
	depth int
}

func envDepth(e *env) int {
	if e == nil {
		return 0
	}
	return e.depth
}

// debugGoal is called before each goal when a hook is set; next is the
// continuation after g.
func (m *machine) debugGoal(g goal, e *env, next *cont) error {
	if m.dbg.mode == modeRun {
		return nil
	}
	switch g.(type) {
	case *gAnd, *gNotSucceeded, *gExit, *gStart:
		return nil
	case *gDebug:
		return nil // stops as a DebugBreak when it runs: one stop, not two
	}
	d := envDepth(e)
	switch m.dbg.mode {
	case stepOver:
		if d > m.dbg.depth {
			return nil
		}
	case stepOut:
		if d >= m.dbg.depth {
			return nil
		}
	}
	ev := m.debugEvent(DebugStep, g, e, next)
	return m.applyDebug(m.hook(ev), d, g.pos())
}

func (m *machine) debugBreak(g *gDebug, e *env, next *cont) error {
	if m.hook == nil {
		return nil
	}
	ev := m.debugEvent(DebugBreak, g, e, next)
	for _, a := range g.args {
		v, err := m.eval(a, e)
		if err != nil && err != errFail {
			return m.errAt(g.at, err)
		}
		ev.Args = append(ev.Args, resolve(v))
	}
	return m.applyDebug(m.hook(ev), envDepth(e), g.at)
}

func (m *machine) applyDebug(a DebugAction, depth int, at ast.Pos) error {
	switch a {
	case DebugContinue:
		m.dbg.mode = modeRun
	case DebugStepInto:
		m.dbg.mode = stepInto
	case DebugStepOver:
		m.dbg = debugState{mode: stepOver, depth: depth}
	case DebugStepOut:
		m.dbg = debugState{mode: stepOut, depth: depth}
	case DebugAbort:
		return m.errAt(at, ErrDebugAbort)
	default:
		return m.errAt(at, fmt.Errorf("unknown debug action %d", a))
	}
	return nil
}

func (m *machine) debugEvent(kind DebugEventKind, g goal, e *env, next *cont) DebugEvent {
	ev := DebugEvent{Kind: kind, Depth: envDepth(e), Steps: m.steps}
	ev.Goal = m.goalText(g)
	ev.Pos = m.fset.Position(g.pos())
	ev.Pending = m.pending(next, e)
	ev.Bindings = Bindings{}
	if e != nil && e.rule != nil {
		for i, n := range e.rule.names {
			if n == "_" || i >= len(e.cells) {
				continue
			}
			ev.Bindings[n] = resolve(&e.cells[i])
		}
	}
	ev.Stack = m.stack(e)
	return ev
}

// maxStackFrames bounds DebugEvent.Stack.
const maxStackFrames = 200

// stack renders the call stack from frame e outwards.
func (m *machine) stack(e *env) []StackFrame {
	var out []StackFrame
	for f := e; f != nil; f = f.parent {
		sf := StackFrame{Depth: f.depth}
		if f.rule != nil && f.rule.src != nil {
			r := f.rule.src
			sf.Pred = predKey(r.Name, len(r.Params))
			sf.Rule = ast.String(&ast.Rule{Name: r.Name, Params: r.Params})
			at := r.At
			if r.Source != nil {
				at = r.Source.At
			}
			sf.RulePos = m.p.fset.Position(at)
		}
		if f.call != nil {
			fs := m.p.fset
			if m.qfset != nil && f.parent != nil && f.parent.rule == m.qrule {
				fs = m.qfset
			}
			sf.CallPos = fs.Position(f.call.at)
		}
		for _, a := range f.args {
			sf.Args = append(sf.Args, resolve(a))
		}
		out = append(out, sf)
		if len(out) > maxStackFrames {
			break
		}
	}
	return out
}

// goalText is the Polar source of a compiled goal.
func (m *machine) goalText(g goal) string {
	if src, ok := m.p.goalSrc[g]; ok {
		return FormatExpr(src)
	}
	if src, ok := m.qsrc[g]; ok {
		return FormatExpr(src)
	}
	if c, ok := g.(*gCall); ok {
		return FormatExpr(c.src)
	}
	return ""
}

// maxPending bounds DebugEvent.Pending (a deep recursion has a long
// continuation).
const maxPending = 1000

// pending lists the goals of the continuation next; cur is the frame of
// the current goal (Frame indexes are relative to its stack).
func (m *machine) pending(next *cont, cur *env) []PendingGoal {
	var out []PendingGoal
	var add func(g goal, e *env)
	add = func(g goal, e *env) {
		if len(out) >= maxPending {
			return
		}
		switch x := g.(type) {
		case *gAnd:
			for _, sub := range x.goals {
				add(sub, e)
			}
			return
		case *gNotSucceeded, *gExit, *gStart, *gTrue:
			return
		}
		fs := m.p.fset
		if m.qfset != nil && e != nil && e.rule == m.qrule {
			fs = m.qfset
		}
		out = append(out, PendingGoal{Goal: m.goalText(g), Pos: fs.Position(g.pos()), Depth: envDepth(e), Frame: frameIndex(cur, e)})
	}
	for c := next; c != nil && len(out) < maxPending; c = c.next {
		if a, ok := c.g.(*gAnd); ok {
			for _, sub := range a.goals[c.idx:] {
				add(sub, c.env)
			}
			continue
		}
		add(c.g, c.env)
	}
	return out
}

// frameIndex is the index of frame f on the call stack seen from cur
// (innermost first, as in DebugEvent.Stack), or -1.
func frameIndex(cur, f *env) int {
	i := 0
	for x := cur; x != nil; x = x.parent {
		if x == f {
			return i
		}
		if i++; i > maxStackFrames {
			break
		}
	}
	return -1
}
