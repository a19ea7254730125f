package page

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/coopgate/coopgate/internal/database"
)

// Error carries what a person may see (Status, Message) beside the internal
// error, which only the log sees.
type Error struct {
	Status  int
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// NotFound is a page that does not exist (or that the person may not know exists).
func NotFound() error {
	return &Error{Status: http.StatusNotFound, Message: "There is nothing here."}
}

// BadRequest is a request that cannot be acted on; msg is shown.
func BadRequest(msg string) error {
	return &Error{Status: http.StatusBadRequest, Message: msg}
}

// Forbidden is a page the person may not use.
func Forbidden() error {
	return &Error{Status: http.StatusForbidden, Message: "You are not allowed to do that."}
}

// TooMany is a rate limit; msg says when to try again.
func TooMany(msg string) error {
	return &Error{Status: http.StatusTooManyRequests, Message: msg}
}

// Gone is a link that has expired or was used.
func Gone(msg string) error {
	return &Error{Status: http.StatusGone, Message: msg}
}

// databaseDown is what a page says when PostgreSQL cannot be reached and
// the page has nothing more particular to say.
const databaseDown = "We can't reach our records right now. Please try again in a minute."

// WhenDown makes fn's database outages a 503 that says msg ("We can't check
// your password right now…"): the person did nothing wrong and should come
// back, which a 500 or a 4xx would not tell them.
func WhenDown(msg string, fn HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return Unavailable(fn(w, r), msg)
	}
}

// Unavailable is err as a 503 saying msg if err is a database outage, else err.
func Unavailable(err error, msg string) error {
	if !database.Unavailable(err) {
		return err
	}
	return &Error{Status: http.StatusServiceUnavailable, Message: msg, Err: err}
}

// safe returns what may be shown for err. An outage is never shown as the
// client's fault, whatever 4xx a handler joined it with.
func safe(err error) (int, string) {
	var pe *Error
	found := errors.As(err, &pe)
	if database.Unavailable(err) && (!found || pe.Status < 500) {
		return http.StatusServiceUnavailable, databaseDown
	}
	if found {
		return pe.Status, pe.Message
	}
	return http.StatusInternalServerError, "Something went wrong on our side. Please try again in a moment."
}
