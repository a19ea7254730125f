package membership

import (
	"fmt"
	"time"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
)

// Standing is where a member stands with their dues.
type Standing string

// The standings. A member whose dues are not tracked (no paid_until) is
// active.
const (
	Active  Standing = "active"   // paid until today or later
	InGrace Standing = "in_grace" // paid_until has passed, the grace period has not
	Lapsed  Standing = "lapsed"   // the grace period has passed too
)

// Policy is the co-op's membership configuration, as the rules use it.
type Policy struct {
	// ApplyAutomatically applies register endings and reinstatements
	// without the secretary (membership.apply_register_endings: automatic).
	ApplyAutomatically bool
	ReminderDays       []int // furthest first
	GraceDays          int
	EndAfterGrace      bool
	HowToPay           mail.HowToPay
}

// PolicyFrom reads the policy from the validated configuration.
func PolicyFrom(c config.Membership) Policy {
	return Policy{
		ApplyAutomatically: c.ApplyRegisterEndings == config.ApplyEndingsAutomatic,
		ReminderDays:       c.Dues.ReminderDays,
		GraceDays:          c.Dues.Grace(),
		EndAfterGrace:      c.Dues.EndAfterGrace,
		HowToPay:           mail.HowToPay{Text: c.HowToPay.Text, URL: c.HowToPay.URL},
	}
}

// Day is the calendar date of t in UTC, as midnight UTC: the form in which
// the register holds dates, and the one every rule here compares.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween is the number of days from a to b (both dates).
func daysBetween(a, b time.Time) int {
	return int(Day(b).Sub(Day(a)).Hours() / 24)
}

// GraceUntil is the last day of the grace period after paidUntil.
func (p Policy) GraceUntil(paidUntil time.Time) time.Time {
	return Day(paidUntil).AddDate(0, 0, p.GraceDays)
}

// StandingOn is the standing on day of a member paid until paidUntil.
// paid_until is the last day paid for: the member is active through it.
func (p Policy) StandingOn(paidUntil *time.Time, day time.Time) Standing {
	switch {
	case paidUntil == nil || !Day(day).After(Day(*paidUntil)):
		return Active
	case !Day(day).After(p.GraceUntil(*paidUntil)):
		return InGrace
	}
	return Lapsed
}

// Notice kinds, as dues_notices stores them: "due-30" (30 days before),
// "due-7", and "passed" (the day after paid_until, during the grace).
const noticePassed = "passed"

func reminderNotice(days int) string { return fmt.Sprintf("due-%d", days) }

// NoticeDue is the dues notice a member paid until paidUntil is due on day,
// or "". Before paid_until it is the reminder of the fewest days still at
// least the days left: a reminder whose day was missed (the scan did not
// run, or dues were recorded late) is not sent late once a nearer one is
// due. After it, while the grace lasts, the notice that it passed.
func (p Policy) NoticeDue(paidUntil time.Time, day time.Time) string {
	left := daysBetween(day, paidUntil)
	if left < 0 {
		if p.GraceDays > 0 && -left <= p.GraceDays {
			return noticePassed
		}
		return ""
	}
	notice := ""
	for _, d := range p.ReminderDays { // furthest first: the last that fits is the nearest
		if left <= d {
			notice = reminderNotice(d)
		}
	}
	return notice
}

// maxReminderDays is how far ahead of paid_until the first reminder falls.
func (p Policy) maxReminderDays() int {
	if len(p.ReminderDays) == 0 {
		return 0
	}
	return p.ReminderDays[0]
}

// Claim is the `membership` claim of the `coop` scope: what a relying party
// needs to show or limit features by standing.
type Claim struct {
	Class       string   `json:"class"`
	MemberSince *string  `json:"member_since"` // YYYY-MM-DD
	PaidUntil   *string  `json:"paid_until"`   // YYYY-MM-DD; null when dues are not tracked
	Standing    Standing `json:"standing"`
}

// Claim is person's `membership` claim at now. Member since is the
// register's admitted_on date, or the day coopgate admitted them.
func (p Policy) Claim(person *people.Person, now time.Time) Claim {
	c := Claim{Class: person.MembershipClass, Standing: p.StandingOn(person.PaidUntil, now)}
	since := person.MemberSince
	if since == nil {
		since = person.AdmittedAt
	}
	c.MemberSince, c.PaidUntil = isoDate(since), isoDate(person.PaidUntil)
	return c
}

func isoDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := Day(*t).Format(time.DateOnly)
	return &s
}

// LongDate writes a date as people read it in mail and on pages.
func LongDate(t time.Time) string { return Day(t).Format("2 January 2006") }
