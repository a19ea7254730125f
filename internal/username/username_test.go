package username

import (
	"testing"

	"github.com/coopgate/coopgate/internal/people"
)

func TestReserved(t *testing.T) {
	tests := map[string]bool{
		"admin": true, "Admin": true, "here": true, "webmaster": true, "root": true, "explore": true, "v2": true, "u": true,
		"ann": false, "admins": false, "": false, "secretary": false, "administrator_": false,
	}
	for name, want := range tests {
		if got := Reserved(name); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", name, got, want)
		}
	}
}

// Every name listed must be one a coopgate username could be; a name
// that could not be is dead weight that hides a typo.
func TestTheListHoldsOnlyPossibleUsernames(t *testing.T) {
	if len(List()) < 50 {
		t.Fatalf("only %d names: the file did not load", len(List()))
	}
	for _, name := range List() {
		if !people.UsernamePattern.MatchString(name) {
			t.Errorf("%q cannot be a coopgate username", name)
		}
	}
}
