// Package mail owns coopgate's outgoing mail: the typed templates (from
// web/mail) that turn a kind of mail and its data into a Message, the Sender
// seam with its SMTP, console and recording implementations, and the durable
// queue that delivers mail through River jobs written in the same transaction
// as the change that causes them.
//
// A message can carry a single-use link, so it is sealed (seal.Box, purpose
// "mail") while it waits in the job table, and the package never logs a body,
// a link or a full address: only the recipient's domain and a short hash.
//
// It must not know about people, applications or admission, nor build
// links to pages: callers decide who gets which mail and pass addresses,
// links and template data. Code that changes state queues mail through an Outbox
// in its transaction rather than calling a Sender directly, so a rolled-back
// change sends nothing.
package mail
