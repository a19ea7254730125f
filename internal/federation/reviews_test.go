package federation

import (
	"testing"
	"time"
)

func TestWeeklyNext(t *testing.T) {
	w := weekly{day: time.Monday, hour: 8}
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for from, want := range map[string]string{
		"2027-03-03T12:00:00Z":      "2027-03-08T08:00:00Z", // a Wednesday: next Monday
		"2027-03-08T07:59:00Z":      "2027-03-08T08:00:00Z", // Monday before eight: today
		"2027-03-08T08:00:00Z":      "2027-03-15T08:00:00Z", // Monday at eight: a week on
		"2027-03-14T23:00:00Z":      "2027-03-15T08:00:00Z", // Sunday night
		"2027-03-08T09:00:00+02:00": "2027-03-08T08:00:00Z", // 07:00 UTC on the Monday: eight is in UTC
	} {
		if got := w.Next(at(from)); !got.Equal(at(want)) {
			t.Errorf("Next(%s) = %s, want %s", from, got, want)
		}
	}
}
