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
func (AlreadyRegistered) template() string    { return "already_registered" }
func (PasswordReset) template() string        { return "password_reset" }
func (EmailChange) template() string          { return "email_change" }
func (ApplicationReceived) template() string  { return "application_received" }
func (ApplicationApproved) template() string  { return "application_approved" }
func (ApplicationRejected) template() string  { return "application_rejected" }
func (MembershipEnded) template() string      { return "membership_ended" }
func (MembershipReinstated) template() string { return "membership_reinstated" }
func (SecondFactorChanged) template() string  { return "second_factor_changed" }
