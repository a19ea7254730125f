package page

import (
	"net/http"
	"net/url"
	"slices"

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
func SecretaryOnly(fn HandlerFunc) HandlerFunc { return RoleOnly(people.RoleSecretary, fn) }

// RoleOnly lets through an admitted holder of role, as SecretaryOnly does.
// If the role requires a second factor (security.require_second_factor)
// and the session was opened without one, they are sent to give it (or to
// set one up) first, and come back here after.
func RoleOnly(role string, fn HandlerFunc) HandlerFunc {
	return LoggedIn(func(w http.ResponseWriter, r *http.Request, me *people.Person) error {
		if !slices.Contains(me.Roles, role) || me.Status != people.Admitted {
			return Forbidden()
		}
		if SecondFactorDue(r.Context()) {
			return Redirect(w, r, "/login/second-factor?next="+url.QueryEscape(r.URL.Path))
		}
		// These pages hold members' personal data: no cache may keep them.
		w.Header().Set("Cache-Control", "no-store")
		return fn(w, r)
	})
}

// ModeratorOnly lets through an admitted moderator or secretary (the
// people who record the co-op's federation decisions); anyone not logged
// in is sent to log in, everyone else refused. A second factor is asked
// for first as RoleOnly does.
func ModeratorOnly(fn HandlerFunc) HandlerFunc {
	return LoggedIn(func(w http.ResponseWriter, r *http.Request, me *people.Person) error {
		if !me.CanModerate() {
			return Forbidden()
		}
		if SecondFactorDue(r.Context()) {
			return Redirect(w, r, "/login/second-factor?next="+url.QueryEscape(r.URL.Path))
		}
		// Private notes and who recorded what: no cache may keep them.
		w.Header().Set("Cache-Control", "no-store")
		return fn(w, r)
	})
}
