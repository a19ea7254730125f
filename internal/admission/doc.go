// Package admission owns who gets in and who stays in: sign-up, email
// verification, the admission decision (allow-listed domain, member
// register, or the secretary's approval), enrolling a member directly (the
// CLI, `coopgate dev`), rejection, ending and reinstating a membership,
// password reset and change of email.
//
// It owns the applications, the allow-list of email domains (seeded from
// the configuration by SeedDomains) and the single-use tokens of mailed
// links (email_tokens, pruned by Prune). People are read and changed only
// through internal/people.
//
// Each transition is one transaction that also writes its audit event and
// enqueues what it causes (mail through a mail.Outbox, downstream account
// jobs through the Downstream seam): nothing is half-done. Sign-up and
// requests for mailed links are queued (requests.go), sealed, so that the
// page's answer never depends on whether an address has an account.
//
// A sign-up still to be confirmed may be someone else's than the address's
// owner: a newer sign-up for the address replaces it, and confirming it
// keeps its password only in the browser that made it (Proof) or through a
// reset link, which sets a new one. It renders no pages; internal/web's
// areas call it.
package admission
