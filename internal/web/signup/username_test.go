package signup_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

// TestReservedUsernameIsAFieldError: a name one of the co-op's services
// reserves (Discourse's "here", Mastodon's "webmaster", GitLab's "explore")
// is refused beside the username field, keeping what was typed.
func TestReservedUsernameIsAFieldError(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, name := range []string{"here", "Webmaster", "explore"} {
		t.Run(name, func(t *testing.T) {
			a := newApplicant(strings.ToLower(name)+"@example.coop", name)
			resp, body := e.signUp(t, apptest.Browser(t), a)
			wantStatus(t, resp, body, http.StatusUnprocessableEntity)
			if !strings.Contains(body, `id="username-error"`) || !strings.Contains(body, "reserved by one of the co-op&#39;s services") {
				t.Errorf("no username message:\n%s", body)
			}
			if !fieldMarkedInvalid(body, "username") || !strings.Contains(body, `value="`+a.Email+`"`) {
				t.Error("the field is not marked, or the email typed was lost")
			}
		})
	}
	if n := e.count(t, `SELECT count(*) FROM people`); n != 0 {
		t.Errorf("%d people made with reserved names", n)
	}
}
