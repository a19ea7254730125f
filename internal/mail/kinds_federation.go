package mail

// The federation decisions' mail: a member told what became of their
// proposal, and moderators reminded of decisions due for review.

// ProposalAccepted tells a member that moderators blocked the server they
// proposed blocking.
type ProposalAccepted struct {
	Name      string
	Domain    string
	Severity  string // suspend, silence or noop, in words
	Reason    string // the public reason
	Reference string // where it was decided: a thread's address or free text
	Link      string // the domain's page on /federation
}

// ProposalDeclined tells a member that moderators did not block the server
// they proposed blocking, and why.
type ProposalDeclined struct {
	Name   string
	Domain string
	Reason string
	Link   string // the published list
}

// ReviewItem is one decision past its review date.
type ReviewItem struct {
	Domain   string
	Severity string
	Ground   string
	ReviewOn string // as a date, "2 Jan 2027"
}

// ReviewDigest is the weekly reminder to a moderator of the decisions past
// their review date.
type ReviewDigest struct {
	Name  string
	Items []ReviewItem
	Link  string // the moderators' page
}

func (ProposalAccepted) template() string { return "federation_proposal_accepted" }
func (ProposalDeclined) template() string { return "federation_proposal_declined" }
func (ReviewDigest) template() string     { return "federation_review_digest" }
