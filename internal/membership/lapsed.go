package membership

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
)

// List names one of the secretary's dues lists.
type List string

// The dues lists.
const (
	ListLapsing List = "lapsing"  // paid until within the next LapsingDays days
	ListInGrace List = "in_grace" // paid_until passed, the grace has not
	ListLapsed  List = "lapsed"   // the grace has passed too
)

// LapsingDays is how far ahead "lapsing" looks.
const LapsingDays = 30

// Due is one admitted member on a dues list.
type Due struct {
	Person     *people.Person
	PaidUntil  time.Time
	GraceUntil time.Time
	Standing   Standing
}

// Dues lists the admitted members on list, soonest paid-until first.
func (s *Service) Dues(ctx context.Context, q database.Querier, list List) ([]Due, error) {
	today := s.today()
	all, err := people.AdmittedPaidUntilBy(ctx, q, today.AddDate(0, 0, LapsingDays))
	if err != nil {
		return nil, err
	}
	var out []Due
	for _, p := range all {
		d := Due{Person: p, PaidUntil: Day(*p.PaidUntil), GraceUntil: s.Policy.GraceUntil(*p.PaidUntil),
			Standing: s.Policy.StandingOn(p.PaidUntil, today)}
		if d.on(list) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (d Due) on(list List) bool {
	switch list {
	case ListLapsing:
		return d.Standing == Active
	case ListInGrace:
		return d.Standing == InGrace
	case ListLapsed:
		return d.Standing == Lapsed
	}
	return false
}

// Counts are the secretary dashboard's numbers.
type Counts struct {
	Changes, Lapsing, InGrace, Lapsed int
}

// Counts counts the changes waiting and the members on each dues list.
func (s *Service) Counts(ctx context.Context, q database.Querier) (Counts, error) {
	var c Counts
	var err error
	if c.Changes, err = CountPending(ctx, q); err != nil {
		return c, err
	}
	for list, n := range map[List]*int{ListLapsing: &c.Lapsing, ListInGrace: &c.InGrace, ListLapsed: &c.Lapsed} {
		dues, err := s.Dues(ctx, q, list)
		if err != nil {
			return c, err
		}
		*n = len(dues)
	}
	return c, nil
}

// lapseReason is the usual reason given for ending a lapsed membership.
func lapseReason(d Due) string {
	return fmt.Sprintf("Your membership dues were paid until %s and were not renewed by %s.",
		LongDate(d.PaidUntil), LongDate(d.GraceUntil))
}

// SuggestedReason is what the secretary's form offers as the reason for
// ending a lapsed membership.
func (d Due) SuggestedReason() string { return lapseReason(d) }

// EndLapsed ends the membership of a member whose dues lapsed (their grace
// passed): through admission, with the reason mailed to them and an audit
// event of the lapse, in one transaction. ErrNotLapsed if they paid or
// are in grace meanwhile.
func (s *Service) EndLapsed(ctx context.Context, personID, reason string, actor audit.Actor) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		p, err := people.ByIDForUpdate(ctx, tx, personID)
		if err != nil {
			return err
		}
		if s.Policy.StandingOn(p.PaidUntil, s.today()) != Lapsed {
			return ErrNotLapsed
		}
		if _, err := s.Admission.CeaseIn(ctx, tx, p.ID, reason, actor); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "membership.end_lapsed", SubjectType: "person", SubjectID: p.ID,
			After: map[string]any{"paid_until": isoDate(p.PaidUntil), "grace_days": s.Policy.GraceDays}})
	})
}

// Extend records that a member's dues are paid until a later day (they
// paid, or the secretary grants time), on their register entry, audited.
func (s *Service) Extend(ctx context.Context, personID string, paidUntil time.Time, actor audit.Actor) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		p, err := people.ByIDForUpdate(ctx, tx, personID)
		if err != nil {
			return err
		}
		if p.RegisterEntryID == nil {
			return ErrNotLinked
		}
		day := Day(paidUntil)
		if day.Before(s.today()) || (p.PaidUntil != nil && !day.After(Day(*p.PaidUntil))) {
			return ErrBadDate
		}
		before, err := register.SetPaidUntil(ctx, tx, *p.RegisterEntryID, day)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "register.extend_dues", SubjectType: "person", SubjectID: p.ID,
			Before: map[string]any{"paid_until": isoDate(before.PaidUntil)},
			After:  map[string]any{"paid_until": isoDate(&day), "register_entry": before.ID, "membership_number": before.MembershipNumber}})
	})
}

// NextPaidUntil is the date the secretary's "extend" offers: a year on
// from the present paid-until date, or from today if that is later.
func NextPaidUntil(paidUntil, today time.Time) time.Time {
	from := Day(paidUntil)
	if t := Day(today); t.After(from) {
		from = t
	}
	return from.AddDate(1, 0, 0)
}
