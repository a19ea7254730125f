package register

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DuesStatus says whether a member's subscription is paid up, as far as the
// register knows.
type DuesStatus string

// The dues statuses register_entries allows.
const (
	DuesPaid    DuesStatus = "paid"
	DuesUnpaid  DuesStatus = "unpaid"
	DuesUnknown DuesStatus = "unknown"
)

// Entry is one line of the member register, mirroring register_entries.
type Entry struct {
	ID               int64 // 0 until stored
	MembershipNumber string
	Name             string
	PostalAddress    string   // lines separated by "\n"
	Emails           []string // lower-cased; nil when none
	Class            string   // worker / user / investor ...
	SharesHeld       int
	// AmountPaidPence is the amount paid on the member's shares in pence:
	// whole numbers keep money exact in Go, and numeric(12,2) in the table.
	AmountPaidPence int64
	AdmittedOn      *time.Time // a date: midnight UTC
	CeasedOn        *time.Time // a date: midnight UTC; nil while a member
	CeasedReason    string     // resigned / expelled / unpaid subscription / free text
	DuesStatus      DuesStatus
	PaidUntil       *time.Time // the last day the subscription covers (midnight UTC); nil: dues not tracked
	Source          string     // csv / opencollective / admin
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Active reports whether e is a current member on day: never ceased, or
// ceasing after day. Someone whose membership ends today is no longer active.
func (e Entry) Active(day time.Time) bool {
	return e.CeasedOn == nil || e.CeasedOn.After(dateOf(day))
}

// FieldError is one problem with one field, worded for the secretary.
type FieldError struct {
	Field   string // a column name of the CSV format, e.g. "emails"
	Message string
}

// InvalidEntryError lists every problem with an entry given to Upsert or
// Import, so that a form can show each message beside its field.
type InvalidEntryError struct {
	Problems []FieldError
}

func (e *InvalidEntryError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "register: invalid entry: " + strings.Join(parts, "; ")
}

// ErrNotFound is returned when no entry matches.
var ErrNotFound = errors.New("register: no such entry")

// dateOf is the calendar date of t, where t is, as midnight UTC: the form in
// which the register holds dates.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func formatPence(p int64) string {
	sign, u := "", uint64(p)
	if p < 0 {
		sign, u = "-", uint64(-(p+1))+1 // -p would overflow for the most negative int64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
