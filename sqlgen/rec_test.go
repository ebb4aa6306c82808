package sqlgen

import "testing"

// predIdent's fast path returns what the general one does.
func TestPredIdent(t *testing.T) {
	for _, name := range []string{"member_of_team", "a", "x1", "_a", "a_", "__", "Member", "has role", "ünï", "a__b", "a-b", "9", "", "rec"} {
		if got, want := predIdent(name), predIdentSlow(name); got != want {
			t.Errorf("predIdent(%q) = %q, want %q", name, got, want)
		}
	}
}
