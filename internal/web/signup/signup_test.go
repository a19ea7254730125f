package signup_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
	"github.com/coopgate/coopgate/internal/people"
)

func TestSignUpWithAllowedDomainIsAdmitted(t *testing.T) {
	t.Parallel()
	e := start(t)
	browser := apptest.Browser(t)
	ann := newApplicant("ann@example.coop", "ann")
	resp, body := e.signUp(t, browser, ann)
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(body, "Check your email") || !strings.Contains(body, ann.Email) {
		t.Fatalf("sign-up answered:\n%s", body)
	}
	if where, _ := e.statusOf(t, browser); where != "/login" {
		t.Fatalf("after sign-up /status went to %q; want /login: the mailed link logs in, not the sign-up", where)
	}

	msg, link := e.link(t, ann.Email, "/verify?token=")
	if p := e.person(t, ann.Email); p.Status != people.SignedUp || p.EmailVerified {
		t.Fatalf("after sign-up: status %s, verified %v", p.Status, p.EmailVerified)
	}
	// Whoever signed up knows the password; until the link is followed it
	// opens nothing, and says so as a wrong password would.
	if resp := logInWith(t, e, apptest.Browser(t), ann.Email, ann.Password); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("logging in before confirming answered %d, want 401 as for a wrong password", resp.StatusCode)
	}
	if !strings.Contains(msg.Subject, "Confirm your email address") {
		t.Errorf("verification mail subject %q", msg.Subject)
	}
	// A mail scanner's GET must not spend the link.
	apptest.Get(t, apptest.Browser(t), link)
	resp, body = e.verify(t, browser, link)
	if resp.StatusCode != http.StatusSeeOther || location(resp) != "/continue" {
		t.Fatalf("verification answered %d → %q; want 303 to /continue\n%s", resp.StatusCode, location(resp), body)
	}
	if p := e.person(t, ann.Email); p.Status != people.Admitted || !p.EmailVerified {
		t.Fatalf("after verification: status %s, verified %v", p.Status, p.EmailVerified)
	}
	resp, _ = apptest.Follow(t, browser, e.g.URL, resp, body)
	if resp.Request.URL.Path != "/account" {
		t.Errorf("/continue ended at %s; want /account (no relying party was waiting)", resp.Request.URL.Path)
	}
}

func TestSignUpElsewhereAwaitsTheSecretary(t *testing.T) {
	t.Parallel()
	e := start(t)
	browser := apptest.Browser(t)
	bob := newApplicant("bob@elsewhere.org", "bob")
	bob.Note = "I am a member of the sister co-op."
	resp, body := e.signUp(t, browser, bob)
	wantStatus(t, resp, body, http.StatusOK)
	_, link := e.link(t, bob.Email, "/verify?token=")
	resp, body = e.verify(t, browser, link)
	if resp.StatusCode != http.StatusSeeOther || location(resp) != "/status" {
		t.Fatalf("verification answered %d → %q; want 303 to /status\n%s", resp.StatusCode, location(resp), body)
	}
	if where, status := e.statusOf(t, browser); where != "" || !strings.Contains(status, "Waiting for the membership secretary") {
		t.Errorf("status page: %q\n%s", where, status)
	}
	if p := e.person(t, bob.Email); p.Status != people.AwaitingApproval {
		t.Errorf("status %s; want awaiting_approval", p.Status)
	}
	sec := e.mail.WaitFor(t, "secretary@example.coop", mailWait)
	if !strings.Contains(sec.Text, bob.Email) || !strings.Contains(sec.Text, bob.Note) || !strings.Contains(sec.Text, "/admin/applications") {
		t.Errorf("secretary's mail lacks the applicant, their note or the link:\n%s", sec.Text)
	}
}

