// Package admin owns the membership secretary's pages under /admin: the
// dashboard, the applications queue, people, their standing, the roles a
// secretary grants (moderator) and a reset of their second factors, the
// allowed email domains, the member register (list, import, export), the
// membership changes the register asks for and the dues lists, acceptance
// of the policies, members' accounts on the co-op's services that need a look
// (with Retry) and the audit log.
//
// Every route requires a logged-in, admitted secretary. It holds no product
// rules: every change goes through internal/admission, internal/membership,
// internal/register or internal/downstream/provisioning, with an audit
// event in the same transaction, and it only reads the rest.
package admin

import (
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/web/page"
)

// Handler serves the admin area.
type Handler struct {
	Pool      *pgxpool.Pool
	Render    *page.Renderer
	Admission *admission.Service
	// Downstream keeps members' accounts on the co-op's services (Mastodon,
	// Discourse, GitLab); with none enabled, the pages say so.
	Downstream *provisioning.Provisioner
	// Membership carries out the register's changes and follows dues.
	Membership *membership.Service
	// Factors resets a person's second factors (never the secretary's own).
	Factors *secondfactor.Service
	Log     *slog.Logger
}

// Mount adds the area's routes, each behind the secretary check.
func (h *Handler) Mount(mux *http.ServeMux) {
	routes := []struct {
		pattern string
		fn      page.HandlerFunc
	}{
		{"GET /admin", h.showDashboard},
		{"GET /admin/applications", h.showApplications},
		{"POST /admin/applications/{id}/approve", h.approve},
		{"POST /admin/applications/{id}/reject", h.reject},
		{"GET /admin/people", h.showPeople},
		{"GET /admin/people/{id}", h.showPerson},
		{"POST /admin/people/{id}/cease", h.cease},
		{"POST /admin/people/{id}/reinstate", h.reinstate},
		{"POST /admin/people/{id}/role", h.setRole},
		{"POST /admin/people/{id}/second-factor/reset", h.resetSecondFactor},
		{"GET /admin/domains", h.showDomains},
		{"POST /admin/domains", h.addDomain},
		{"GET /admin/domains/{domain}/remove", h.confirmRemoveDomain},
		{"POST /admin/domains/{domain}/remove", h.removeDomain},
		{"GET /admin/register", h.showRegister},
		{"GET /admin/register/export.csv", h.exportRegister},
		{"GET /admin/register/import", h.showImport},
		{"POST /admin/register/import", h.previewImport},
		{"POST /admin/register/import/confirm", h.confirmImport},
		{"GET /admin/membership/changes", h.showChanges},
		{"POST /admin/membership/changes/{id}/confirm", h.confirmChange},
		{"POST /admin/membership/changes/{id}/dismiss", h.dismissChange},
		{"GET /admin/membership/dues", h.showDues},
		{"POST /admin/membership/dues/{id}/end", h.endLapsed},
		{"POST /admin/membership/dues/{id}/extend", h.extendDues},
		{"GET /admin/policies", h.showPolicies},
		{"GET /admin/policies/acceptances.csv", h.exportAcceptances},
		{"GET /admin/downstream", h.showDownstream},
		{"POST /admin/downstream/retry", h.retryAccount},
		{"POST /admin/downstream/retry-held", h.retryHeld},
		{"GET /admin/audit", h.showAudit},
		// Anything else under /admin answers as the rest does, so that the
		// area's shape is not revealed to people who may not use it.
		{"/admin/", func(http.ResponseWriter, *http.Request) error { return page.NotFound() }},
	}
	for _, rt := range routes {
		mux.Handle(rt.pattern, h.Render.Handle(page.SecretaryOnly(rt.fn)))
	}
}
