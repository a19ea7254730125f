package server

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// endSession serves RP-initiated logout. A request carrying a valid,
// unexpired ID token of the logged-in person ends their session at once; any
// other (no hint, as Mastodon and GitLab send it, an expired one, as
// Discourse sends it, or someone else's) is sent to the logout page to be
// confirmed with one click, so that a link on any site cannot log a member
// out. With no session there is nothing to end or protect: op sends the
// browser on. An invalid request is op's to refuse, and ends nothing; so is
// a request whose session cannot be read or ended (the database is down),
// rather than sending the browser back as if it had been.
func endSession(d Deps) http.Handler {
	s, p := d.Sessions, d.Provider
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm() // op refuses a form it cannot parse
		logout, err := p.ParseLogout(r.Context(), r.Form)
		if err != nil {
			p.Handler().ServeHTTP(w, r)
			return
		}
		r, err = s.Load(r)
		if err == nil && logout.NeedsConfirmation(session.FromContext(r.Context()).PersonID()) {
			http.Redirect(w, r, "/logout?"+logout.Params.Encode(), http.StatusSeeOther)
			return
		}
		if err == nil {
			err = s.LogOut(w, r)
		}
		if err != nil {
			d.Render.Fail(w, r, &page.Error{Status: http.StatusServiceUnavailable, Err: err,
				Message: "We can't log you out right now. Please try again in a minute."})
			return
		}
		p.Handler().ServeHTTP(w, r)
	})
}
