package federation

import (
	"fmt"
	"slices"
	"strings"
)

// DiffKind is how Mastodon's list and the ledger differ about a domain.
type DiffKind string

// The differences. The first three are put right toward the ledger; a
// block the ledger never decided is only shown.
const (
	Missing    DiffKind = "missing"     // the ledger blocks it, Mastodon does not
	Differs    DiffKind = "differs"     // Mastodon's block is not the one decided
	Unlifted   DiffKind = "unlifted"    // the ledger lifted it, Mastodon still blocks it
	NotDecided DiffKind = "not_decided" // Mastodon blocks it, the ledger does not
)

// Difference is one domain on which Mastodon and the ledger disagree.
type Difference struct {
	Domain   string
	Kind     DiffKind
	Decision *Decision    // the ledger's latest; nil when it never decided
	Remote   *RemoteBlock // Mastodon's block; nil when it has none
	Changes  []string     // for Differs: what Mastodon has against what was decided
}

// Fixable says whether coopgate puts it right (toward the ledger).
func (d Difference) Fixable() bool { return d.Kind != NotDecided }

// Plan says in words what a sync does about it.
func (d Difference) Plan() string {
	switch d.Kind {
	case Missing:
		return fmt.Sprintf("not blocked on Mastodon: would block it (%s)", d.Decision.Severity)
	case Differs:
		return "Mastodon's block differs (" + strings.Join(d.Changes, "; ") + "): would change it to the decision"
	case Unlifted:
		return "lifted here, still blocked on Mastodon: would lift it"
	}
	return fmt.Sprintf("blocked on Mastodon (%s), not decided here: left alone; adopt it with a ground and a reference, or lift it",
		d.Remote.Severity)
}

// Compare lists where Mastodon's blocks (remote) and the ledger (each
// domain's latest decision) disagree, by domain. applied tells a lift that
// was carried out (so a block made on Mastodon since is not the co-op's)
// from one still on its way. A decided block that a parent domain's block
// on Mastodon covers, as Mastodon sees it, is in step.
func Compare(latest []Decision, remote []RemoteBlock, applied map[string]Applied) []Difference {
	byDomain := make(map[string]*RemoteBlock, len(remote))
	for i := range remote {
		byDomain[remote[i].Domain] = &remote[i]
	}
	var out []Difference
	decided := map[string]bool{}
	for i := range latest {
		d := &latest[i]
		decided[d.Domain] = true
		if diff, ok := compareOne(d, byDomain[d.Domain], remote, applied[d.Domain]); ok {
			out = append(out, diff)
		}
	}
	for i := range remote {
		if !decided[remote[i].Domain] {
			out = append(out, Difference{Domain: remote[i].Domain, Kind: NotDecided, Remote: &remote[i]})
		}
	}
	slices.SortFunc(out, func(a, b Difference) int { return strings.Compare(a.Domain, b.Domain) })
	return out
}

func compareOne(d *Decision, r *RemoteBlock, remote []RemoteBlock, a Applied) (Difference, bool) {
	diff := Difference{Domain: d.Domain, Decision: d, Remote: r}
	switch {
	case d.Action == Block && r == nil:
		if coveredBy(*d, remote) != "" {
			return diff, false
		}
		diff.Kind = Missing
	case d.Action == Block && !sameBlock(*r, *d):
		diff.Kind, diff.Changes = Differs, changes(*r, *d)
	case d.Action == Lift && r != nil && a.DecisionID == d.ID && a.State == stateApplied:
		diff.Kind = NotDecided // blocked again on Mastodon after the lift was carried out
	case d.Action == Lift && r != nil:
		diff.Kind = Unlifted
	default:
		return diff, false
	}
	return diff, true
}

// coveredBy is the parent domain whose block on Mastodon covers d, as
// DomainBlock.rule_for and stricter_than? decide: Mastodon refuses a block
// of a subdomain that is no stricter than its parent's.
func coveredBy(d Decision, remote []RemoteBlock) string {
	var parent *RemoteBlock
	for i := range remote {
		r := &remote[i]
		if strings.HasSuffix(d.Domain, "."+r.Domain) && (parent == nil || len(r.Domain) > len(parent.Domain)) {
			parent = r
		}
	}
	if parent == nil || stricterThan(d.Settings, parent.Settings) {
		return ""
	}
	return parent.Domain
}

// stricterThan is Mastodon's DomainBlock#stricter_than?.
func stricterThan(b, other Settings) bool {
	switch {
	case b.Severity == Suspend:
		return true
	case other.Severity == Suspend && b.Severity != Suspend:
		return false
	case other.Severity == Silence && b.Severity == Noop:
		return false
	}
	return (b.RejectMedia || !other.RejectMedia) && (b.RejectReports || !other.RejectReports)
}

func changes(r RemoteBlock, d Decision) []string {
	var out []string
	add := func(what string, have, want any) {
		if have != want {
			out = append(out, fmt.Sprintf("%s: %v on Mastodon, %v decided", what, have, want))
		}
	}
	add("severity", r.Severity, d.Severity)
	add("reject media", r.RejectMedia, d.RejectMedia)
	add("reject reports", r.RejectReports, d.RejectReports)
	add("obfuscate", r.Obfuscate, d.Obfuscate)
	if r.PublicComment != d.PublicReason {
		out = append(out, "public comment differs")
	}
	return out
}
