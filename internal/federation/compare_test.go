package federation

import (
	"slices"
	"strings"
	"testing"
)

func block(id int64, domain string, sev Severity, reason string) Decision {
	return Decision{ID: id, Domain: domain, Action: Block, Settings: Settings{Severity: sev}, Ground: Spam, PublicReason: reason}
}

func lift(id int64, domain string) Decision { return Decision{ID: id, Domain: domain, Action: Lift} }

func remote(domain string, sev Severity, comment string) RemoteBlock {
	return RemoteBlock{Domain: domain, ID: "r-" + domain, Settings: Settings{Severity: sev}, PublicComment: comment}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name    string
		latest  []Decision
		remote  []RemoteBlock
		applied map[string]Applied
		want    []string // "domain kind"
	}{
		{name: "in step", latest: []Decision{block(1, "spam.example", Suspend, "spam")},
			remote: []RemoteBlock{remote("spam.example", Suspend, "spam")}},
		{name: "decided, not on Mastodon", latest: []Decision{block(1, "spam.example", Suspend, "spam")},
			want: []string{"spam.example missing"}},
		{name: "severity differs", latest: []Decision{block(1, "spam.example", Suspend, "spam")},
			remote: []RemoteBlock{remote("spam.example", Silence, "spam")}, want: []string{"spam.example differs"}},
		{name: "public comment differs", latest: []Decision{block(1, "spam.example", Suspend, "spam")},
			remote: []RemoteBlock{remote("spam.example", Suspend, "edited in Mastodon")}, want: []string{"spam.example differs"}},
		{name: "made on Mastodon", remote: []RemoteBlock{remote("drift.example", Silence, "")},
			want: []string{"drift.example not_decided"}},
		{name: "lift on its way", latest: []Decision{lift(2, "old.example")},
			remote: []RemoteBlock{remote("old.example", Suspend, "")}, applied: map[string]Applied{"old.example": {DecisionID: 1, State: stateApplied}},
			want: []string{"old.example unlifted"}},
		{name: "lift failed", latest: []Decision{lift(2, "old.example")},
			remote: []RemoteBlock{remote("old.example", Suspend, "")}, applied: map[string]Applied{"old.example": {DecisionID: 2, State: stateFailed}},
			want: []string{"old.example unlifted"}},
		{name: "blocked on Mastodon again after the lift", latest: []Decision{lift(2, "old.example")},
			remote: []RemoteBlock{remote("old.example", Suspend, "")}, applied: map[string]Applied{"old.example": {DecisionID: 2, State: stateApplied}},
			want: []string{"old.example not_decided"}},
		{name: "lifted, gone from Mastodon", latest: []Decision{lift(2, "old.example")}},
		{name: "covered by a parent's stricter block", latest: []Decision{block(1, "a.spam.example", Silence, "x")},
			remote: []RemoteBlock{remote("spam.example", Suspend, "")}, want: []string{"spam.example not_decided"}},
		{name: "a stricter block than the parent's is not covered", latest: []Decision{block(1, "a.spam.example", Suspend, "x")},
			remote: []RemoteBlock{remote("spam.example", Silence, "")}, want: []string{"a.spam.example missing", "spam.example not_decided"}},
		{name: "a lookalike is no parent", latest: []Decision{block(1, "notspam.example", Silence, "x")},
			remote: []RemoteBlock{remote("spam.example", Suspend, "")}, want: []string{"notspam.example missing", "spam.example not_decided"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range Compare(tc.latest, tc.remote, tc.applied) {
				got = append(got, d.Domain+" "+string(d.Kind))
				if d.Plan() == "" {
					t.Errorf("%s: no plan", d.Domain)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCompareSaysWhatDiffers(t *testing.T) {
	d := block(1, "spam.example", Suspend, "spam")
	d.RejectMedia = true
	diffs := Compare([]Decision{d}, []RemoteBlock{remote("spam.example", Silence, "spam")}, nil)
	plan := diffs[0].Plan()
	for _, want := range []string{"severity: silence on Mastodon, suspend decided", "reject media: false on Mastodon, true decided"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan %q; want %q", plan, want)
		}
	}
}

// TestStricterThan follows DomainBlock#stricter_than?.
func TestStricterThan(t *testing.T) {
	s := func(sev Severity, media, reports bool) Settings {
		return Settings{Severity: sev, RejectMedia: media, RejectReports: reports}
	}
	for _, tc := range []struct {
		b, other Settings
		want     bool
	}{
		{s(Suspend, false, false), s(Suspend, true, true), true},
		{s(Silence, true, true), s(Suspend, false, false), false},
		{s(Noop, true, true), s(Silence, false, false), false},
		{s(Silence, false, false), s(Silence, false, false), true},
		{s(Silence, false, false), s(Silence, true, false), false},
		{s(Noop, true, false), s(Noop, false, false), true},
		{s(Silence, false, true), s(Noop, true, false), false},
	} {
		if got := stricterThan(tc.b, tc.other); got != tc.want {
			t.Errorf("stricterThan(%+v, %+v) = %v", tc.b, tc.other, got)
		}
	}
}
