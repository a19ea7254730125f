package federation

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// AdoptPage is a block made on Mastodon that the ledger lacks: adopt it
// with a ground and a reference, or lift it.
type AdoptPage struct {
	Remote fed.RemoteBlock
	Form   DecisionForm
	Errors page.FieldErrors
	Choices
	Lift LiftForm
}

// notDecided is Mastodon's block of the domain, as last seen, when the
// ledger does not decide it; page.NotFound otherwise.
func (h *Handler) notDecided(r *http.Request, raw string) (fed.RemoteBlock, error) {
	diffs, err := fed.Differences(r.Context(), h.Pool)
	if err != nil {
		return fed.RemoteBlock{}, err
	}
	for _, d := range diffs {
		if d.Kind == fed.NotDecided && d.Domain == strings.TrimSpace(raw) {
			return *d.Remote, nil
		}
	}
	return fed.RemoteBlock{}, page.NotFound()
}

func (h *Handler) showAdopt(w http.ResponseWriter, r *http.Request) error {
	remote, err := h.notDecided(r, r.URL.Query().Get("domain"))
	if err != nil {
		return err
	}
	f := DecisionForm{Domain: remote.Domain, PublicReason: remote.PublicComment}
	return h.renderAdopt(w, r, http.StatusOK, AdoptPage{Remote: remote, Form: f, Errors: page.FieldErrors{}})
}

func (h *Handler) renderAdopt(w http.ResponseWriter, r *http.Request, status int, data AdoptPage) error {
	var err error
	if data.Choices, err = h.choices(r.Context()); err != nil {
		return err
	}
	data.Lift.Domain = data.Remote.Domain
	return h.Render.Render(w, r, status, "federation/adopt", "Adopt or lift "+data.Remote.Domain, data)
}

func (h *Handler) adopt(w http.ResponseWriter, r *http.Request) error {
	remote, err := h.notDecided(r, r.PostFormValue("domain"))
	if err != nil {
		return err
	}
	f, errs := readDecision(r)
	f.Domain = remote.Domain
	review, _ := reviewDate(f.ReviewOn)
	a := fed.Adoption{Domain: remote.Domain, Ground: fed.Ground(f.Ground), Reference: f.Reference,
		PublicReason: f.PublicReason, PrivateNote: f.PrivateNote, ReviewOn: review}
	if !errs.Any() {
		_, err := h.Federation.Adopt(r.Context(), a, page.Actor(r))
		switch {
		case err == nil:
			return page.Redirect(w, r, "/moderation/federation?adopted="+url.QueryEscape(remote.Domain))
		case errors.Is(err, fed.ErrNotOnMastodon):
			return page.NotFound()
		}
		if err := fieldErrors(err, errs); err != nil {
			return err
		}
	}
	return h.renderAdopt(w, r, http.StatusUnprocessableEntity, AdoptPage{Remote: remote, Form: f, Errors: errs})
}

// Fields is the adoption's fields: the block stays as Mastodon has it.
func (p AdoptPage) Fields() FieldsView {
	return FieldsView{Form: p.Form, Errors: p.Errors, Choices: p.Choices, DomainFixed: true, SettingsFixed: true}
}
