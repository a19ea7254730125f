package login

import (
	"maps"
	"net/http"
	"slices"

	"github.com/coopgate/coopgate/internal/web/page"
)

// LogoutPage asks before logging out, so a link cannot log anyone out. A
// relying party's logout request without a valid ID token of the person
// (see internal/server's endSession) comes here too: its parameters ride
// along in the form, and after the click the browser goes back to it.
type LogoutPage struct {
	Service string // the relying party that asked, if any
	Params  []Hidden
}

// Hidden is a form field the page carries forward.
type Hidden struct{ Name, Value string }

func (h *Handler) showLogout(w http.ResponseWriter, r *http.Request) error {
	logout, err := h.Provider.ParseLogout(r.Context(), r.URL.Query())
	if err != nil {
		return badLogout(err)
	}
	data := LogoutPage{}
	if logout.Client != nil {
		data.Service = logout.Client.Name()
	}
	for _, name := range slices.Sorted(maps.Keys(logout.Params)) {
		data.Params = append(data.Params, Hidden{Name: name, Value: logout.Params.Get(name)})
	}
	return h.Render.Render(w, r, http.StatusOK, "login/logout", "Log out", data)
}

func (h *Handler) submitLogout(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return page.BadRequest("This form could not be read. Go back and try again.")
	}
	logout, err := h.Provider.ParseLogout(r.Context(), r.PostForm)
	if err != nil {
		return badLogout(err)
	}
	if err := h.Sessions.LogOut(w, r); err != nil {
		return err
	}
	return page.Redirect(w, r, logout.RedirectURI)
}

func badLogout(err error) error {
	return &page.Error{Status: http.StatusBadRequest, Err: err,
		Message: "This logout request is not valid: the service that sent you here is not set up for it. You can still log out with Log out in the menu."}
}
