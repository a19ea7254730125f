package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/web/page"
)

// DomainsPage is the allow-list and the form that adds to it.
type DomainsPage struct {
	Domains []admission.AllowedDomain
	Domain  string // the add form, kept after an error
	Reason  string
	Errors  page.FieldErrors
	Notice  string
}

func (h *Handler) showDomains(w http.ResponseWriter, r *http.Request) error {
	data := DomainsPage{Errors: page.FieldErrors{}}
	q := r.URL.Query()
	switch {
	case q.Get("added") != "":
		data.Notice = q.Get("added") + " is on the allow-list: people who verify an address there are admitted."
	case q.Get("removed") != "":
		data.Notice = q.Get("removed") + " is off the allow-list. People already admitted through it stay admitted."
	}
	return h.renderDomains(w, r, http.StatusOK, data)
}

func (h *Handler) renderDomains(w http.ResponseWriter, r *http.Request, status int, data DomainsPage) error {
	var err error
	if data.Domains, err = admission.AllowedDomains(r.Context(), h.Pool); err != nil {
		return err
	}
	return h.Render.Render(w, r, status, "admin/domains", "Allowed email domains", data)
}

func (h *Handler) addDomain(w http.ResponseWriter, r *http.Request) error {
	data := DomainsPage{Domain: strings.TrimSpace(r.PostFormValue("domain")),
		Reason: strings.TrimSpace(r.PostFormValue("reason")), Errors: page.FieldErrors{}}
	domain, err := admission.NormalizeDomain(data.Domain)
	if err != nil {
		data.Errors["domain"] = "Enter a domain such as example.coop (no @, no spaces)."
	} else if h.domainListed(r, domain) {
		data.Errors["domain"] = domain + " is already on the allow-list."
	}
	if len(data.Reason) > maxReasonLen {
		data.Errors["reason"] = "This is too long (at most 2000 characters)."
	}
	if data.Errors.Any() {
		return h.renderDomains(w, r, http.StatusUnprocessableEntity, data)
	}
	if err := h.Admission.AddDomain(r.Context(), domain, data.Reason, page.Actor(r)); err != nil {
		return err
	}
	return page.Redirect(w, r, "/admin/domains?added="+url.QueryEscape(domain))
}

// domainListed reports whether domain is on the allow-list already; a failed
// look-up answers no, and AddDomain then adds nothing twice anyway.
func (h *Handler) domainListed(r *http.Request, domain string) bool {
	list, err := admission.AllowedDomains(r.Context(), h.Pool)
	return err == nil && slices.ContainsFunc(list, func(d admission.AllowedDomain) bool { return d.Domain == domain })
}
