package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestMembershipDefaults(t *testing.T) {
	c, err := Parse([]byte(validYAML), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	m := c.Membership
	if m.ApplyRegisterEndings != ApplyEndingsConfirm || !reflect.DeepEqual(m.Dues.ReminderDays, []int{30, 7}) ||
		m.Dues.Grace() != 30 || m.Dues.EndAfterGrace {
		t.Errorf("defaults: %+v grace %d; want confirm, [30 7], 30, no automatic ending", m, m.Dues.Grace())
	}
	c, err = Parse([]byte(validYAML+"membership:\n  dues: {reminder_days: [7, 30, 7, 1], grace_days: 0}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Membership.Dues.ReminderDays, []int{30, 7, 1}) || c.Membership.Dues.Grace() != 0 {
		t.Errorf("given: %v grace %d; want [30 7 1] in the order they fall due, and no grace", c.Membership.Dues.ReminderDays, c.Membership.Dues.Grace())
	}
	c, err = Parse([]byte(validYAML+"membership:\n  dues: {reminder_days: []}\n"), noEnv)
	if err != nil || len(c.Membership.Dues.ReminderDays) != 0 {
		t.Errorf("reminder_days: [] gave %v, %v; want no reminders", c.Membership.Dues.ReminderDays, err)
	}
}

func TestMembershipKeysAreCheckedByName(t *testing.T) {
	tests := map[string]string{
		"apply_register_endings: always":          "membership.apply_register_endings: must be one of: confirm automatic",
		"dues: {reminder_days: [30, 0]}":          "membership.dues.reminder_days[1]: must be at least 1",
		"dues: {grace_days: -1}":                  "membership.dues.grace_days: must be at least 0",
		"dues: {grace_days: soon}":                "membership.dues.grace_days: cannot unmarshal",
		"how_to_pay: {url: 'javascript:alert()'}": "membership.how_to_pay.url: must be an absolute http or https URL",
		"colour: red":                             "colour",
	}
	for src, want := range tests {
		t.Run(src, func(t *testing.T) {
			_, err := Parse([]byte(validYAML+"membership:\n  "+src+"\n"), noEnv)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v; want %q", err, want)
			}
		})
	}
}
