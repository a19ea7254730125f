package register

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Cell parsers turn one trimmed cell into a field's value, or return a
// message for the secretary ("" when the cell is fine). Checks that do not
// depend on how the value was written live in normalise.

// parseDate accepts ISO dates and the DD/MM/YYYY a UK spreadsheet shows.
// US-style MM/DD/YYYY cannot be told apart, so it is read as DD/MM.
func parseDate(s string) (*time.Time, string) {
	if s == "" {
		return nil, ""
	}
	for _, layout := range []string{time.DateOnly, "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, ""
		}
	}
	return nil, quoteShort(s) + " is not a date (write YYYY-MM-DD or DD/MM/YYYY)"
}

func parseShares(s string) (int, string) {
	if s == "" {
		return 0, ""
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return 0, quoteShort(s) + " is not a whole number of shares"
	}
	return int(n), ""
}

// parseAmount reads pounds with up to two decimals, a leading "£" allowed,
// into pence without going through a float.
func parseAmount(s string) (int64, string) {
	bad := quoteShort(s) + " is not an amount (write pounds and pence, e.g. 25.00)"
	if s == "" {
		return 0, ""
	}
	pounds, pence, _ := strings.Cut(strings.TrimPrefix(s, "£"), ".")
	if !allDigits(pounds, 1, 10) || !allDigits(pence, 0, 2) {
		return 0, bad
	}
	whole, _ := strconv.ParseInt(pounds, 10, 64)
	frac, _ := strconv.ParseInt(pence+strings.Repeat("0", 2-len(pence)), 10, 64)
	return whole*100 + frac, ""
}

// splitEmails splits a cell holding several addresses, separated by ";",
// "," or white space, the separators people use when a cell holds a list.
func splitEmails(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ';' || r == ',' || unicode.IsSpace(r)
	})
}

// Open Collective's cells.

// ocMembershipNumber prefixes Open Collective's member id, so that its numbers
// cannot collide with the society's own.
func ocMembershipNumber(s string) (string, string) {
	if !allDigits(s, 1, 18) {
		return "", quoteShort(s) + " is not an Open Collective member id"
	}
	return "oc-" + s, ""
}

// ocDate reads createdAt, written "YYYY-MM-DD HH:mm"; the date is kept as
// written.
func ocDate(s string) (*time.Time, string) {
	if s == "" {
		return nil, ""
	}
	for _, layout := range []string{"2006-01-02 15:04", time.DateTime, time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			d := dateOf(t)
			return &d, ""
		}
	}
	return nil, quoteShort(s) + " is not a date and time"
}

// ocDues maps isActive. Older exports wrote false as an empty cell, so an
// empty cell says nothing rather than "unpaid".
func ocDues(s string) (DuesStatus, string) {
	switch strings.ToLower(s) {
	case "true":
		return DuesPaid, ""
	case "false":
		return DuesUnpaid, ""
	case "":
		return DuesUnknown, ""
	}
	return "", quoteShort(s) + " is neither true nor false"
}

func allDigits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
