// Package admission owns who gets in and who stays in: sign-up, email
// verification, the admission decision (allow-listed domain, member
// register, or the secretary's approval), enrolling a member directly (the
// CLI, `coopgate dev`), rejection, ending and reinstating a membership,
// password reset and change of email.
//
// Each transition is one transaction that also writes its audit event and
// enqueues what it causes (mail, downstream account jobs): nothing is
// half-done. Sign-up and requests for mailed links are queued (requests.go)
// so that the page's answer never depends on whether an address has an
// account. It renders no pages; internal/web's areas call it.
package admission
