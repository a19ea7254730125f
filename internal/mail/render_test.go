package mail_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	coopmail "github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/web"
)

var coop = coopmail.CoopInfo{Name: "Fjärdingen Co-op", URL: "https://id.coop.example", Contact: "secretary@coop.example"}

const hostile = `<script>alert("x")</script>`

// sampleData has every kind of mail, with a hostile value in each field a
// user can type.
func sampleData() map[string]coopmail.Data {
	link := "https://id.coop.example/verify?token=tok123&next=%2F"
	return map[string]coopmail.Data{
		"verify_email":                        coopmail.VerifyEmail{Name: hostile, Link: link, Expires: 24 * time.Hour},
		"already_registered":                  coopmail.AlreadyRegistered{Name: hostile, LoginLink: "https://id.coop.example/login", ResetLink: "https://id.coop.example/reset"},
		"password_reset":                      coopmail.PasswordReset{Name: hostile, Link: link, Expires: 30 * time.Minute},
		"password_reset (sign-up to confirm)": coopmail.PasswordReset{Name: hostile, Link: link, Expires: 30 * time.Minute, Unconfirmed: true},
		"signup_lapsed":                       coopmail.SignUpLapsed{Name: hostile, Link: "https://id.coop.example/signup"},
		"email_change":                        coopmail.EmailChange{Name: hostile, NewAddress: "new@example.org", Link: link, Expires: 48 * time.Hour},
		"application_received": coopmail.ApplicationReceived{
			Name:       "Sec",
			Applicant:  coopmail.Applicant{Name: hostile, Email: "zoe@example.org", Username: "zoe", Note: hostile},
			FailedRule: "example.org is not on the allow-list and the register has no match",
			Link:       "https://id.coop.example/admin/applications",
		},
		"application_approved":  coopmail.ApplicationApproved{Name: hostile, Link: "https://id.coop.example/login"},
		"application_rejected":  coopmail.ApplicationRejected{Name: hostile, Reason: hostile},
		"membership_ended":      coopmail.MembershipEnded{Name: hostile, Reason: hostile},
		"membership_reinstated": coopmail.MembershipReinstated{Name: hostile, Link: "https://id.coop.example/login"},
		"federation_proposal_accepted": coopmail.ProposalAccepted{Name: hostile, Domain: "spam.example", Severity: "suspend",
			Reason: hostile, Reference: hostile, Link: "https://id.coop.example/federation/spam.example"},
		"federation_proposal_declined": coopmail.ProposalDeclined{Name: hostile, Domain: "spam.example", Reason: hostile,
			Link: "https://id.coop.example/federation"},
		"federation_review_digest": coopmail.ReviewDigest{Name: hostile, Link: "https://id.coop.example/moderation/federation",
			Items: []coopmail.ReviewItem{{Domain: "spam.example", Severity: "suspend", Ground: hostile, ReviewOn: "2 Jan 2027"}}},
		"add_email": coopmail.AddEmail{Name: hostile, NewAddress: "other@example.org", Link: link, Expires: 24 * time.Hour},
		"dues_reminder": coopmail.DuesReminder{Name: hostile, PaidUntil: "31 March 2026", DaysLeft: 7,
			Pay: coopmail.HowToPay{Text: hostile, URL: "https://pay.coop.example/dues"}},
		"dues_overdue": coopmail.DuesOverdue{Name: hostile, PaidUntil: "31 March 2026", GraceUntil: "30 April 2026",
			Pay: coopmail.HowToPay{Text: hostile, URL: "https://pay.coop.example/dues"}},
		"second_factor_changed": coopmail.SecondFactorChanged{Name: hostile, Change: "A passkey named " + hostile + " was added.",
			Link: "https://id.coop.example/account/second-factor", ResetLink: "https://id.coop.example/password/forgot"},
	}
}

