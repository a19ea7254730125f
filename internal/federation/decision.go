package federation

import (
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Action is what a decision does to a domain.
type Action string

// A decision blocks a domain (or changes its block), or lifts its block.
const (
	Block Action = "block"
	Lift  Action = "lift"
)

// Source is how a decision came to be recorded.
type Source string

// The ways into the ledger.
const (
	FromForm     Source = "form"     // a moderator's decision form
	FromProposal Source = "proposal" // a member's proposal, accepted
	FromImport   Source = "import"   // a row of a domain-block CSV
	FromAdoption Source = "adopted"  // a block made in Mastodon, adopted with a ground
)

// Settings are what Mastodon is told about a block.
type Settings struct {
	Severity      Severity
	RejectMedia   bool
	RejectReports bool
	Obfuscate     bool
}

// Decision is one entry of the ledger.
type Decision struct {
	ID     int64
	Domain string
	Action Action
	Settings
	Ground          Ground
	PolicyID        string // the policy behind the ground, and its version at the time
	PolicyVersion   string
	PublicReason    string
	PrivateNote     string
	Reference       string // the thread where it was decided, or free text
	ReviewOn        *time.Time
	Source          Source
	RecordedBy      string // a person's id; empty for the CLI
	RecordedByLabel string
	RecordedAt      time.Time
}

// PublicDomain is the domain as published: starred out when obfuscated.
func (d Decision) PublicDomain() string {
	if d.Obfuscate {
		return Obfuscate(d.Domain)
	}
	return d.Domain
}

// ReferenceURL is the reference when it is a web address, for a link; else "".
func (d Decision) ReferenceURL() string { return webURL(d.Reference) }

// DueOn says whether the decision's review date is on or before today.
func (d Decision) DueOn(today time.Time) bool {
	return d.Action == Block && d.ReviewOn != nil && !d.ReviewOn.After(today)
}

func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return s
}

// NewDecision is a decision to record. Check normalises it.
type NewDecision struct {
	Domain string // as typed
	Action Action
	Settings
	Ground       Ground
	PublicReason string
	PrivateNote  string
	Reference    string
	ReviewOn     *time.Time
	Source       Source
}

// Problems maps a form field to what is wrong with it, in words for the
// person who filled it in. It is an error, so that an entry point can
// refuse with it.
type Problems map[string]string

// Any says whether there is a problem.
func (p Problems) Any() bool { return len(p) > 0 }

func (p Problems) Error() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, k+": "+p[k])
	}
	return "federation: " + strings.Join(parts, "; ")
}

// Bounds on the texts a decision or a proposal carries.
const (
	maxText      = 2000
	maxReference = 2000
)

// Check normalises n (the domain, trimmed texts; a lift's block settings
// cleared) and says what is wrong with it. A block needs a severity, a
// ground and, unless it is imported, a public reason; every decision needs
// a reference; a review date lies ahead.
func (n *NewDecision) Check(today time.Time) Problems {
	p := Problems{}
	domain, err := NormalizeDomain(n.Domain)
	var de *DomainError
	if errors.As(err, &de) {
		p["domain"] = de.Message
	}
	n.Domain = domain
	n.PublicReason, n.PrivateNote, n.Reference = strings.TrimSpace(n.PublicReason), strings.TrimSpace(n.PrivateNote), strings.TrimSpace(n.Reference)
	switch n.Action {
	case Block:
		n.checkBlock(p)
	case Lift:
		n.Settings, n.Ground, n.ReviewOn = Settings{}, "", nil
	default:
		p["action"] = "Choose whether to block the server or lift its block."
	}
	if n.PublicReason == "" && n.Source != FromImport {
		p["public_reason"] = "Say why, in words the co-op's members and the server's people can read: this is published."
	}
	n.checkTexts(p)
	if n.ReviewOn != nil && !n.ReviewOn.After(today) {
		p["review_on"] = "Choose a review date after today, or leave it empty."
	}
	return p
}

func (n *NewDecision) checkBlock(p Problems) {
	if !validSeverity(n.Severity) {
		p["severity"] = "Choose suspend, silence or noop."
	}
	if _, ok := GroundOf(string(n.Ground)); !ok {
		p["ground"] = "Choose the ground the co-op's policies give for this block."
	}
}

func (n *NewDecision) checkTexts(p Problems) {
	switch {
	case n.Reference == "":
		p["reference"] = "Say where this was decided: the address of the Loomio or forum thread, or a few words."
	case utf8.RuneCountInString(n.Reference) > maxReference:
		p["reference"] = "This is too long (at most 2000 characters)."
	}
	if utf8.RuneCountInString(n.PublicReason) > maxText {
		p["public_reason"] = "This is too long (at most 2000 characters)."
	}
	if utf8.RuneCountInString(n.PrivateNote) > maxText {
		p["private_note"] = "This is too long (at most 2000 characters)."
	}
}

// Check is n.Check for the service's today, for a form that shows every
// problem before it records.
func (s *Service) Check(n *NewDecision) Problems { return n.Check(s.today()) }
