package policy

import "strings"

// DiffKind says whether a line of a diff is in both versions or only one.
type DiffKind string

const (
	DiffEqual   DiffKind = "equal"
	DiffAdded   DiffKind = "added"
	DiffRemoved DiffKind = "removed"
)

// DiffLine is one line of the change between two versions of a policy.
type DiffLine struct {
	Kind DiffKind
	Text string
}

// Diff lists the lines of oldText and newText, marking those only in oldText
// as removed and those only in newText as added, so a person asked to accept
// a new version can see what changed since the one they accepted. Within a
// change, removed lines come before added ones.
func Diff(oldText, newText string) []DiffLine {
	a, b := splitLines(oldText), splitLines(newText)
	// Lines shared at the start and end are common in policy edits and need
	// no table, which keeps the quadratic part small.
	prefix := commonPrefix(a, b)
	suffix := commonSuffix(a[prefix:], b[prefix:])
	lines := make([]DiffLine, 0, max(len(a), len(b)))
	lines = appendLines(lines, DiffEqual, a[:prefix])
	lines = appendLCS(lines, a[prefix:len(a)-suffix], b[prefix:len(b)-suffix])
	return appendLines(lines, DiffEqual, a[len(a)-suffix:])
}

// splitLines splits text into lines; a final newline ends the last line
// rather than starting an empty one.
func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

func commonPrefix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

func appendLines(lines []DiffLine, kind DiffKind, texts []string) []DiffLine {
	for _, t := range texts {
		lines = append(lines, DiffLine{Kind: kind, Text: t})
	}
	return lines
}

// appendLCS appends the diff of a and b along a longest common subsequence.
func appendLCS(lines []DiffLine, a, b []string) []DiffLine {
	lcs := lcsTable(a, b)
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, DiffLine{Kind: DiffEqual, Text: a[i]})
			i, j = i+1, j+1
		case j == len(b) || i < len(a) && lcs[i+1][j] >= lcs[i][j+1]:
			lines = append(lines, DiffLine{Kind: DiffRemoved, Text: a[i]})
			i++
		default:
			lines = append(lines, DiffLine{Kind: DiffAdded, Text: b[j]})
			j++
		}
	}
	return lines
}

// lcsTable returns t where t[i][j] is the length of the longest common
// subsequence of a[i:] and b[j:].
func lcsTable(a, b []string) [][]int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t
}
