package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

func TestAllowedDomainsAddAndRemoveAreAudited(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	sec, b := secretary(t, g, "sec@example.coop", "sec")
	domains := g.URL + "/admin/domains"
	_, page := apptest.Get(t, b, domains)
	wantContains(t, "allow-list", page, "example.coop", "configuration") // seeded from the config

	for _, c := range []struct{ typed, msg string }{
		{"not a domain", "Enter a domain such as example.coop"},
		{"someone@partner.example", "Enter a domain such as example.coop"},
		{"EXAMPLE.coop", "already on the allow-list"},
	} {
		resp, body := apptest.Submit(t, b, domains, page, "/admin/domains", url.Values{"domain": {c.typed}, "reason": {"kept"}})
		wantStatus(t, c.typed, resp, http.StatusUnprocessableEntity)
		wantContains(t, c.typed, body, c.msg, `id="domain-error"`, `value="`+c.typed+`"`, `value="kept"`)
	}
	if n := count(t, g, `SELECT count(*) FROM audit_events WHERE action LIKE 'allowed_domain.%'`); n != 0 {
		t.Fatalf("%d allowed_domain events after refused adds", n)
	}

	resp, body := apptest.Submit(t, b, domains, page, "/admin/domains", url.Values{"domain": {" Partner.Example "}, "reason": {"our partner co-op"}})
	wantStatus(t, "add", resp, http.StatusSeeOther)
	_, body = apptest.Follow(t, b, g.URL, resp, body)
	wantContains(t, "after adding", body, "partner.example", "our partner co-op", "sec@example.coop")
	if n := count(t, g, `SELECT count(*) FROM audit_events WHERE action = 'allowed_domain.add' AND subject_id = 'partner.example'
		AND actor_id = $1`, sec.ID); n != 1 {
		t.Errorf("%d allowed_domain.add events by the secretary, want 1", n)
	}

	confirmURL := g.URL + "/admin/domains/partner.example/remove"
	resp, confirm := apptest.Get(t, b, confirmURL)
	wantStatus(t, "confirmation page", resp, http.StatusOK)
	if n := count(t, g, `SELECT count(*) FROM allowed_domains WHERE domain = 'partner.example'`); n != 1 {
		t.Fatal("the confirmation page removed the domain")
	}
	resp, _ = apptest.Submit(t, b, confirmURL, confirm, "/admin/domains/partner.example/remove", nil)
	wantStatus(t, "remove", resp, http.StatusSeeOther)
	if n := count(t, g, `SELECT count(*) FROM allowed_domains WHERE domain = 'partner.example'`); n != 0 {
		t.Error("partner.example is still allowed")
	}
	if n := events(t, g, "allowed_domain.remove", "partner.example"); n != 1 {
		t.Errorf("%d allowed_domain.remove events, want 1", n)
	}

	t.Run("the audit log shows both, filtered", func(t *testing.T) {
		_, body := apptest.Get(t, b, g.URL+"/admin/audit?action=allowed_domain.&actor=sec%40example.coop")
		wantContains(t, "audit log", body, "allowed_domain.add", "allowed_domain.remove", "partner.example")
		if strings.Contains(body, "person.create") {
			t.Error("the action filter let person.create through")
		}
		_, body = apptest.Get(t, b, g.URL+"/admin/audit?actor=nobody%40example.coop")
		wantContains(t, "unknown actor", body, "No one has the email nobody@example.coop", "No events match.")
	})
}
