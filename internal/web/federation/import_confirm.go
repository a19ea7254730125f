package federation

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// confirmImport records the previewed file with the grounds and references
// chosen. A row left without either sends the preview back with the rows
// marked, and nothing is recorded.
func (h *Handler) confirmImport(w http.ResponseWriter, r *http.Request) error {
	id := r.PostFormValue("upload")
	every, perLine := readChoices(r)
	sum, err := h.Federation.Import(r.Context(), id, every, perLine, page.Actor(r))
	var problems fed.Problems
	var fe *fed.FileError
	switch {
	case err == nil:
		return page.Redirect(w, r, "/moderation/federation?imported="+strconv.Itoa(sum.Recorded)+"&unchanged="+strconv.Itoa(sum.Unchanged))
	case errors.Is(err, fed.ErrUploadGone):
		return h.renderImport(w, r, http.StatusConflict, ImportPage{Notice: "Nothing was imported: this file was imported " +
			"already, or its preview is more than a day old. Upload the file again to see what it would record."})
	case errors.Is(err, fed.ErrFileHasErrors), errors.As(err, &fe):
		return h.renderImport(w, r, http.StatusUnprocessableEntity, ImportPage{FileError: "Nothing was imported: the file " +
			"has problems. Upload it to see them line by line, correct them, and try again."})
	case errors.As(err, &problems):
		return h.previewAgain(w, r, id, every, perLine, problems)
	}
	return err
}

// readChoices reads the ground and reference for every row, and those
// given for single rows (ground_N, reference_N).
func readChoices(r *http.Request) (fed.Choice, map[int]fed.Choice) {
	every := fed.Choice{Ground: fed.Ground(r.PostFormValue("ground")), Reference: strings.TrimSpace(r.PostFormValue("reference"))}
	perLine := map[int]fed.Choice{}
	for key, values := range r.PostForm {
		field, num, ok := strings.Cut(key, "_")
		line, err := strconv.Atoi(num)
		if !ok || err != nil || (field != "ground" && field != "reference") {
			continue
		}
		c := perLine[line]
		if field == "ground" {
			c.Ground = fed.Ground(values[0])
		} else {
			c.Reference = strings.TrimSpace(values[0])
		}
		perLine[line] = c
	}
	return every, perLine
}

// previewAgain shows the stored file's preview with the choices made and
// the rows that still lack one.
func (h *Handler) previewAgain(w http.ResponseWriter, r *http.Request, id string, every fed.Choice, perLine map[int]fed.Choice, problems fed.Problems) error {
	u, err := fed.LoadUpload(r.Context(), h.Pool, id, page.Me(r.Context()).ID)
	if err != nil {
		return err
	}
	pv, err := h.preview(r, u.Data, u.FileName)
	if err != nil {
		return err
	}
	pv.UploadID, pv.Every, pv.PerLine = u.ID, every, perLine
	for key, msg := range problems {
		if line, ok := lineOf(key); ok {
			pv.LineErrors[line] = msg
		}
	}
	if every.Ground == "" || every.Reference == "" {
		pv.EveryError = "Choose a ground and give a reference here for every row, or give each row its own below."
	}
	return h.renderImport(w, r, http.StatusUnprocessableEntity, ImportPage{Preview: pv})
}
