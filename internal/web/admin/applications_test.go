package admin_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
	"github.com/coopgate/coopgate/internal/people"
)

func decideAction(id int64, decision string) string {
	return "/admin/applications/" + strconv.FormatInt(id, 10) + "/" + decision
}

func TestApproveFromTheQueue(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(smtp))
	_, b := secretary(t, g, "sec@example.coop", "sec")
	ann, id := applicant(t, g, "ann@elsewhere.org", "ann")

	queue := g.URL + "/admin/applications"
	_, queuePage := apptest.Get(t, b, queue)
	wantContains(t, "queue", queuePage, "ann@elsewhere.org", "I run the bakery stall", "elsewhere.org is not an allowed email domain")
	resp, body := apptest.Submit(t, b, queue, queuePage, decideAction(id, "approve"), nil)
	wantStatus(t, "approve", resp, http.StatusSeeOther)
	_, body = apptest.Follow(t, b, g.URL, resp, body)
	wantContains(t, "after approving", body, "was approved")

	if got := status(t, g, ann.ID); got != people.Admitted {
		t.Errorf("status after approval = %s", got)
	}
	if n := events(t, g, "application.approve", ann.ID); n != 1 {
		t.Errorf("%d application.approve events, want 1", n)
	}
	msg := smtp.WaitFor(t, ann.Email, 15*time.Second)
	if !strings.Contains(msg.Subject, "approved") {
		t.Errorf("mail to the applicant: %q", msg.Subject)
	}

	t.Run("a second click is a notice, not an error", func(t *testing.T) {
		// The same form again, as a double click or a back button sends it.
		resp, body := apptest.Submit(t, b, queue, queuePage, decideAction(id, "approve"), nil)
		wantStatus(t, "second approval", resp, http.StatusConflict)
		wantContains(t, "second approval", body, "already approved by sec@example.coop")
		if n := events(t, g, "application.approve", ann.ID); n != 1 {
			t.Errorf("%d application.approve events, want 1", n)
		}
	})
}

func TestRejectNeedsAReason(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, b := secretary(t, g, "sec@example.coop", "sec")
	ann, id := applicant(t, g, "ann@elsewhere.org", "ann")
	queue := g.URL + "/admin/applications"
	_, page := apptest.Get(t, b, queue)

	for name, reason := range map[string]string{"empty": "", "blank": "  \n ", "too long": strings.Repeat("x", 2001)} {
		t.Run(name, func(t *testing.T) {
			resp, body := apptest.Submit(t, b, queue, page, decideAction(id, "reject"), url.Values{"reason": {reason}})
			wantStatus(t, "reject", resp, http.StatusUnprocessableEntity)
			reasonField := "reason-" + strconv.FormatInt(id, 10)
			wantContains(t, "reject", body, `aria-invalid="true"`, `class="field-error" id="`+reasonField+`-error"`)
			if strings.TrimSpace(reason) != "" && !strings.Contains(body, ">"+reason+"</textarea>") {
				t.Error("the reason typed is not kept")
			}
			if got := status(t, g, ann.ID); got != people.AwaitingApproval {
				t.Errorf("status = %s", got)
			}
			if n := events(t, g, "application.reject", ann.ID); n != 0 {
				t.Errorf("%d application.reject events", n)
			}
		})
	}

	resp, _ := apptest.Submit(t, b, queue, page, decideAction(id, "reject"), url.Values{"reason": {"We only admit people who live in the parish."}})
	wantStatus(t, "reject with a reason", resp, http.StatusSeeOther)
	if got := status(t, g, ann.ID); got != people.Rejected {
		t.Errorf("status = %s", got)
	}
	if n := count(t, g, `SELECT count(*) FROM audit_events WHERE action = 'application.reject' AND subject_id = $1
		AND after->>'reason' = 'We only admit people who live in the parish.'`, ann.ID); n != 1 {
		t.Errorf("%d application.reject events with the reason, want 1", n)
	}
	_, body := apptest.Get(t, b, queue+"?state=rejected")
	wantContains(t, "decided list", body, "We only admit people who live in the parish.", "sec@example.coop")
}

// Two secretaries press Approve on the same applicant at the same moment:
// one approval wins, the other is told, and the log has one approval.
func TestConcurrentApprovalsApproveOnce(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, one := secretary(t, g, "one@example.coop", "one")
	_, two := secretary(t, g, "two@example.coop", "two")
	queue := g.URL + "/admin/applications"
	for i := range 5 {
		p, id := applicant(t, g, "app"+strconv.Itoa(i)+"@elsewhere.org", "app"+strconv.Itoa(i))
		_, pageOne := apptest.Get(t, one, queue)
		_, pageTwo := apptest.Get(t, two, queue)
		codes := make([]int, 2)
		bodies := make([]string, 2)
		var start, done sync.WaitGroup
		start.Add(1)
		for j, b := range []*http.Client{one, two} {
			page := []string{pageOne, pageTwo}[j]
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				resp, body := apptest.Submit(t, b, queue, page, decideAction(id, "approve"), nil)
				codes[j], bodies[j] = resp.StatusCode, body
			}()
		}
		start.Done()
		done.Wait()
		if !(codes[0] == http.StatusSeeOther && codes[1] == http.StatusConflict ||
			codes[0] == http.StatusConflict && codes[1] == http.StatusSeeOther) {
			t.Fatalf("applicant %d: statuses %v, want one 303 and one 409", i, codes)
		}
		loser := bodies[0]
		if codes[1] == http.StatusConflict {
			loser = bodies[1]
		}
		wantContains(t, "the second approval", loser, "already approved by")
		if n := events(t, g, "application.approve", p.ID); n != 1 {
			t.Fatalf("applicant %d: %d application.approve events, want exactly 1", i, n)
		}
	}
}
