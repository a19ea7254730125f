package admin_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

var nextLink = regexp.MustCompile(`href="([^"]+)" rel="next"`)

// next is the page the "next" link of body leads to, or "".
func next(body string) string {
	m := nextLink.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestListingsPage(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, b := secretary(t, g, "sec@example.coop", "sec")
	_, err := g.App.Pool.Exec(context.Background(), `
		INSERT INTO people (email, name, username, password_hash, status)
		SELECT 'm' || i || '@example.coop', 'Member ' || i, 'm' || i, 'x', 'admitted' FROM generate_series(1, 55) i;
		INSERT INTO audit_events (actor_label, action, subject_type, subject_id)
		SELECT 'test', 'test.event', 'thing', i::text FROM generate_series(1, 120) i`)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("people, keeping the filter", func(t *testing.T) {
		_, body := apptest.Get(t, b, g.URL+"/admin/people?status=admitted&q=member")
		wantContains(t, "page 1", body, "55 people.", "Page 1 of 2")
		link := next(body)
		if !strings.Contains(link, "q=member") || !strings.Contains(link, "status=admitted") || !strings.Contains(link, "page=2") {
			t.Fatalf("next link %q", link)
		}
		_, body = apptest.Get(t, b, g.URL+link)
		wantContains(t, "page 2", body, "Page 2 of 2", `rel="prev"`)
		if n := strings.Count(body, `<a href="/admin/people/`); n != 5 {
			t.Errorf("page 2 lists %d people, want 5", n)
		}
		if next(body) != "" {
			t.Error("the last page links to a next one")
		}
	})

	t.Run("audit log, by id", func(t *testing.T) {
		_, body := apptest.Get(t, b, g.URL+"/admin/audit?action=test.")
		if n := strings.Count(body, "<td>test.event</td>"); n != 100 {
			t.Fatalf("first page: %d events, want 100", n)
		}
		link := next(body)
		if !strings.Contains(link, "action=test.") || !strings.Contains(link, "before=") {
			t.Fatalf("older link %q", link)
		}
		_, body = apptest.Get(t, b, g.URL+link)
		if n := strings.Count(body, "<td>test.event</td>"); n != 20 {
			t.Errorf("second page: %d events, want 20", n)
		}
		wantContains(t, "second page", body, "Newest events")
	})
}
