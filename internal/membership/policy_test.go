package membership

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/people"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

func TestStandingOn(t *testing.T) {
	p := Policy{GraceDays: 30}
	paid := ptr(d("2026-03-31"))
	tests := []struct {
		paidUntil *time.Time
		on        time.Time
		want      Standing
	}{
		{nil, d("2030-01-01"), Active},
		{paid, d("2026-03-31").Add(23 * time.Hour), Active}, // paid_until is the last day paid for
		{paid, d("2026-04-01"), InGrace},
		{paid, d("2026-04-30"), InGrace},
		{paid, d("2026-05-01"), Lapsed},
	}
	for _, tt := range tests {
		if got := p.StandingOn(tt.paidUntil, tt.on); got != tt.want {
			t.Errorf("paid until %v, on %s: %s; want %s", tt.paidUntil, tt.on, got, tt.want)
		}
	}
	if got := (Policy{GraceDays: 0}).StandingOn(paid, d("2026-04-01")); got != Lapsed {
		t.Errorf("no grace, the day after: %s; want lapsed", got)
	}
}

func TestNoticeDue(t *testing.T) {
	p := Policy{ReminderDays: []int{30, 7}, GraceDays: 30}
	paid := d("2026-03-31")
	tests := []struct {
		on   string
		want string
	}{
		{"2026-02-28", ""},       // 31 days before
		{"2026-03-01", "due-30"}, // 30
		{"2026-03-23", "due-30"}, // 8
		{"2026-03-24", "due-7"},  // 7: the nearer reminder wins once due
		{"2026-03-31", "due-7"},  // the day itself
		{"2026-04-01", "passed"},
		{"2026-04-30", "passed"}, // the grace's last day
		{"2026-05-01", ""},       // lapsed: the secretary's list, no more mail
	}
	for _, tt := range tests {
		if got := p.NoticeDue(paid, d(tt.on)); got != tt.want {
			t.Errorf("on %s: %q; want %q", tt.on, got, tt.want)
		}
	}
	if got := (Policy{GraceDays: 0}).NoticeDue(paid, d("2026-04-01")); got != "" {
		t.Errorf("without grace, the day after: %q; want no notice (pay-by would be past)", got)
	}
	if got := (Policy{GraceDays: 30}).NoticeDue(paid, d("2026-03-30")); got != "" {
		t.Errorf("without reminders: %q", got)
	}
}

// The claim a relying party reads: dates as YYYY-MM-DD, null when unknown.
func TestClaim(t *testing.T) {
	p := Policy{GraceDays: 30}
	admitted := time.Date(2024, 5, 6, 22, 30, 0, 0, time.UTC)
	tests := []struct {
		person people.Person
		want   string
	}{
		{people.Person{MembershipClass: "worker", MemberSince: ptr(d("2019-04-01")), PaidUntil: ptr(d("2026-03-31")), AdmittedAt: &admitted},
			`{"class":"worker","member_since":"2019-04-01","paid_until":"2026-03-31","standing":"in_grace"}`},
		{people.Person{AdmittedAt: &admitted},
			`{"class":"","member_since":"2024-05-06","paid_until":null,"standing":"active"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(p.Claim(&tt.person, d("2026-04-02")))
		if err != nil || string(b) != tt.want {
			t.Errorf("claim %s, %v; want %s", b, err, tt.want)
		}
	}
}
