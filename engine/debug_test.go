package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
)

// debugPolicy: positions matter below (line:column of each goal).
const debugPolicy = `f(x) if g(x) and x > 0 and print("f");
g(x) if x = 1 and h(x) and
    x < 2;
h(_) if debug("in h") and true;
`

// stops runs query src stepping into every goal and records each stop as
// "kind goal @line:col | pending goal @line:col depth frame; ...".
func stops(t *testing.T, p *Policy, src string) []string {
	t.Helper()
	var out []string
	opts := &QueryOptions{Print: io.Discard, DebugStep: true, Debug: func(ev DebugEvent) DebugAction {
		kind := "step"
		if ev.Kind == DebugBreak {
			kind = "break"
		}
		var pend []string
		for _, g := range ev.Pending {
			pend = append(pend, fmt.Sprintf("%s @%d:%d d%d f%d", g.Goal, g.Pos.Line, g.Pos.Column, g.Depth, g.Frame))
			if g.Frame >= 0 && ev.Stack[g.Frame].Depth != g.Depth {
				t.Errorf("pending %s: frame %d has depth %d, want %d", g.Goal, g.Frame, ev.Stack[g.Frame].Depth, g.Depth)
			}
		}
		out = append(out, fmt.Sprintf("%s %s @%d:%d | %s", kind, ev.Goal, ev.Pos.Line, ev.Pos.Column, strings.Join(pend, "; ")))
		return DebugStepInto
	}}
	for _, err := range p.Query(context.Background(), opts, src) {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Each stop lists the goals still to run after the current one, innermost
// frame first, with their positions, depths and stack frames; stepping onto
// debug() stops once, as a break.
func TestDebugPendingGoals(t *testing.T) {
	p := mustLoad(t, debugPolicy)
	got := stops(t, p, "f(y) and y = 1")
	want := []string{ // binary goals are positioned at their operator
		"step f(y) @1:1 | y = 1 @1:12 d0 f0",
		"step g(x) @1:9 | x > 0 @1:20 d1 f0; print(\"f\") @1:28 d1 f0; y = 1 @1:12 d0 f1",
		"step x = 1 @2:11 | h(x) @2:19 d2 f0; x < 2 @3:7 d2 f0; x > 0 @1:20 d1 f1; print(\"f\") @1:28 d1 f1; y = 1 @1:12 d0 f2",
		"step h(x) @2:19 | x < 2 @3:7 d2 f0; x > 0 @1:20 d1 f1; print(\"f\") @1:28 d1 f1; y = 1 @1:12 d0 f2",
		"break debug(\"in h\") @4:9 | x < 2 @3:7 d2 f1; x > 0 @1:20 d1 f2; print(\"f\") @1:28 d1 f2; y = 1 @1:12 d0 f3",
		"step x < 2 @3:7 | x > 0 @1:20 d1 f1; print(\"f\") @1:28 d1 f1; y = 1 @1:12 d0 f2",
		"step x > 0 @1:20 | print(\"f\") @1:28 d1 f0; y = 1 @1:12 d0 f1",
		"step print(\"f\") @1:28 | y = 1 @1:12 d0 f1",
		"step y = 1 @1:12 | ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Stepping onto debug() stops once, as a break; so does stepping over a
// call that reaches debug() (the break still stops).
func TestDebugStepOntoDebugStopsOnce(t *testing.T) {
	p := mustLoad(t, debugPolicy)
	for _, action := range []DebugAction{DebugStepInto, DebugStepOver} {
		var got []string
		opts := &QueryOptions{Print: io.Discard, DebugStep: true, Debug: func(ev DebugEvent) DebugAction {
			if strings.HasPrefix(ev.Goal, "debug(") {
				got = append(got, fmt.Sprintf("%d %s", ev.Kind, ev.Goal))
			}
			return action
		}}
		for _, err := range p.Query(context.Background(), opts, "f(1)") {
			if err != nil {
				t.Fatal(err)
			}
		}
		want := fmt.Sprintf("%d debug(\"in h\")", DebugBreak)
		if len(got) != 1 || got[0] != want {
			t.Errorf("action %d: stops at debug(): %q, want [%s]", action, got, want)
		}
	}
}
