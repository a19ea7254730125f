// Package page is what every area of coopgate's web pages shares: rendering a
// typed page inside the layout, the error adapter that never shows internal
// error text, form validation with a message beside each field, CSRF fields,
// and the request's context (request id, client IP, logged-in person).
// It owns no routes.
package page
