package register

import (
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits that keep one entry within what a person would write; they also
// keep a mistaken column (a whole letter pasted into "class") out of the
// register.
const (
	maxNumberLen  = 64
	maxNameLen    = 200
	maxAddressLen = 1000
	maxClassLen   = 100
	maxReasonLen  = 500
	maxSourceLen  = 32
	maxEmails     = 10
	maxEmailLen   = 254               // RFC 5321's limit on a forward path
	maxPence      = 1_000_000_000_000 // numeric(12,2) holds up to 9999999999.99
	maxShares     = math.MaxInt32     // the column is an integer
	minYear       = 1800              // societies older than this register are not expected
	maxYear       = 9999
)

// normalise returns e in the register's one canonical form, with every
// problem found. The same fact then has the same text whether it came from a
// file, the admin form or the database, which is what makes a re-import
// report "unchanged" and an export parse back to itself. normalise is
// idempotent.
func normalise(e Entry) (Entry, []FieldError) {
	var probs []FieldError
	add := func(field, msg string) { probs = append(probs, FieldError{field, msg}) }

	e.MembershipNumber = singleLine(e.MembershipNumber)
	e.Name = singleLine(e.Name)
	e.PostalAddress = multiLine(e.PostalAddress)
	e.Class = singleLine(e.Class)
	e.CeasedReason = singleLine(e.CeasedReason)
	checkText(add, "membership_number", e.MembershipNumber, maxNumberLen, true)
	checkText(add, "name", e.Name, maxNameLen, true)
	checkText(add, "postal_address", e.PostalAddress, maxAddressLen, false)
	checkText(add, "class", e.Class, maxClassLen, false)
	checkText(add, "ceased_reason", e.CeasedReason, maxReasonLen, false)

	var msg string
	if e.Emails, msg = normaliseEmails(e.Emails); msg != "" {
		add("emails", msg)
	}
	if e.DuesStatus, msg = normaliseDues(e.DuesStatus); msg != "" {
		add("dues_status", msg)
	}
	if e.Source, msg = normaliseSource(e.Source); msg != "" {
		add("source", msg)
	}
	checkNumbers(add, e)
	e.AdmittedOn, e.CeasedOn, e.PaidUntil = datePtr(e.AdmittedOn), datePtr(e.CeasedOn), datePtr(e.PaidUntil)
	checkDates(add, e)
	return e, probs
}

// singleLine trims s and collapses every run of white space, line breaks
// included, to one space: a name or class never spans lines.
func singleLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// multiLine is singleLine for each line of an address, dropping empty lines,
// with "\n" between lines whatever the file used.
func multiLine(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var lines []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = singleLine(line); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

func checkText(add func(string, string), field, s string, maxLen int, required bool) {
	switch {
	case required && s == "":
		add(field, "required")
	case !utf8.ValidString(s):
		add(field, "not valid UTF-8 text")
	case len(s) > maxLen:
		add(field, "too long (at most "+strconv.Itoa(maxLen)+" bytes)")
	case strings.ContainsFunc(s, isForbiddenControl):
		// PostgreSQL refuses NUL in text, and no one types the others.
		add(field, "contains a control character")
	}
}

func isForbiddenControl(r rune) bool {
	return r != '\n' && unicode.IsControl(r)
}

// normaliseEmails lower-cases, validates and de-duplicates addresses, keeping
// their order; nil when there are none.
func normaliseEmails(in []string) ([]string, string) {
	var out []string
	for _, raw := range in {
		addr := strings.ToLower(strings.TrimSpace(raw))
		if addr == "" || slices.Contains(out, addr) {
			continue
		}
		if !validEmail(addr) {
			return out, quoteShort(raw) + " is not an email address"
		}
		if len(out) == maxEmails {
			return out, "more than " + strconv.Itoa(maxEmails) + " addresses"
		}
		out = append(out, addr)
	}
	return out, ""
}

// validEmail accepts a bare address (no display name, no angle brackets)
// whose domain has a dot: net/mail alone would take "Ann <a@b>" or "a@b".
func validEmail(addr string) bool {
	if len(addr) > maxEmailLen || !utf8.ValidString(addr) || strings.ContainsAny(addr, ";, \t\r\n") {
		return false
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Name != "" || parsed.Address != addr {
		return false
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func normaliseDues(d DuesStatus) (DuesStatus, string) {
	d = DuesStatus(strings.ToLower(strings.TrimSpace(string(d))))
	switch d {
	case "":
		return DuesUnknown, ""
	case DuesPaid, DuesUnpaid, DuesUnknown:
		return d, ""
	}
	return d, "must be paid, unpaid or unknown"
}

func normaliseSource(s string) (string, string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > maxSourceLen || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return s, "must be a short word such as csv, opencollective or admin"
	}
	return s, ""
}

func checkNumbers(add func(string, string), e Entry) {
	if e.SharesHeld < 0 || e.SharesHeld > maxShares {
		add("shares_held", "must be a whole number from 0 to "+strconv.Itoa(maxShares))
	}
	if e.AmountPaidPence < 0 || e.AmountPaidPence >= maxPence {
		add("amount_paid", "must be from 0.00 to 9999999999.99")
	}
}

func checkDates(add func(string, string), e Entry) {
	checkYear(add, "admitted_on", e.AdmittedOn)
	checkYear(add, "ceased_on", e.CeasedOn)
	checkYear(add, "paid_until", e.PaidUntil)
	if e.AdmittedOn != nil && e.CeasedOn != nil && e.CeasedOn.Before(*e.AdmittedOn) {
		add("ceased_on", "is before admitted_on")
	}
	if e.CeasedOn == nil && e.CeasedReason != "" {
		add("ceased_reason", "given without a ceased_on date")
	}
}

func checkYear(add func(string, string), field string, date *time.Time) {
	if date != nil && (date.Year() < minYear || date.Year() > maxYear) {
		add(field, "year must be from "+strconv.Itoa(minYear)+" to "+strconv.Itoa(maxYear))
	}
}

func datePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := dateOf(*t)
	return &d
}

// quoteShort quotes s for a message, cut short so that a pasted essay does
// not flood the preview.
func quoteShort(s string) string {
	const max = 60
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return `"` + s + `"`
}
