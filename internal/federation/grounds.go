package federation

// Ground is why a server is blocked: one of a closed list, each backed by
// one of the co-op's policies. Politics is not one of them, on purpose.
type Ground string

// The grounds a block may stand on.
const (
	Spam           Ground = "spam"
	Attacks        Ground = "attacks"
	HateSpeech     Ground = "hate-speech"
	IllegalContent Ground = "illegal-content"
)

// GroundInfo says what a ground means and which policy backs it.
type GroundInfo struct {
	ID      Ground
	Label   string
	Meaning string
	// PolicyID is the co-op's policy that backs it; a decision records its
	// version current at the time. Empty: the law, not a policy.
	PolicyID string
}

// Policies whose words the grounds and the form stand on.
const (
	FreeSpeechPolicy = "free-speech"
	HateSpeechPolicy = "no-hate-speech"
)

// Grounds are the grounds in the order the forms offer them.
var Grounds = []GroundInfo{
	{Spam, "Spam", "unwanted messages sent in bulk or by automation: advertising, scams, link farms, floods of posts, follows or mentions", FreeSpeechPolicy},
	{Attacks, "Attacks and abuse", "abuse of the network: floods, harassment campaigns, malware, attacks on our servers", FreeSpeechPolicy},
	{HateSpeech, "Hate speech", "speech that breaks the co-op's no-hate-speech policy, or incites violence", HateSpeechPolicy},
	{IllegalContent, "Illegal content", "content that is against the law, such as child sexual abuse material", ""},
}

// GroundOf is the ground called id.
func GroundOf(id string) (GroundInfo, bool) {
	for _, g := range Grounds {
		if string(g.ID) == id {
			return g, true
		}
	}
	return GroundInfo{}, false
}

// Label is the ground's name for people; an unknown one is shown as stored.
func (g Ground) Label() string {
	if info, ok := GroundOf(string(g)); ok {
		return info.Label
	}
	return string(g)
}

// Severity is what Mastodon does to a blocked server.
type Severity string

// Mastodon's severities (DomainBlock#severity).
const (
	Suspend Severity = "suspend" // nothing from or to it
	Silence Severity = "silence" // hidden from those who do not follow its accounts
	Noop    Severity = "noop"    // no limit on accounts; with reject_media, media only
)

// Severities are the severities in the order the forms offer them.
var Severities = []Severity{Suspend, Silence, Noop}

// Words says what the severity does, for people.
func (s Severity) Words() string {
	switch s {
	case Suspend:
		return "suspended"
	case Silence:
		return "limited"
	case Noop:
		return "no limit on accounts"
	}
	return string(s)
}

// Meaning says what Mastodon does at the severity, for the forms.
func (s Severity) Meaning() string {
	switch s {
	case Suspend:
		return "nothing is exchanged with the server, and what our Mastodon holds of its accounts is removed"
	case Silence:
		return "its posts reach only the people here who follow its accounts"
	case Noop:
		return "no limit on its accounts: use it with rejecting media or reports"
	}
	return ""
}

func validSeverity(s Severity) bool { return s == Suspend || s == Silence || s == Noop }
