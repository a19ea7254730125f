package account

import (
	"context"
	"time"

	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/people"
)

// MembershipSection is the member's standing and email addresses on
// /account (issue 15), rendered by its own template block,
// "account-membership", apart from the rest of the page.
type MembershipSection struct {
	Status      people.Status
	Class       string
	MemberSince *time.Time
	PaidUntil   *time.Time
	GraceUntil  time.Time
	Standing    membership.Standing
	DaysLeft    int // until paid_until; negative once it passed
	Reminders   []int
	EndsItself  bool // membership.dues.end_after_grace
	Pay         mail.HowToPay
	OtherEmails []people.OtherEmail
	// Now is the page's date, for "today"-worded text.
	Now time.Time
}

// Member reports whether the section shows a current membership.
func (m MembershipSection) Member() bool { return m.Status == people.Admitted }

// Ceased reports whether the membership has ended.
func (m MembershipSection) Ceased() bool { return m.Status == people.Ceased }

func (h *Handler) membershipSection(ctx context.Context, me *people.Person) (MembershipSection, error) {
	now := h.Now()
	pol := h.Membership
	m := MembershipSection{Status: me.Status, Class: me.MembershipClass, MemberSince: me.MemberSince, PaidUntil: me.PaidUntil,
		Standing: pol.StandingOn(me.PaidUntil, now), Reminders: pol.ReminderDays, EndsItself: pol.EndAfterGrace,
		Pay: pol.HowToPay, Now: now}
	if m.MemberSince == nil {
		m.MemberSince = me.AdmittedAt
	}
	if me.PaidUntil != nil {
		m.GraceUntil = pol.GraceUntil(*me.PaidUntil)
		m.DaysLeft = int(membership.Day(*me.PaidUntil).Sub(membership.Day(now)).Hours() / 24)
	}
	var err error
	m.OtherEmails, err = people.OtherEmails(ctx, h.Pool, me.ID)
	return m, err
}
