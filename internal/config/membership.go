package config

import (
	"slices"
	"strings"
)

// Membership says how the member register reaches people's standing and
// how dues are followed (docs/membership.md).
type Membership struct {
	// ApplyRegisterEndings: "confirm" (the default) lists the endings and
	// reinstatements the register asks for, for the secretary to confirm;
	// "automatic" applies them at once. Entries missing from a full upload
	// are only ever listed.
	ApplyRegisterEndings string   `yaml:"apply_register_endings" validate:"omitempty,oneof=confirm automatic"`
	Dues                 Dues     `yaml:"dues"`
	HowToPay             HowToPay `yaml:"how_to_pay"`
}

// The values of membership.apply_register_endings.
const (
	ApplyEndingsConfirm   = "confirm"
	ApplyEndingsAutomatic = "automatic"
)

// Dues tunes the reminders before a member's paid_until date and what
// happens after it.
type Dues struct {
	// ReminderDays: a reminder is mailed this many days before paid_until,
	// once each. Default [30, 7]; [] for none.
	ReminderDays []int `yaml:"reminder_days" validate:"max=10,dive,min=1,max=366"`
	// GraceDays after paid_until the member is "in grace"; after that,
	// "lapsed". Default 30. A pointer, so that 0 (no grace) can be chosen.
	GraceDays *int `yaml:"grace_days" validate:"omitempty,min=0,max=366"`
	// EndAfterGrace ends a lapsed membership without the secretary.
	EndAfterGrace bool `yaml:"end_after_grace"`
}

// Grace is grace_days, defaulted.
func (d Dues) Grace() int {
	if d.GraceDays == nil {
		return defaultGraceDays
	}
	return *d.GraceDays
}

const defaultGraceDays = 30

// HowToPay is what a member is told about paying dues or reaching the
// secretary, on their account page and in dues mail.
type HowToPay struct {
	Text string `yaml:"text" validate:"max=1000"`
	URL  string `yaml:"url" validate:"omitempty,http_url"`
}

// membershipDefaults fills in the membership keys left out, and puts the
// reminder days in the order they fall due (furthest first, no repeats).
func (m *Membership) applyDefaults() {
	setDefault(&m.ApplyRegisterEndings, ApplyEndingsConfirm)
	if m.Dues.ReminderDays == nil {
		m.Dues.ReminderDays = []int{30, 7}
	}
	slices.Sort(m.Dues.ReminderDays)
	slices.Reverse(m.Dues.ReminderDays)
	m.Dues.ReminderDays = slices.Compact(m.Dues.ReminderDays)
	m.HowToPay.Text = strings.TrimSpace(m.HowToPay.Text)
	m.HowToPay.URL = strings.TrimSpace(m.HowToPay.URL)
}
