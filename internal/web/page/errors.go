package page

import (
	"errors"
	"fmt"
	"net/http"
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

// safe returns what may be shown for err.
func safe(err error) (int, string) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Status, pe.Message
	}
	return http.StatusInternalServerError, "Something went wrong on our side. Please try again in a moment."
}
