package register

import (
	"fmt"
	"slices"
	"strings"
)

// column is one column a parser knows: the register field it fills and how a
// cell is read into it. set returns a message for the secretary, or "".
type column struct {
	field string
	set   func(e *Entry, cell string) string
}

// boundColumn is a known column at its place in one file.
type boundColumn struct {
	index  int
	header string // as written in the file, so messages name what the secretary sees
	column
}

// layout is what a file's header says about the rows below it.
type layout struct {
	format  Format
	columns []boundColumn
	role    int // Open Collective's role column; -1 in our CSV
	// Open Collective's lastTransactionAt and lastTransactionAmount
	// columns, which paid_until is worked out from; -1 when absent.
	lastPaidAt, lastPaidAmount int
	width                      int
	fields                     []string // register fields the file has columns for
}

// fieldColumns lists the register's fields in table order. They are also the
// column names of our CSV format and of register_entries.
func fieldColumns() []string {
	return []string{"membership_number", "name", "postal_address", "emails", "class", "shares_held",
		"amount_paid", "admitted_on", "ceased_on", "ceased_reason", "dues_status", "paid_until", "source"}
}

func text(set func(e *Entry, s string)) func(*Entry, string) string {
	return func(e *Entry, s string) string { set(e, s); return "" }
}

// csvColumns are the columns of our documented CSV format, by header key.
func csvColumns() map[string]column {
	return map[string]column{
		"membership_number": {"membership_number", text(func(e *Entry, s string) { e.MembershipNumber = s })},
		"name":              {"name", text(func(e *Entry, s string) { e.Name = s })},
		"postal_address":    {"postal_address", text(func(e *Entry, s string) { e.PostalAddress = s })},
		"emails":            {"emails", text(func(e *Entry, s string) { e.Emails = splitEmails(s) })},
		"class":             {"class", text(func(e *Entry, s string) { e.Class = s })},
		"ceased_reason":     {"ceased_reason", text(func(e *Entry, s string) { e.CeasedReason = s })},
		"dues_status":       {"dues_status", text(func(e *Entry, s string) { e.DuesStatus = DuesStatus(s) })},
		"source":            {"source", text(func(e *Entry, s string) { e.Source = s })},
		"shares_held": {"shares_held", func(e *Entry, s string) (msg string) {
			e.SharesHeld, msg = parseShares(s)
			return msg
		}},
		"amount_paid": {"amount_paid", func(e *Entry, s string) (msg string) {
			e.AmountPaidPence, msg = parseAmount(s)
			return msg
		}},
		"admitted_on": {"admitted_on", func(e *Entry, s string) (msg string) {
			e.AdmittedOn, msg = parseDate(s)
			return msg
		}},
		"ceased_on": {"ceased_on", func(e *Entry, s string) (msg string) {
			e.CeasedOn, msg = parseDate(s)
			return msg
		}},
		"paid_until": {"paid_until", func(e *Entry, s string) (msg string) {
			e.PaidUntil, msg = parseDate(s)
			return msg
		}},
	}
}

// ocColumns are the columns of Open Collective's members export that the
// register takes, by header key; the export's other columns are ignored.
func ocColumns() map[string]column {
	return map[string]column{
		"memberid": {"membership_number", func(e *Entry, s string) (msg string) {
			e.MembershipNumber, msg = ocMembershipNumber(s)
			return msg
		}},
		"name":  {"name", text(func(e *Entry, s string) { e.Name = s })},
		"email": {"emails", text(func(e *Entry, s string) { e.Emails = splitEmails(s) })},
		"tier":  {"class", text(func(e *Entry, s string) { e.Class = s })},
		"isactive": {"dues_status", func(e *Entry, s string) (msg string) {
			e.DuesStatus, msg = ocDues(s)
			return msg
		}},
		"createdat": {"admitted_on", func(e *Entry, s string) (msg string) {
			e.AdmittedOn, msg = ocDate(s)
			return msg
		}},
	}
}

// headerKey makes "Membership Number" and "membership-number" match
// membership_number: people retype headers.
func headerKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(s)
}

// detectLayout tells the two formats apart by Open Collective's MemberId
// column, which ours does not have.
func detectLayout(header []string, line int) (layout, error) {
	header = dropTrailingEmpty(header)
	keys := make([]string, len(header))
	for i, h := range header {
		keys[i] = headerKey(h)
	}
	if slices.Contains(keys, "memberid") {
		return ocLayout(header, keys, line)
	}
	return csvLayout(header, keys, line)
}

func csvLayout(header, keys []string, line int) (layout, error) {
	known := csvColumns()
	lay := layout{format: FormatCSV, role: -1, lastPaidAt: -1, lastPaidAmount: -1, width: len(header)}
	for i, key := range keys {
		if key == "email" { // the singular is what people write
			key = "emails"
		}
		col, ok := known[key]
		if !ok {
			return layout{}, headerError(line, unknownColumn(i, header[i]))
		}
		if err := lay.bind(i, header[i], col, line); err != nil {
			return layout{}, err
		}
	}
	return lay, lay.require(line, "membership_number", "name")
}

func ocLayout(header, keys []string, line int) (layout, error) {
	known := ocColumns()
	lay := layout{format: FormatOpenCollective, role: -1, lastPaidAt: -1, lastPaidAmount: -1, width: len(header)}
	for i, key := range keys {
		switch key {
		case "role":
			lay.role = i
		case "lasttransactionat":
			lay.lastPaidAt = i
		case "lasttransactionamount":
			lay.lastPaidAmount = i
		}
		if col, ok := known[key]; ok {
			if err := lay.bind(i, header[i], col, line); err != nil {
				return layout{}, err
			}
		}
	}
	if lay.role < 0 {
		return layout{}, headerError(line, `Open Collective export without a "role" column`)
	}
	lay.fields = append(lay.fields, "source")
	if lay.lastPaidAt >= 0 {
		lay.fields = append(lay.fields, "paid_until")
	}
	return lay, lay.require(line, "membership_number", "name")
}

func (l *layout) bind(i int, header string, col column, line int) error {
	if slices.Contains(l.fields, col.field) {
		return headerError(line, fmt.Sprintf("column %q repeats the %s column", header, col.field))
	}
	l.columns = append(l.columns, boundColumn{index: i, header: strings.TrimSpace(header), column: col})
	l.fields = append(l.fields, col.field)
	return nil
}

func (l *layout) require(line int, fields ...string) error {
	for _, f := range fields {
		if !slices.Contains(l.fields, f) {
			return headerError(line, fmt.Sprintf("the %s column is required", f))
		}
	}
	return nil
}

// headerFor names field as the file's header does, for messages.
func (l *layout) headerFor(field string) string {
	for _, c := range l.columns {
		if c.field == field {
			return c.header
		}
	}
	return field
}

func unknownColumn(i int, name string) string {
	if strings.TrimSpace(name) == "" {
		return fmt.Sprintf("column %d has no name", i+1)
	}
	return fmt.Sprintf("unknown column %s (known columns: %s)", quoteShort(name), strings.Join(fieldColumns(), ", "))
}

// dropTrailingEmpty removes empty header cells at the end of the row, which
// spreadsheets leave behind after a column is deleted.
func dropTrailingEmpty(header []string) []string {
	for len(header) > 0 && strings.TrimSpace(header[len(header)-1]) == "" {
		header = header[:len(header)-1]
	}
	return header
}
