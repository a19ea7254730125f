// Package page is what every area of coopgate's web pages shares: rendering a
// typed page inside the layout, the error adapter that never shows internal
// error text, form validation with a message beside each field, CSRF fields,
// the request's context (request id, client IP, and the logged-in person the
// session manager put there) and the guards of pages that need a login
// (LoggedIn), the secretary (SecretaryOnly) or a moderator (ModeratorOnly).
// It owns no routes and no session: internal/session does.
package page
