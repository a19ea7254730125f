package register

import (
	"fmt"
	"strings"

	"github.com/coopgate/coopgate/internal/csvfile"
)

// record turns one CSV record into a Row, or into the reasons it is not one.
func (p *parser) record(line int, rec []string) {
	if msg := p.layout.widthProblem(rec); msg != "" {
		p.addError(line, "", msg)
		return
	}
	if reason := p.layout.skipReason(rec); reason != "" {
		p.res.Skipped = append(p.res.Skipped, Skipped{Line: line, Reason: reason})
		return
	}
	e, bad := p.layout.entry(rec)
	e, probs := normalise(e)
	for _, pr := range probs {
		if _, already := bad[pr.Field]; !already {
			bad[pr.Field] = pr.Message
		}
	}
	if first, dup := p.firstLine[e.MembershipNumber]; dup && e.MembershipNumber != "" {
		if _, already := bad["membership_number"]; !already {
			bad["membership_number"] = fmt.Sprintf("%s is already on line %d", quoteShort(e.MembershipNumber), first)
		}
	} else if e.MembershipNumber != "" {
		p.firstLine[e.MembershipNumber] = line
	}
	if len(bad) == 0 {
		p.res.Rows = append(p.res.Rows, Row{Line: line, Entry: e, Fields: p.layout.fields})
		return
	}
	p.addFieldErrors(line, bad)
}

// addFieldErrors reports a row's problems in column order, each under the
// name the file's header gives its column.
func (p *parser) addFieldErrors(line int, bad map[string]string) {
	for _, field := range fieldColumns() {
		if msg, ok := bad[field]; ok {
			p.addError(line, p.layout.headerFor(field), msg)
		}
	}
}

// widthProblem accepts empty cells past the header's last column, which
// spreadsheets write, but not a row whose cells would not line up.
func (l *layout) widthProblem(rec []string) string {
	if len(rec) < l.width {
		return fmt.Sprintf("has %d cells where the header has %d", len(rec), l.width)
	}
	if !isBlank(rec[l.width:]) {
		return fmt.Sprintf("has more cells than the header's %d", l.width)
	}
	return ""
}

// skipReason leaves out Open Collective rows that are not memberships: only
// backers (financial contributors) and members are taken.
func (l *layout) skipReason(rec []string) string {
	if l.role < 0 {
		return ""
	}
	switch role := strings.ToUpper(strings.TrimSpace(rec[l.role])); role {
	case "BACKER", "MEMBER":
		return ""
	case "":
		return "no role"
	default:
		return "role " + quoteShort(role) + " is not a membership"
	}
}

// entry reads the row's cells into an Entry, with a message per field whose
// cell could not be read.
func (l *layout) entry(rec []string) (Entry, map[string]string) {
	e := Entry{Source: string(l.format)}
	bad := map[string]string{}
	for _, c := range l.columns {
		cell := strings.TrimSpace(rec[c.index])
		if l.format == FormatCSV {
			cell = csvfile.Unguard(cell)
		}
		if msg := c.set(&e, cell); msg != "" {
			bad[c.field] = msg
		}
	}
	if strings.TrimSpace(e.Source) == "" {
		e.Source = string(l.format)
	}
	if l.lastPaidAt >= 0 {
		if msg := l.ocPaidUntil(rec, &e); msg != "" {
			bad["paid_until"] = msg
		}
	}
	return e, bad
}

// ocPaidUntil works paid_until out from Open Collective's last payment
// (docs/register.md has the rule): a year after it while Open Collective
// counts the member as active, the day of it once it does not, and nothing
// for a member who never paid. Open Collective writes the export's own time
// as lastTransactionAt when there was no payment, so its amount decides.
func (l *layout) ocPaidUntil(rec []string, e *Entry) string {
	if l.lastPaidAmount >= 0 {
		amount := strings.TrimSpace(rec[l.lastPaidAmount])
		if pence, msg := parseAmount(amount); msg != "" || pence == 0 {
			return "" // no payment (or no amount to tell by): dues not tracked
		}
	}
	paid, msg := ocDate(strings.TrimSpace(rec[l.lastPaidAt]))
	if msg != "" || paid == nil {
		return msg
	}
	if e.DuesStatus == DuesPaid {
		next := paid.AddDate(1, 0, 0)
		paid = &next
	}
	e.PaidUntil = paid
	return ""
}
