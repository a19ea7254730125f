package page

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/people"
)

// LoggedIn lets through anyone logged in, handing fn the person; anyone else
// is sent to log in.
func LoggedIn(fn func(w http.ResponseWriter, r *http.Request, me *people.Person) error) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		me := Me(r.Context())
		if me == nil {
			return Redirect(w, r, "/login")
		}
		return fn(w, r, me)
	}
}

// SecretaryOnly lets through an admitted secretary; anyone not logged in is
// sent to log in, everyone else refused. A secretary whose membership ended
// keeps the role in the database but not the pages.
func SecretaryOnly(fn HandlerFunc) HandlerFunc {
	return LoggedIn(func(w http.ResponseWriter, r *http.Request, me *people.Person) error {
		if !me.IsSecretary() || me.Status != people.Admitted {
			return Forbidden()
		}
		// These pages hold members' personal data: no cache may keep them.
		w.Header().Set("Cache-Control", "no-store")
		return fn(w, r)
	})
}
