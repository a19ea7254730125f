package policy

import (
	"slices"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string // kind marker and text: " a", "+b", "-c"
	}{
		{"both empty", "", "", nil},
		{"identical", "a\nb\n", "a\nb\n", []string{" a", " b"}},
		{"from nothing", "", "a\nb\n", []string{"+a", "+b"}},
		{"to nothing", "a\nb\n", "", []string{"-a", "-b"}},
		{"line added in the middle", "a\nc\n", "a\nb\nc\n", []string{" a", "+b", " c"}},
		{"line removed at the end", "a\nb\nc\n", "a\nb\n", []string{" a", " b", "-c"}},
		{"line changed", "a\nb\nc\n", "a\nB\nc\n", []string{" a", "-b", "+B", " c"}},
		{"paragraph rewritten", "a\nb\nc\nd\n", "a\nx\ny\nd\n", []string{" a", "-b", "-c", "+x", "+y", " d"}},
		{"lines swapped", "a\nb\n", "b\na\n", []string{"-a", " b", "+a"}},
		{"final newline is not a line", "a\nb", "a\nb\n", []string{" a", " b"}},
		{"blank lines count", "a\n\nb\n", "a\nb\n", []string{" a", "-", " b"}},
		{"change in the middle of repeats", "x\na\nx\nb\nx\n", "x\na\nx\nc\nx\n", []string{" x", " a", " x", "-b", "+c", " x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range Diff(tt.old, tt.new) {
				got = append(got, marker(l.Kind)+l.Text)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Diff(%q, %q) =\n%s\nwant\n%s", tt.old, tt.new, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestDiffRebuildsBothSides checks, on the co-op's own kind of edit, that
// the equal and removed lines give back the old text and the equal and
// added lines the new.
func TestDiffRebuildsBothSides(t *testing.T) {
	old := goodBody + "## Reporting\n\nMail the secretary.\n"
	new := "Be kind to everyone.\n\n## Why\n\nBecause.\n\n## Reporting\n\nUse the report button,\nor mail the secretary.\n"
	var a, b []string
	for _, l := range Diff(old, new) {
		if l.Kind != DiffAdded {
			a = append(a, l.Text)
		}
		if l.Kind != DiffRemoved {
			b = append(b, l.Text)
		}
	}
	if got := strings.Join(a, "\n") + "\n"; got != old {
		t.Errorf("old side = %q, want %q", got, old)
	}
	if got := strings.Join(b, "\n") + "\n"; got != new {
		t.Errorf("new side = %q, want %q", got, new)
	}
}

func marker(k DiffKind) string {
	switch k {
	case DiffAdded:
		return "+"
	case DiffRemoved:
		return "-"
	}
	return " "
}