func newRenderer(t *testing.T) *coopmail.Renderer {
	t.Helper()
	r, err := coopmail.NewRenderer(web.Mail, coop)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEveryTemplateRenders(t *testing.T) {
	r := newRenderer(t)
	for name, data := range sampleData() {
		t.Run(name, func(t *testing.T) {
			msg, err := r.Render("zoe@example.org", data)
			if err != nil {
				t.Fatal(err)
			}
			if msg.To != "zoe@example.org" || msg.Subject == "" || strings.ContainsAny(msg.Subject, "\r\n") {
				t.Errorf("To %q, Subject %q", msg.To, msg.Subject)
			}
			if err := msg.Validate(); err != nil {
				t.Error(err)
			}
			for part, body := range map[string]string{"text": msg.Text, "html": msg.HTML} {
				for _, bad := range []string{"<no value>", "%!", "ZgotmplZ"} {
					if strings.Contains(body, bad) {
						t.Errorf("%s body contains %q:\n%s", part, bad, body)
					}
				}
				if !strings.Contains(body, coop.Name) {
					t.Errorf("%s body does not name the co-op", part)
				}
			}
			if !strings.HasPrefix(msg.HTML, "<!DOCTYPE html>") || !strings.Contains(msg.HTML, `lang="en"`) {
				t.Errorf("HTML not in the layout:\n%s", msg.HTML)
			}
		})
	}
}

func TestTemplatesEscapeWhatUsersTyped(t *testing.T) {
	r := newRenderer(t)
	for name, data := range sampleData() {
		t.Run(name, func(t *testing.T) {
			msg, err := r.Render("zoe@example.org", data)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(msg.HTML, "<script") {
				t.Errorf("HTML holds a live <script>:\n%s", msg.HTML)
			}
			if !strings.Contains(msg.HTML, "&lt;script&gt;") {
				t.Errorf("HTML does not show the typed value, escaped:\n%s", msg.HTML)
			}
			if !strings.Contains(msg.Text, hostile) {
				t.Errorf("text body does not show the typed value as typed:\n%s", msg.Text)
			}
		})
	}
}

func TestLinksAndExpiryReachBothBodies(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		data    coopmail.Data
		link    string
		expires string
	}{
		{coopmail.VerifyEmail{Link: "https://id.coop.example/verify?t=a&b=c", Expires: 24 * time.Hour}, "https://id.coop.example/verify?t=a&b=c", "24 hours"},
		{coopmail.PasswordReset{Link: "https://id.coop.example/reset?t=x", Expires: 30 * time.Minute}, "https://id.coop.example/reset?t=x", "30 minutes"},
		{coopmail.PasswordReset{Link: "https://id.coop.example/reset?t=x", Expires: 30 * time.Minute, Unconfirmed: true}, "https://id.coop.example/reset?t=x", "30 minutes"},
		{coopmail.VerifyEmail{Link: "https://id.coop.example/verify?t=z", Expires: 23*time.Hour + 59*time.Minute}, "https://id.coop.example/verify?t=z", "23 hours"},
		{coopmail.SignUpLapsed{Link: "https://id.coop.example/signup"}, "https://id.coop.example/signup", ""},
		{coopmail.EmailChange{Link: "https://id.coop.example/email?t=y", Expires: 72 * time.Hour}, "https://id.coop.example/email?t=y", "3 days"},
		{coopmail.AddEmail{Link: "https://id.coop.example/account/emails/confirm?t=z", Expires: 24 * time.Hour}, "https://id.coop.example/account/emails/confirm?t=z", "24 hours"},
		{coopmail.DuesReminder{DaysLeft: 7, Pay: coopmail.HowToPay{URL: "https://pay.coop.example/?a=1&b=2"}}, "https://pay.coop.example/?a=1&b=2", ""},
		{coopmail.DuesOverdue{Pay: coopmail.HowToPay{URL: "https://pay.coop.example/dues"}}, "https://pay.coop.example/dues", ""},
		{coopmail.ApplicationReceived{Link: "https://id.coop.example/admin/applications"}, "https://id.coop.example/admin/applications", ""},
		{coopmail.ApplicationApproved{Link: "https://id.coop.example/login"}, "https://id.coop.example/login", ""},
		{coopmail.MembershipReinstated{Link: "https://id.coop.example/login"}, "https://id.coop.example/login", ""},
	}
	for _, tt := range tests {
		msg, err := r.Render("zoe@example.org", tt.data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Text, tt.link) || !strings.Contains(msg.HTML, `href="`+strings.ReplaceAll(tt.link, "&", "&amp;")+`"`) {
			t.Errorf("%T: link %q missing:\n%s\n%s", tt.data, tt.link, msg.Text, msg.HTML)
		}
		if !strings.Contains(msg.Text, "expires in "+tt.expires) || !strings.Contains(msg.HTML, "expires in "+tt.expires) {
			if tt.expires != "" {
				t.Errorf("%T: want %q in both bodies:\n%s", tt.data, "expires in "+tt.expires, msg.Text)
			}
		}
		if strings.Contains(msg.Text, "Hello ,") {
			t.Errorf("%T: greeting with an empty name: %q", tt.data, msg.Text)
		}
	}
}

func TestHTMLRefusesScriptLinks(t *testing.T) {
	msg, err := newRenderer(t).Render("zoe@example.org", coopmail.ApplicationApproved{Link: "javascript:alert(1)"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.HTML, `href="javascript:`) || !strings.Contains(msg.HTML, `href="#ZgotmplZ"`) {
		t.Errorf("HTML links to javascript:\n%s", msg.HTML)
	}
}

func TestNewRendererNeedsEveryPart(t *testing.T) {
	fsys := fstest.MapFS{
		"mail/layout.txt":               {Data: []byte(`{{template "content" .}}`)},
		"mail/layout.html":              {Data: []byte(`{{template "content" .}}`)},
		"mail/verify_email.subject.txt": {Data: []byte("Verify")},
		"mail/verify_email.txt":         {Data: []byte(`{{define "content"}}x{{end}}`)},
	}
	if _, err := coopmail.NewRenderer(fsys, coop); err == nil {
		t.Error("NewRenderer accepted a mail without its HTML template")
	}
}
