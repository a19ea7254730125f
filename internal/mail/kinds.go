package mail

import "time"

// Data is the typed content of one kind of mail; Render picks the templates
// by its type. Name is always the recipient's name and may be empty (the
// greeting then has none). Links are absolute URLs the caller built.
type Data interface {
	template() string
}

// VerifyEmail asks a new sign-up to confirm their address.
type VerifyEmail struct {
	Name    string
	Link    string        // the single-use verification link
	Expires time.Duration // how long the link works
}

// AlreadyRegistered goes to an address that someone tried to sign up with
// although it already has an account. It says so without telling the person
// who signed up, who gets the usual "check your mail" page.
type AlreadyRegistered struct {
	Name      string
	LoginLink string
	ResetLink string // where to ask for a password reset
}

// PasswordReset carries a single-use link to choose a new password.
type PasswordReset struct {
	Name    string
	Link    string
	Expires time.Duration
	// Unconfirmed: the address's sign-up is still to be confirmed, and the
	// link confirms it as the password is chosen.
	Unconfirmed bool
}

// SignUpLapsed answers a request for a link to an address whose sign-up was
// never confirmed and can no longer be: it points to the sign-up form.
type SignUpLapsed struct {
	Name string // always empty: the name typed at sign-up may not be the owner's
	Link string // the sign-up form
}

// EmailChange goes to a new address to confirm it before it replaces the old one.
type EmailChange struct {
	Name       string
	NewAddress string
	Link       string
	Expires    time.Duration
}

// Applicant is a person waiting for a secretary's decision, as the
// secretaries see them.
type Applicant struct {
	Name     string
	Email    string
	Username string
	Note     string // what the applicant wrote to the secretaries; may be empty
}

// ApplicationReceived tells a secretary that an application needs a decision.
type ApplicationReceived struct {
	Name       string // the secretary's
	Applicant  Applicant
	FailedRule string // why admission was not automatic, in words for the secretary
	Link       string // the applications page, /admin/applications
}

// ApplicationApproved tells an applicant they are admitted.
type ApplicationApproved struct {
	Name string
	Link string // where to log in
}

// ApplicationRejected tells an applicant they were not admitted.
type ApplicationRejected struct {
	Name   string
	Reason string // the secretary's reason; may be empty
}

// MembershipEnded tells a member their membership (and access) has ended.
type MembershipEnded struct {
	Name   string
	Reason string // may be empty
}

// MembershipReinstated tells a former member they are a member again.
type MembershipReinstated struct {
	Name string
	Link string // where to log in
}

// AddEmail goes to an address a member wants to add to their account,
// to confirm it is theirs before it counts.
type AddEmail struct {
	Name       string
	NewAddress string
	Link       string
	Expires    time.Duration
}

// HowToPay is the co-op's own words on paying dues (membership.how_to_pay),
// and where to pay; either may be empty.
type HowToPay struct {
	Text string
	URL  string
}

// DuesReminder tells a member their dues run out soon.
type DuesReminder struct {
	Name      string
	PaidUntil string // the last day paid for, written out ("31 March 2026")
	DaysLeft  int
	Pay       HowToPay
}

// DuesOverdue tells a member their dues ran out and how long they have to
// pay before the secretary may end their membership.
type DuesOverdue struct {
	Name       string
	PaidUntil  string
	GraceUntil string // the last day of the grace period, written out
	Pay        HowToPay
}

// SecondFactorChanged tells a person their second factors changed (one
// added or removed, a recovery code used, new codes made, all reset by the
// secretary), so that someone else's change is noticed.
type SecondFactorChanged struct {
	Name      string
	Change    string // what happened, a sentence coopgate wrote; may quote a passkey's name
	Link      string // their second-factor page
	ResetLink string // where to reset the password if it wasn't them
}

func (VerifyEmail) template() string          { return "verify_email" }
func (AddEmail) template() string             { return "add_email" }
func (DuesReminder) template() string         { return "dues_reminder" }
func (DuesOverdue) template() string          { return "dues_overdue" }
func (AlreadyRegistered) template() string    { return "already_registered" }
func (PasswordReset) template() string        { return "password_reset" }
func (SignUpLapsed) template() string         { return "signup_lapsed" }
func (EmailChange) template() string          { return "email_change" }
func (ApplicationReceived) template() string  { return "application_received" }
func (ApplicationApproved) template() string  { return "application_approved" }
func (ApplicationRejected) template() string  { return "application_rejected" }
func (MembershipEnded) template() string      { return "membership_ended" }
func (MembershipReinstated) template() string { return "membership_reinstated" }
func (SecondFactorChanged) template() string  { return "second_factor_changed" }
