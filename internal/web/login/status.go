package login

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// StatusPage tells a person where they stand and what happens next.
type StatusPage struct {
	Status        people.Status
	Email         string
	EmailVerified bool
	HasFlow       bool
}

func (h *Handler) showStatus(w http.ResponseWriter, r *http.Request, p *people.Person) error {
	if p.Status == people.Admitted {
		return page.Redirect(w, r, "/continue")
	}
	data := StatusPage{Status: p.Status, Email: p.Email, EmailVerified: p.EmailVerified, HasFlow: h.Sessions.Flow(r) != ""}
	return h.Render.Render(w, r, http.StatusOK, "login/status", "Your membership", data)
}

// LoggedOutPage confirms a logout.
type LoggedOutPage struct{}

func (h *Handler) showLoggedOut(w http.ResponseWriter, r *http.Request) error {
	return h.Render.Render(w, r, http.StatusOK, "login/logged_out", "Logged out", LoggedOutPage{})
}
