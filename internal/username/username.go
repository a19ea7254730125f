// Package username owns what coopgate knows about usernames beyond their
// form (people.UsernamePattern): the names the co-op's services reserve,
// listed with their sources in reserved.txt. Sign-up and the CLI refuse
// them, so that no member is admitted with a name a service will not give
// them. It reads no database and makes no calls.
package username

import (
	_ "embed"
	"slices"
	"strings"
)

//go:embed reserved.txt
var reservedFile string

var reserved = parse(reservedFile)

func parse(file string) []string {
	var out []string
	for _, line := range strings.Split(file, "\n") {
		if name, _, _ := strings.Cut(line, "#"); strings.TrimSpace(name) != "" {
			out = append(out, strings.ToLower(strings.TrimSpace(name)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Reserved says whether a service reserves name (compared ignoring case).
func Reserved(name string) bool {
	_, found := slices.BinarySearch(reserved, strings.ToLower(strings.TrimSpace(name)))
	return found
}

// List is every reserved name, sorted.
func List() []string { return slices.Clone(reserved) }
