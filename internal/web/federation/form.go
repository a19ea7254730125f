package federation

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// DecisionForm is a block decision as the form holds it, kept as typed
// when it comes back with errors.
type DecisionForm struct {
	Domain        string
	Severity      string
	RejectMedia   bool
	RejectReports bool
	Obfuscate     bool
	Ground        string
	PublicReason  string
	PrivateNote   string
	Reference     string
	ReviewOn      string // YYYY-MM-DD
}

// Choices are what every decision form offers, with the free-speech
// policy's words on why politics is not among the grounds.
type Choices struct {
	Grounds    []fed.GroundInfo
	Severities []fed.Severity
	Politics   fed.Quote
	Applies    bool // decisions are carried out on Mastodon
}

func (h *Handler) choices(ctx context.Context) (Choices, error) {
	q, err := fed.WhyNoPolitics(ctx, h.Pool)
	return Choices{Grounds: fed.Grounds, Severities: fed.Severities, Politics: q, Applies: h.Federation.Applies()}, err
}

// readDecision reads the form's fields; a review date that is not a date
// is a field error of its own.
func readDecision(r *http.Request) (DecisionForm, page.FieldErrors) {
	f := DecisionForm{
		Domain: r.PostFormValue("domain"), Severity: r.PostFormValue("severity"), Ground: r.PostFormValue("ground"),
		RejectMedia: r.PostFormValue("reject_media") != "", RejectReports: r.PostFormValue("reject_reports") != "",
		Obfuscate: r.PostFormValue("obfuscate") != "", PublicReason: r.PostFormValue("public_reason"),
		PrivateNote: r.PostFormValue("private_note"), Reference: r.PostFormValue("reference"),
		ReviewOn: strings.TrimSpace(r.PostFormValue("review_on")),
	}
	errs := page.FieldErrors{}
	if _, err := reviewDate(f.ReviewOn); err != nil {
		errs["review_on"] = "Enter a date like 2027-06-30, or leave it empty."
	}
	return f, errs
}

func reviewDate(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// decision is the form as a decision to record.
func (f DecisionForm) decision(action fed.Action, source fed.Source) fed.NewDecision {
	review, _ := reviewDate(f.ReviewOn)
	return fed.NewDecision{Domain: f.Domain, Action: action, Source: source, Ground: fed.Ground(f.Ground),
		Settings:     fed.Settings{Severity: fed.Severity(f.Severity), RejectMedia: f.RejectMedia, RejectReports: f.RejectReports, Obfuscate: f.Obfuscate},
		PublicReason: f.PublicReason, PrivateNote: f.PrivateNote, Reference: f.Reference, ReviewOn: review}
}

// formOf fills the form from a decision, to confirm or change it.
func formOf(d *fed.Decision) DecisionForm {
	if d == nil || d.Action != fed.Block {
		return DecisionForm{Severity: string(fed.Suspend)}
	}
	return DecisionForm{Domain: d.Domain, Severity: string(d.Severity), RejectMedia: d.RejectMedia,
		RejectReports: d.RejectReports, Obfuscate: d.Obfuscate, Ground: string(d.Ground), PublicReason: d.PublicReason}
}

// fieldErrors turns the service's problems into the page's, beside what
// the form found itself; other errors pass through.
func fieldErrors(err error, errs page.FieldErrors) error {
	var p fed.Problems
	if !errors.As(err, &p) {
		return err
	}
	for k, v := range p {
		if _, seen := errs[k]; !seen {
			errs[k] = v
		}
	}
	return nil
}

// FieldsView is what the decision fields partial shows: the form, its
// errors and choices, and which parts are fixed (a proposal's domain, a
// Mastodon block's settings when it is adopted).
type FieldsView struct {
	Form          DecisionForm
	Errors        page.FieldErrors
	Choices       Choices
	DomainFixed   bool
	SettingsFixed bool
}

// GroundFieldsView is what the ground's radio buttons show.
type GroundFieldsView struct {
	Grounds  []fed.GroundInfo
	Chosen   string
	Errors   page.FieldErrors
	Politics fed.Quote
}

// GroundFields is the form's ground choice.
func (v FieldsView) GroundFields() GroundFieldsView {
	return GroundFieldsView{Grounds: v.Choices.Grounds, Chosen: v.Form.Ground, Errors: v.Errors, Politics: v.Choices.Politics}
}
