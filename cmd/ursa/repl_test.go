package main

import "testing"

func TestIncomplete(t *testing.T) {
	for src, want := range map[string]bool{
		`allow(x, "read", y)`:         false,
		`allow(x,`:                    true,
		`x = [1,`:                     true,
		`x = {a: 1`:                   true,
		`x = "a (b"`:                  false,
		`x = "open`:                   true,
		`x = "esc \" (`:               true,
		`x = 1 and`:                   true,
		`x = 1 or`:                    true,
		`x = brand`:                   false, // ends with "and" inside a name
		`x = 1 and # more to come`:    true,
		`x = "#" and`:                 true,
		`x = 1;`:                      false,
		`x = 1 \`:                     true,
		`x = 1 +`:                     true,
		`x in`:                        true,
		`f(x) if`:                     true,
		`x = (1 +` + "\n" + ` 2)`:     false,
		`x = 1 # comment (`:           false,
		`forall(x in [1], x > 0)`:     false,
		`x = [1, 2]` + "\n" + `and y`: false,
	} {
		if got := incomplete(src); got != want {
			t.Errorf("incomplete(%q) = %v, want %v", src, got, want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	spec := map[string]bool{"schema": true, "query": true}
	cl, err := parseArgs([]string{"a.polar", "--schema", "s.json", "-query=allow(1, 2, 3)", "b.polar", "--", "--c.polar"}, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.files) != 3 || cl.files[0] != "a.polar" || cl.files[1] != "b.polar" || cl.files[2] != "--c.polar" ||
		cl.flags["schema"] != "s.json" || cl.flags["query"] != "allow(1, 2, 3)" {
		t.Errorf("got %+v", cl)
	}
	for _, bad := range [][]string{{"--nope", "x"}, {"--schema"}, {"--schema", "a", "--schema", "b"}} {
		if _, err := parseArgs(bad, spec); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
