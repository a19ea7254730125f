package factors

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// OverviewPage is a person's second factors and what they can do.
type OverviewPage struct {
	Factors      secondfactor.Factors
	Required     bool // their role requires one
	PasskeysOn   bool // the issuer can have passkeys
	StepUp       bool // changes need the second factor in this session first
	Notice       string
	Name         string // a passkey name typed, kept on an error
	NameError    string
	PasskeyError string
}

var notices = map[string]string{
	"passkey":         "Your passkey is added. Next time, choose “Log in with a passkey”.",
	"passkey-removed": "The passkey is removed. It no longer logs you in.",
	"totp":            "Your authenticator app is set up.",
	"totp-removed":    "The authenticator app is removed. Its codes no longer work.",
}

func (h *Handler) overview(r *http.Request, me *people.Person) (OverviewPage, error) {
	f, err := h.Factors.Of(r.Context(), me.ID)
	return OverviewPage{Factors: f, Required: h.Factors.Required(me), PasskeysOn: h.Factors.PasskeysOn(),
		StepUp: f.Any() && !session.FromContext(r.Context()).MultiFactor(), Notice: notices[r.URL.Query().Get("done")]}, err
}

func (h *Handler) renderOverview(w http.ResponseWriter, r *http.Request, status int, data OverviewPage) error {
	return h.Render.Render(w, r, status, "account/second_factor", "Second factor", data)
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	data, err := h.overview(r, me)
	if err != nil {
		return err
	}
	return h.renderOverview(w, r, http.StatusOK, data)
}

// done goes back to the overview, saying what happened.
func done(w http.ResponseWriter, r *http.Request, what string) error {
	return page.Redirect(w, r, "/account/second-factor?done="+what)
}
