// Package federation serves the pages of the co-op's federation decisions:
// the published list at /federation (readable without login, with each
// domain's history and a CSV in Mastodon's own format), a member's
// proposal form, and the moderators' pages under /moderation/federation
// (proposals to decide, decisions to record, review or lift, blocks made on
// Mastodon to adopt or lift, the CSV import, the comparison with Mastodon).
//
// It holds no rules: every change goes through internal/federation, which
// audits it and enqueues its jobs, and the pages only read the rest.
package federation

import (
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// Handler serves the federation area.
type Handler struct {
	Pool       *pgxpool.Pool
	Render     *page.Renderer
	Federation *fed.Service
	Log        *slog.Logger
}

type route struct {
	pattern string
	fn      page.HandlerFunc
}

// Mount adds the area's routes: the published ones open to all, the
// proposal form to members, the rest to moderators.
func (h *Handler) Mount(mux *http.ServeMux) {
	for _, rt := range []route{
		{"GET /federation", h.showList},
		{"GET /federation.csv", h.exportPublic},
		{"GET /federation/{domain}", h.showHistory},
	} {
		mux.Handle(rt.pattern, h.Render.Handle(rt.fn))
	}
	mux.Handle("GET /federation/propose", h.Render.Handle(page.LoggedIn(h.showPropose)))
	mux.Handle("POST /federation/propose", h.Render.Handle(page.LoggedIn(h.propose)))
	for _, rt := range h.moderatorRoutes() {
		mux.Handle(rt.pattern, h.Render.Handle(page.ModeratorOnly(rt.fn)))
	}
}

func (h *Handler) moderatorRoutes() []route {
	return []route{
		{"GET /moderation/federation", h.showDashboard},
		{"POST /moderation/federation/compare", h.compare},
		{"GET /moderation/federation/decide", h.showDecide},
		{"POST /moderation/federation/decide", h.decide},
		{"POST /moderation/federation/lift", h.lift},
		{"GET /moderation/federation/proposals/{id}", h.showProposal},
		{"POST /moderation/federation/proposals/{id}/accept", h.accept},
		{"POST /moderation/federation/proposals/{id}/decline", h.decline},
		{"GET /moderation/federation/adopt", h.showAdopt},
		{"POST /moderation/federation/adopt", h.adopt},
		{"GET /moderation/federation/import", h.showImport},
		{"POST /moderation/federation/import", h.previewImport},
		{"POST /moderation/federation/import/confirm", h.confirmImport},
		{"GET /moderation/federation/export.csv", h.exportAll},
		// Anything else under /moderation answers as the rest does, so that
		// the area's shape is not revealed to people who may not use it.
		{"/moderation/", func(http.ResponseWriter, *http.Request) error { return page.NotFound() }},
	}
}