func TestSignUpFormErrorsKeepWhatWasTyped(t *testing.T) {
	t.Parallel()
	e := start(t)
	browser := apptest.Browser(t)
	resp, body := apptest.Get(t, browser, e.g.URL+"/signup")
	fields := url.Values{"name": {"Ann <Example>"}, "email": {"ann-at-example.coop"}, "username": {"Ann Smith!"},
		"password": {"tiny-pw"}, "membership_number": {"M-42"}, "note": {strings.Repeat("x", 501)}}
	resp, body = apptest.Submit(t, browser, e.g.URL+"/signup", body, "/signup", fields)
	wantStatus(t, resp, body, http.StatusUnprocessableEntity)
	for _, kept := range []string{`value="Ann &lt;Example&gt;"`, `value="ann-at-example.coop"`, `value="ann smith!"`, `value="M-42"`} {
		if !strings.Contains(body, kept) {
			t.Errorf("the form lost what was typed: no %s", kept)
		}
	}
	if strings.Contains(body, "tiny-pw") {
		t.Error("the page sent the password back")
	}
	wrong := []string{"email", "username", "password", "note"}
	for _, f := range []string{"free-speech", "no-hate-speech"} {
		wrong = append(wrong, "accept-"+f)
	}
	for _, f := range wrong {
		if !strings.Contains(body, `id="`+f+`-error"`) {
			t.Errorf("no message beside %s", f)
		}
		if !fieldMarkedInvalid(body, f) {
			t.Errorf("%s is not marked aria-invalid and described by its message", f)
		}
	}
	for _, f := range []string{"name", "membership_number"} {
		if strings.Contains(body, `id="`+f+`-error"`) {
			t.Errorf("%s was right but has an error message", f)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM people`); n != 0 {
		t.Errorf("%d people created from a wrong form", n)
	}
}

// fieldMarkedInvalid finds the input with id f and checks its attributes.
func fieldMarkedInvalid(body, id string) bool {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return false
	}
	end := strings.IndexByte(body[i:], '>')
	tag := body[i : i+end]
	return strings.Contains(tag, `aria-invalid="true"`) && strings.Contains(tag, id+`-error`)
}

func TestTakenUsernameIsAFieldError(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	for _, email := range []string{"other@example.coop", "ann@example.coop"} {
		t.Run(email, func(t *testing.T) {
			a := newApplicant(email, "Ann")
			resp, body := e.signUp(t, apptest.Browser(t), a)
			wantStatus(t, resp, body, http.StatusUnprocessableEntity)
			if !strings.Contains(body, `id="username-error"`) || !strings.Contains(body, "already has this username") {
				t.Errorf("no username message:\n%s", body)
			}
			if !strings.Contains(body, `value="`+email+`"`) {
				t.Error("the email typed was lost")
			}
		})
	}
	if n := e.count(t, `SELECT count(*) FROM people`); n != 1 {
		t.Errorf("%d people; want only ann", n)
	}
}

// TestRegisteredEmailGetsTheSameAnswer: nothing a sign-up's sender can see
// tells a registered address from a new one: not the page, the status, the
// headers or cookies, the browser's standing afterwards, whether the
// username became taken, or a login with the password they chose.
func TestRegisteredEmailGetsTheSameAnswer(t *testing.T) {
	t.Parallel()
	e := start(t)
	owner := e.g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)

	fresh := apptest.Browser(t)
	zoe := newApplicant("zoe@example.coop", "zoe")
	respNew, bodyNew := e.signUp(t, fresh, zoe)
	intruder := apptest.Browser(t)
	impostor := newApplicant(owner.Email, "annagain")
	respOld, bodyOld := e.signUp(t, intruder, impostor)

	if respNew.StatusCode != respOld.StatusCode {
		t.Errorf("status %d for a new address, %d for a registered one", respNew.StatusCode, respOld.StatusCode)
	}
	if a, b := sameShape(bodyNew, zoe.Email), sameShape(bodyOld, owner.Email); a != b {
		t.Errorf("the pages differ:\n--- new address\n%s\n--- registered address\n%s", a, b)
	}
	if a, b := headerShape(respNew.Header), headerShape(respOld.Header); a != b {
		t.Errorf("the headers differ:\n--- new address\n%s\n--- registered address\n%s", a, b)
	}
	for name, b := range map[string]*http.Client{"new": fresh, "registered": intruder} {
		if where, _ := e.statusOf(t, b); where != "/login" {
			t.Errorf("after signing up with a %s address, /status went to %q; want /login for both", name, where)
		}
	}
	msg := e.mail.WaitFor(t, owner.Email, mailWait)
	if !strings.Contains(msg.Text, "You already have an account") || mailtest.FindLink(msg.Text, e.g.URL+"/password/forgot") == "" {
		t.Errorf("the owner's mail does not say so or lacks the reset link:\n%s", msg.Text)
	}
	e.link(t, zoe.Email, "/verify?token=") // both sign-ups have been carried out
	for _, username := range []string{"zoe", "annagain"} {
		resp, body := e.signUp(t, apptest.Browser(t), newApplicant(username+"2@elsewhere.org", username))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already has this username") {
			t.Errorf("username %s after its sign-up: %d; want it taken whichever address signed up with it", username, resp.StatusCode)
		}
	}
	for _, a := range []applicant{zoe, impostor} {
		if resp := logInWith(t, e, apptest.Browser(t), a.Email, a.Password); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("logging in as %s with the password typed at sign-up answered %d; want 401 for both", a.Username, resp.StatusCode)
		}
	}
	if p := e.person(t, owner.Email); p.ID != owner.ID || p.Username != "ann" || p.Status != people.Admitted {
		t.Errorf("the owner's account changed: %+v", p)
	}
	if n := e.count(t, `SELECT count(*) FROM people WHERE username = 'annagain'`); n != 0 {
		t.Error("a second account was made for a registered address")
	}
}

func TestHoneypotAnswersLikeSuccessAndMakesNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	bot := newApplicant("bot@example.coop", "bot")
	respBot, bodyBot := e.signUpAt(t, apptest.Browser(t), e.g.URL+"/signup", bot, url.Values{"website": {"http://spam.example/"}})
	wantStatus(t, respBot, bodyBot, http.StatusOK)
	// The jobs the gateway queues as it starts (RunOnStart) are not the bot's.
	if n := e.count(t, `SELECT count(*) FROM river_job`+" WHERE kind NOT IN ('prune_expired', 'membership_scan')"); n != 0 {
		t.Fatalf("the bot queued %d jobs", n)
	}
	ann := newApplicant("ann@example.coop", "ann")
	respHuman, bodyHuman := e.signUp(t, apptest.Browser(t), ann)
	if respHuman.StatusCode != respBot.StatusCode || sameShape(bodyHuman, ann.Email) != sameShape(bodyBot, bot.Email) {
		t.Errorf("the bot's answer differs from a person's:\n%s\n---\n%s", bodyBot, bodyHuman)
	}
	e.link(t, ann.Email, "/verify?token=")
	if n := e.count(t, `SELECT count(*) FROM people`); n != 1 {
		t.Errorf("%d people after a bot's and a person's sign-up; want the person only", n)
	}
	if n := e.mailJobs(t); n != 1 {
		t.Errorf("%d mails after one real sign-up", n)
	}
}

func TestSignUpRateLimits(t *testing.T) {
	t.Parallel()
	e := start(t)
	same := "cap@elsewhere.org"
	for i, u := range []string{"cap1", "cap2", "cap3"} {
		resp, _ := e.signUp(t, apptest.Browser(t), newApplicant(same, u))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sign-up %d for one address answered %d", i+1, resp.StatusCode)
		}
	}
	resp, body := e.signUp(t, apptest.Browser(t), newApplicant(same, "cap4"))
	wantStatus(t, resp, body, http.StatusTooManyRequests)
	if !strings.Contains(body, "Too many sign-ups") {
		t.Errorf("429 page without a clear message:\n%s", body)
	}
	// Three from this network so far; seven more fill its hour.
	for i := 0; i < 7; i++ {
		a := newApplicant("n"+string(rune('a'+i))+"@elsewhere.org", "net"+string(rune('a'+i)))
		if resp, body := e.signUp(t, apptest.Browser(t), a); resp.StatusCode != http.StatusOK {
			t.Fatalf("sign-up %d from the network answered %d\n%s", i+4, resp.StatusCode, body)
		}
	}
	resp, body = e.signUp(t, apptest.Browser(t), newApplicant("last@elsewhere.org", "last"))
	wantStatus(t, resp, body, http.StatusTooManyRequests)
	if n := e.count(t, `SELECT count(*) FROM people WHERE username IN ('cap4', 'last')`); n != 0 {
		t.Error("a refused sign-up made an account")
	}
}
