package password

import (
	"context"
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	ctx := context.Background()
	h, err := Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("hash %q lacks coopgate's parameters", h)
	}
	for _, tc := range []struct {
		pw, hash string
		want     bool
	}{
		{"correct horse battery", h, true},
		{"correct horse batterY", h, false},
		{"correct horse battery", "", false},
	} {
		got, err := Check(ctx, tc.pw, tc.hash)
		if err != nil || got != tc.want {
			t.Errorf("Check(%q, …) = %v, %v; want %v", tc.pw, got, err, tc.want)
		}
	}
}

func TestProblem(t *testing.T) {
	for pw, wantProblem := range map[string]bool{
		"short":                    true,
		"ten chars!":               false,
		strings.Repeat("x", 201):   true,
		"ann@example.coop":         true,
		"a long enough passphrase": false,
	} {
		if got := Problem(pw, "ann@example.coop") != ""; got != wantProblem {
			t.Errorf("Problem(%q) problem=%v, want %v", pw, got, wantProblem)
		}
	}
}
