package downstream

import "context"

// Verdict is what a check makes of one setting.
type Verdict int

const (
	// Fine: the setting suits coopgate.
	Fine Verdict = iota
	// Change: as it is, the service will refuse some of coopgate's calls.
	Change
	// Look: coopgate cannot tell from here; a person should look.
	Look
)

// Finding is one setting of a service that matters to coopgate, as a check
// found it.
type Finding struct {
	Setting string // in the service's words, e.g. allow_new_registrations
	Value   string // what the service says it is; empty when it would not say
	Verdict Verdict
	Note    string // what to change, or why it is fine
}

// Checker is a service that can look at its own settings that matter to
// coopgate, changing nothing: `coopgate downstream check`.
type Checker interface {
	Check(ctx context.Context) ([]Finding, error)
}

// Unless is Fine when fine, else Change with what to change.
func Unless(fine bool, change string) (Verdict, string) {
	if fine {
		return Fine, ""
	}
	return Change, change
}
