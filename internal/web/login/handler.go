// Package login owns the pages a login passes through: the login form
// (password, or a passkey in its place), the second factor (and the page
// that sends someone whose role needs one to set it up), the status page of
// people not (yet) admitted, the terms interstitial, logout, and the
// hand-back to the OpenID provider that issues the code with how the login
// was made (amr, acr). Only an admitted person who has accepted every
// required policy, with a second factor if they have one or need one, gets
// past it.
package login

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/lockout"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// Handler serves the login area.
type Handler struct {
	Pool     *pgxpool.Pool
	Render   *page.Renderer
	Sessions *session.Manager
	Provider *oidc.Provider
	// Guard throttles failed logins; Devices recognises the owner's known
	// device, which the email-wide lock spares.
	Guard   *lockout.Guard
	Devices *lockout.Devices
	// Factors checks second factors and passkeys, and says whose role
	// requires one.
	Factors *secondfactor.Service
	Log     *slog.Logger
	Now     func() time.Time
	Metrics Metrics // may be nil
}

// Metrics counts login outcomes.
type Metrics interface {
	Login(outcome string)
}

func (h *Handler) count(outcome string) {
	if h.Metrics != nil {
		h.Metrics.Login(outcome)
	}
}

// Mount adds the area's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET /login", h.Render.Handle(h.showLogin))
	mux.Handle("POST /login", h.Render.Handle(h.submitLogin))
	mux.Handle("GET /continue", h.Render.Handle(h.continueFlow))
	mux.Handle("GET /status", h.Render.Handle(page.LoggedIn(h.showStatus)))
	mux.Handle("GET /terms", h.Render.Handle(page.LoggedIn(h.showTerms)))
	mux.Handle("POST /terms", h.Render.Handle(page.LoggedIn(h.acceptTerms)))
	mux.Handle("POST /terms/decline", h.Render.Handle(h.declineTerms))
	mux.Handle("GET /logout", h.Render.Handle(h.showLogout))
	mux.Handle("POST /logout", h.Render.Handle(h.submitLogout))
	mux.Handle("GET /logged-out", h.Render.Handle(h.showLoggedOut))
	h.mountSecondFactor(mux)
}
