package federation

import (
	"bytes"
	"net/http"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// ListPage is the published list: what the co-op blocks, and why.
type ListPage struct {
	Blocks     []PublishedBlock
	Grounds    []fed.GroundInfo
	CanPropose bool // an admitted member is looking
	Hidden     int  // obfuscated blocks, left out of the CSV
}

// PublishedBlock is one decision as the public sees it.
type PublishedBlock struct {
	fed.Decision
	Key string // the history page's path segment: the domain, or its digest when obfuscated
}

// published is what the public sees of d.
func published(d fed.Decision) PublishedBlock {
	key := d.Domain
	if d.Obfuscate {
		key = fed.Digest(d.Domain)
	}
	return PublishedBlock{Decision: d, Key: key}
}

func (h *Handler) showList(w http.ResponseWriter, r *http.Request) error {
	current, err := fed.Current(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	data := ListPage{Grounds: fed.Grounds}
	for _, d := range current {
		data.Blocks = append(data.Blocks, published(d))
		if d.Obfuscate {
			data.Hidden++
		}
	}
	if me := page.Me(r.Context()); me != nil && me.Status == "admitted" {
		data.CanPropose = true
	}
	return h.Render.Render(w, r, http.StatusOK, "federation/list", "Federation decisions", data)
}

// exportPublic is the published list in Mastodon's domain-block CSV, for
// other instances to adopt; obfuscated blocks are left out.
func (h *Handler) exportPublic(w http.ResponseWriter, r *http.Request) error {
	return h.writeCSV(w, r, true, "public, max-age=300")
}

// exportAll is every block, obfuscated ones included, for moderators.
func (h *Handler) exportAll(w http.ResponseWriter, r *http.Request) error {
	return h.writeCSV(w, r, false, "no-store")
}

func (h *Handler) writeCSV(w http.ResponseWriter, r *http.Request, public bool, cache string) error {
	current, err := fed.Current(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := fed.WriteCSV(&buf, current, public); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="domain_blocks.csv"`)
	w.Header().Set("Cache-Control", cache)
	_, err = buf.WriteTo(w)
	return err
}
