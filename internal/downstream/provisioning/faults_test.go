package provisioning_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerErrorsAreRetriedUntilTheyConverge: a run of 500s delays the
// account, and the retries end with exactly one user.
func TestServerErrorsAreRetriedUntilTheyConverge(t *testing.T) {
	h := newHarness(t, only("discourse"))
	ann, appID := h.applicant(t, "ann")
	h.discourse.FailNext(4, http.StatusInternalServerError)

	h.approve(t, appID)
	eventually(t, "discourse account active", func() (bool, string) {
		a := h.account(t, ann.ID, "discourse")
		return a.State == "active", describe(a)
	})
	h.waitJobs(t, "downstream_ensure", 1)
	if n := h.discourse.Users(); n != 1 {
		t.Errorf("%d discourse users after retries; want 1", n)
	}
	jobs := h.jobsOf(t, "downstream_ensure")
	if len(jobs) != 1 || jobs[0].State != "completed" || jobs[0].Errors == 0 {
		t.Errorf("jobs %+v; want one completed job that failed at least once on the way", jobs)
	}
	if a := h.account(t, ann.ID, "discourse"); a.LastError != "" {
		t.Errorf("last error %q kept after success", a.LastError)
	}
}

// TestAServiceThatIsDownDelaysTheChangeAndDoesNotLoseIt: while GitLab does
// not answer, the account waits with the error shown; once it is back the
// job finishes.
func TestAServiceThatIsDownDelaysTheChangeAndDoesNotLoseIt(t *testing.T) {
	h := newHarness(t, only("gitlab"))
	ann, appID := h.applicant(t, "ann")
	h.gitlab.SetDown(true)

	h.approve(t, appID)
	eventually(t, "the outage shows, and the job keeps trying", func() (bool, string) {
		a := h.account(t, ann.ID, "gitlab")
		jobs := h.jobsOf(t, "downstream_ensure")
		return a.State == "pending" && strings.Contains(a.LastError, "unreachable") && len(jobs) == 1 && jobs[0].Errors >= 3,
			describe(a) + describe(jobs)
	})
	h.gitlab.SetDown(false)
	eventually(t, "gitlab account active", func() (bool, string) {
		a := h.account(t, ann.ID, "gitlab")
		return a.State == "active" && a.LastError == "", describe(a)
	})
	if _, ok := h.gitlab.UserBySubject(ann.ID); !ok || h.gitlab.Users() != 1 {
		t.Errorf("%d gitlab users, ann's found: %v; want exactly hers", h.gitlab.Users(), ok)
	}
}

// TestRefusedCredentialsFailAtOnce: a 401 or 403 is the sysadmin's to fix;
// the account is marked failed with a message that says so, and the job is
// not retried.
func TestRefusedCredentialsFailAtOnce(t *testing.T) {
	tests := []struct {
		service string
		change  func(*setup)
		want    []string
	}{
		{"mastodon", func(s *setup) { s.mastodonToken = "revoked" }, []string{"HTTP 401", "credentials", "The access token is invalid"}},
		{"discourse", func(s *setup) { s.discourseKey = "wrong" }, []string{"HTTP 403", "credentials", "API username or key is invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			h := newHarness(t, only(tt.service), tt.change)
			ann, appID := h.applicant(t, "ann")
			h.approve(t, appID)
			eventually(t, "account failed", func() (bool, string) {
				a := h.account(t, ann.ID, tt.service)
				return a.State == "failed", describe(a)
			})
			for _, w := range tt.want {
				if a := h.account(t, ann.ID, tt.service); !strings.Contains(a.LastError, w) {
					t.Errorf("last error %q does not say %q", a.LastError, w)
				}
			}
			calls := len(h.callsTo(tt.service))
			time.Sleep(1500 * time.Millisecond) // fastRetry would have retried many times by now
			jobs := h.jobsOf(t, "downstream_ensure")
			if len(jobs) != 1 || jobs[0].State != "cancelled" || jobs[0].Attempt != 1 {
				t.Errorf("jobs %+v; want one cancelled after one attempt", jobs)
			}
			if n := len(h.callsTo(tt.service)); n != calls {
				t.Errorf("%d calls after the refusal, %d before; want no retry", n, calls)
			}
		})
	}
}

func (h *harness) callsTo(service string) []string {
	var out []string
	calls := h.mastodon.Calls()
	switch service {
	case "discourse":
		calls = h.discourse.Calls()
	case "gitlab":
		calls = h.gitlab.Calls()
	}
	for _, c := range calls {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

// TestRateLimitSnoozesForTheTimeAsked: a 429 with Retry-After puts the job
// off for that long without spending an attempt or counting an error.
func TestRateLimitSnoozesForTheTimeAsked(t *testing.T) {
	h := newHarness(t, only("gitlab"))
	ann, appID := h.applicant(t, "ann")
	h.gitlab.RateLimit(1, 2*time.Second)

	h.approve(t, appID)
	eventually(t, "gitlab account active", func() (bool, string) {
		a := h.account(t, ann.ID, "gitlab")
		return a.State == "active", describe(a)
	})
	h.waitJobs(t, "downstream_ensure", 1)
	jobs := h.jobsOf(t, "downstream_ensure")
	if len(jobs) != 1 {
		t.Fatalf("jobs %+v; want one", jobs)
	}
	j := jobs[0]
	if j.State != "completed" || j.Snoozes != 1 || j.Errors != 0 || j.Attempt != 1 {
		t.Errorf("job %+v; want completed on its first attempt after one snooze and no error", j)
	}
	if j.Duration < 1500*time.Millisecond {
		t.Errorf("job finished %v after it was made; the service asked for 2s", j.Duration)
	}
	if h.gitlab.Users() != 1 {
		t.Errorf("%d gitlab users; want 1", h.gitlab.Users())
	}
}
