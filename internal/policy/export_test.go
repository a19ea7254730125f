package policy

import "testing"

func TestDefuse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Firefox", "Firefox"},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := defuse([]string{tt.in})[0]; got != tt.want {
			t.Errorf("defuse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
