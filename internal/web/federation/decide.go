package federation

import (
	"errors"
	"net/http"
	"net/url"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// DecidePage records a block, or a change to one; when the domain is
// blocked, it also offers to lift the block.
type DecidePage struct {
	Form   DecisionForm
	Errors page.FieldErrors
	Choices
	Current    *fed.Decision // the domain's latest decision, when it is a block
	Lift       LiftForm
	LiftErrors page.FieldErrors
}

// LiftForm lifts a block: a lift is a decision too, with its reference.
type LiftForm struct {
	Domain       string
	PublicReason string
	PrivateNote  string
	Reference    string
}

func (h *Handler) showDecide(w http.ResponseWriter, r *http.Request) error {
	data := DecidePage{Errors: page.FieldErrors{}, LiftErrors: page.FieldErrors{}, Form: formOf(nil)}
	raw := r.URL.Query().Get("domain")
	current, err := h.currentBlock(r, raw)
	if err != nil {
		return err
	}
	data.Form.Domain = raw
	if current != nil {
		data.Form, data.Current = formOf(current), current
	}
	return h.renderDecide(w, r, http.StatusOK, data)
}

// currentBlock is the latest decision about the domain typed, when it is a block.
func (h *Handler) currentBlock(r *http.Request, raw string) (*fed.Decision, error) {
	domain, err := fed.NormalizeDomain(raw)
	if err != nil {
		return nil, nil
	}
	latest, err := fed.LatestFor(r.Context(), h.Pool, domain)
	if err != nil || latest == nil || latest.Action != fed.Block {
		return nil, err
	}
	return latest, nil
}

func (h *Handler) renderDecide(w http.ResponseWriter, r *http.Request, status int, data DecidePage) error {
	var err error
	if data.Choices, err = h.choices(r.Context()); err != nil {
		return err
	}
	if data.Current != nil && data.Lift.Domain == "" {
		data.Lift.Domain = data.Current.Domain
	}
	return h.Render.Render(w, r, status, "federation/decide", "Record a federation decision", data)
}

func (h *Handler) decide(w http.ResponseWriter, r *http.Request) error {
	f, errs := readDecision(r)
	n := f.decision(fed.Block, fed.FromForm)
	if err := fieldErrors(h.Federation.Check(&n), errs); err != nil {
		return err
	}
	if !errs.Any() {
		d, err := h.Federation.Record(r.Context(), n, page.Actor(r))
		if err == nil {
			return page.Redirect(w, r, "/federation/"+url.PathEscape(d.Domain)+"?recorded=1")
		}
		if err := fieldErrors(err, errs); err != nil {
			return err
		}
	}
	current, err := h.currentBlock(r, f.Domain)
	if err != nil {
		return err
	}
	data := DecidePage{Form: f, Errors: errs, LiftErrors: page.FieldErrors{}, Current: current}
	return h.renderDecide(w, r, http.StatusUnprocessableEntity, data)
}

func (h *Handler) lift(w http.ResponseWriter, r *http.Request) error {
	lf := LiftForm{Domain: r.PostFormValue("domain"), PublicReason: r.PostFormValue("public_reason"),
		PrivateNote: r.PostFormValue("private_note"), Reference: r.PostFormValue("reference")}
	n := fed.NewDecision{Domain: lf.Domain, Action: fed.Lift, Source: fed.FromForm, PublicReason: lf.PublicReason,
		PrivateNote: lf.PrivateNote, Reference: lf.Reference}
	d, err := h.Federation.Record(r.Context(), n, page.Actor(r))
	if err == nil {
		return page.Redirect(w, r, "/federation/"+url.PathEscape(d.Domain)+"?recorded=1")
	}
	errs := page.FieldErrors{}
	if errors.Is(err, fed.ErrNothingToLift) {
		errs["domain"] = "Neither the co-op's decisions nor Mastodon (as last seen) block this domain: there is nothing to lift."
	} else if err := fieldErrors(err, errs); err != nil {
		return err
	}
	current, err := h.currentBlock(r, lf.Domain)
	if err != nil {
		return err
	}
	data := DecidePage{Form: formOf(current), Errors: page.FieldErrors{}, Lift: lf, LiftErrors: errs, Current: current}
	return h.renderDecide(w, r, http.StatusUnprocessableEntity, data)
}

// Fields is the decision form's fields.
func (p DecidePage) Fields() FieldsView {
	return FieldsView{Form: p.Form, Errors: p.Errors, Choices: p.Choices}
}
