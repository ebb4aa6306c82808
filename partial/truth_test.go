package partial_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/partial"
)

// Truth tables: every operator over operands that are true, false, unknown
// (a condition on the resource) or an error (a runtime error on a known
// value), and what the filter is. An error anywhere in the exploration is an
// error of the filter (fail closed), except where Polar never evaluates it
// (`false and error`).

// goal operands
var truthGoals = map[string]string{
	"T": "true",
	"F": "false",
	"U": "doc.public",
	"E": "user.missing = 1",
}

const (
	resU    = "resource.Public = true"
	resNotU = "resource.Public != true"
	isErr   = "error"
)

func evalGoal(t *testing.T, body string) string {
	t.Helper()
	src := "actor User {}\nresource Doc {}\nallow(user: User, \"t\", doc: Doc) if " + body + ";\n"
	p := loadPolicy(t, src)
	f, err := partial.Query(context.Background(), p, "allow", &User{ID: 7}, "t", partial.Unknown{Type: "Doc"})
	if err != nil {
		var ae *ast.Error
		if !errors.As(err, &ae) || ae.Pos.Line != 3 {
			t.Errorf("%s: error does not name line 3: %v", body, err)
		}
		return isErr
	}
	return f.String()
}

func TestTruthTableConnectives(t *testing.T) {
	and := map[string]string{
		"TT": "true", "TF": "false", "TU": resU, "TE": isErr,
		"FT": "false", "FF": "false", "FU": "false", "FE": "false",
		"UT": resU, "UF": "false", "UU": resU, "UE": isErr,
		"ET": isErr, "EF": isErr, "EU": isErr, "EE": isErr,
	}
	or := map[string]string{
		"TT": "true", "TF": "true", "TU": "true", "TE": isErr,
		"FT": "true", "FF": "false", "FU": resU, "FE": isErr,
		"UT": "true", "UF": resU, "UU": resU, "UE": isErr,
		"ET": isErr, "EF": isErr, "EU": isErr, "EE": isErr,
	}
	not := map[string]string{"T": "false", "F": "true", "U": resNotU, "E": isErr}
	for pair, want := range and {
		body := "(" + truthGoals[pair[:1]] + ") and (" + truthGoals[pair[1:]] + ")"
		if got := evalGoal(t, body); got != want {
			t.Errorf("%s and %s: got %q, want %q", pair[:1], pair[1:], got, want)
		}
	}
	for pair, want := range or {
		body := "(" + truthGoals[pair[:1]] + ") or (" + truthGoals[pair[1:]] + ")"
		if got := evalGoal(t, body); got != want {
			t.Errorf("%s or %s: got %q, want %q", pair[:1], pair[1:], got, want)
		}
	}
	for x, want := range not {
		body := "not (" + truthGoals[x] + ")"
		if got := evalGoal(t, body); got != want {
			t.Errorf("not %s: got %q, want %q", x, got, want)
		}
	}
	// forall(c, a) over a known collection with each kind of action.
	forall := map[string]string{"T": "true", "F": "false", "U": resU, "E": isErr}
	for x, want := range forall {
		body := "forall(i in [1, 2], " + truthGoals[x] + ")"
		if got := evalGoal(t, body); got != want {
			t.Errorf("forall(_, %s): got %q, want %q", x, got, want)
		}
	}
	if got := evalGoal(t, "forall(i in [], user.missing = 1)"); got != "true" {
		t.Errorf("forall over nothing: got %q", got)
	}
}

// Value operands of comparisons: a known value (K = 2), a smaller known value
// (k = 1), an unknown column (U = doc.level) and an error.
var truthValues = map[string]string{
	"K": "2",
	"k": "1",
	"U": "doc.level",
	"E": "user.missing",
}

func TestTruthTableComparisons(t *testing.T) {
	ops := []string{"=", "==", "!=", "<", "<=", ">", ">="}
	known := map[string]map[string]bool{ // op -> "KK","Kk","kK" -> result
		"=":  {"KK": true, "Kk": false, "kK": false},
		"==": {"KK": true, "Kk": false, "kK": false},
		"!=": {"KK": false, "Kk": true, "kK": true},
		"<":  {"KK": false, "Kk": false, "kK": true},
		"<=": {"KK": true, "Kk": false, "kK": true},
		">":  {"KK": false, "Kk": true, "kK": false},
		">=": {"KK": true, "Kk": true, "kK": false},
	}
	irOp := map[string]string{"=": "=", "==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
	flip := map[string]string{"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
	for _, op := range ops {
		for l := range truthValues {
			for r := range truthValues {
				body := truthValues[l] + " " + op + " " + truthValues[r]
				var want string
				switch {
				case l == "E" || r == "E":
					want = isErr
				case l == "U" && r == "U":
					// x op x on the same column.
					want = "resource.Level " + irOp[op] + " resource.Level"
				case l == "U":
					want = "resource.Level " + irOp[op] + " " + truthValues[r]
				case r == "U":
					want = "resource.Level " + flip[irOp[op]] + " " + truthValues[l]
				default:
					pair := l + r
					if pair == "kk" {
						pair = "KK"
					}
					if known[op][pair] {
						want = "true"
					} else {
						want = "false"
					}
				}
				if got := evalGoal(t, body); got != want {
					t.Errorf("%s: got %q, want %q", body, got, want)
				}
			}
		}
	}
}

// `in` with a known or unknown element over a known list, an unknown
// collection, or an error.
func TestTruthTableIn(t *testing.T) {
	cases := map[string]string{
		"2 in [1, 2]":                               "true",
		"3 in [1, 2]":                               "false",
		"doc.level in [1, 2]":                       "resource.Level in [1, 2]",
		"doc.level in []":                           "false",
		"doc.level in [\"a\", 2]":                   "resource.Level = 2",
		"user.missing in [1]":                       isErr,
		"1 in user.missing":                         isErr,
		"l in doc.labels":                           "exists l in resource.Labels",
		"l in doc.labels and l.name = \"eu\"":       "exists l in resource.Labels: (l.Name = \"eu\")",
		"not (l in doc.labels and l.name = \"eu\")": "not (exists l in resource.Labels: (l.Name = \"eu\"))",
		// A number is never equal to a Label object: no derivation.
		"doc.level in doc.labels": "false",
	}
	for body, want := range cases {
		if got := evalGoal(t, body); got != want {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
}
