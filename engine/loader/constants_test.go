package loader

import "testing"

// nil and registered constants are not variables: using one once in a rule
// must not draw a singleton-variable warning, while a real singleton still does.
func TestConstantsAreNotSingletons(t *testing.T) {
	_, diags := load(t, source{"p.polar", `allow(actor, _action, resource) if resource.owner != nil and resource.level < MAX_LEVEL and actor = resource.owner and resource.x = other;`})
	var got []string
	for _, d := range diags {
		got = append(got, d.Header())
	}
	want := []string{"p.polar:1:133: warning: singleton variable other is unused or undefined; try renaming to _other"}
	if len(got) != len(want) || got[0] != want[0] {
		t.Fatalf("diagnostics:\n%q\nwant:\n%q", got, want)
	}
}
