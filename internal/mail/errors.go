package mail

import (
	"errors"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// DeliveryError is a failed delivery attempt. Its text never holds the
// recipient's address (it goes into logs and into River's job errors).
type DeliveryError struct {
	// Permanent: the mail server refused this message for good (a 5xx reply
	// to the recipient or the content), so sending it again cannot help.
	// Everything else (no connection, TLS, 4xx, authentication) is
	// temporary: it is about the server or our configuration, and the mail
	// waits until that is fixed.
	Permanent bool
	Code      int // the SMTP reply code, 0 if there was no reply
	text      string
	err       error
}

func (e *DeliveryError) Error() string { return e.text }

// Unwrap lets callers see a context cancellation or deadline underneath.
func (e *DeliveryError) Unwrap() error { return e.err }

// IsPermanent reports whether err is a delivery that must not be retried.
func IsPermanent(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Permanent
}

// deliveryError classifies an error from go-mail for a message to addr.
func deliveryError(err error, addr string) *DeliveryError {
	code := replyCode(err)
	return &DeliveryError{
		Permanent: code >= 500 && refusedMessage(err),
		Code:      code,
		text:      "mail: " + redact(err.Error(), addr),
		err:       err,
	}
}

func replyCode(err error) int {
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return reply.Code
	}
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		return sendErr.ErrorCode()
	}
	return 0
}

// refusedMessage reports whether the refusal was about this message (its
// recipient or its content) rather than about the session: a 5xx to AUTH or
// STARTTLS is a configuration problem that every message would hit, and
// cancelling them all would lose mail that a fixed config would deliver.
func refusedMessage(err error) bool {
	var sendErr *gomail.SendError
	if !errors.As(err, &sendErr) {
		return false
	}
	switch sendErr.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return true
	}
	return false
}

// redact replaces the recipient's address, wherever the library or the
// server's reply quotes it, with its domain.
func redact(text, addr string) string {
	if parsed, err := mail.ParseAddress(addr); err == nil {
		addr = parsed.Address
	}
	addr = strings.Trim(addr, "<> ")
	if addr == "" {
		return text
	}
	pattern := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(addr))
	return pattern.ReplaceAllString(text, "…@"+domainOf(addr))
}
