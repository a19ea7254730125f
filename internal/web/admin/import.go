package admin

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
	"github.com/coopgate/coopgate/internal/web/page"
)

// ImportPage uploads a register file and previews what importing it would do.
type ImportPage struct {
	FileError string // beside the file field
	Notice    string
	Preview   *ImportPreview
}

// ImportPreview is what Parse read and what the import would change.
type ImportPreview struct {
	UploadID string // "" when the file cannot be imported
	FileName string
	Format   register.Format
	Errors   []register.RowError
	Skipped  []register.Skipped
	Valid    int // rows without problems
	Summary  register.Summary
	Added    []register.Planned
	Updated  []register.Planned
	More     int // rows of Added and Updated left out of the page
	// Missing are the admitted members linked to the register whose entries
	// the file leaves out: listed for the secretary if the file is ticked
	// as the whole register.
	Missing []*people.Person
}

// previewListMax bounds the rows listed on the page; the counts cover all.
const previewListMax = 500

func (h *Handler) showImport(w http.ResponseWriter, r *http.Request) error {
	return h.Render.Render(w, r, http.StatusOK, "admin/import", "Import the member register", ImportPage{})
}

// previewImport parses the upload and shows every problem with its line, or
// what the import would change. A clean file is kept (register_uploads) for
// the confirmation, which any replica may take.
func (h *Handler) previewImport(w http.ResponseWriter, r *http.Request) error {
	data, name, msg := uploadedFile(r)
	if msg != "" {
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "admin/import", "Import the member register", ImportPage{FileError: msg})
	}
	res, err := register.Parse(bytes.NewReader(data))
	var fe *register.FileError
	if errors.As(err, &fe) {
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "admin/import", "Import the member register",
			ImportPage{FileError: fileErrorMessage(fe)})
	}
	if err != nil {
		return err
	}
	pv := &ImportPreview{FileName: name, Format: res.Format, Errors: res.Errors, Skipped: res.Skipped, Valid: len(res.Rows)}
	status := http.StatusUnprocessableEntity
	if len(res.Errors) == 0 {
		if err := h.planImport(r, pv, res.Rows, data); err != nil {
			return err
		}
		status = http.StatusOK
	}
	return h.Render.Render(w, r, status, "admin/import", "Import the member register", ImportPage{Preview: pv})
}

func (h *Handler) planImport(r *http.Request, pv *ImportPreview, rows []register.Row, data []byte) error {
	plan, err := register.Preview(r.Context(), h.Pool, rows)
	if err != nil {
		return err
	}
	pv.Summary = plan.Summary()
	pv.Added, pv.Updated = plan.Added, plan.Updated
	if len(pv.Added) > previewListMax {
		pv.More, pv.Added = len(pv.Added)-previewListMax, pv.Added[:previewListMax]
	}
	if room := max(previewListMax-len(pv.Added), 0); len(pv.Updated) > room {
		pv.More, pv.Updated = pv.More+len(pv.Updated)-room, pv.Updated[:room]
	}
	if pv.Missing, err = membership.Missing(r.Context(), h.Pool, rows); err != nil {
		return err
	}
	pv.UploadID, err = register.SaveUpload(r.Context(), h.Pool, page.Me(r.Context()).ID, pv.FileName, data)
	return err
}

// uploadedFile reads the form's file, or says what is wrong with the upload.
func uploadedFile(r *http.Request) (data []byte, name, problem string) {
	f, hdr, err := r.FormFile("file")
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, "", "The file is larger than 10 MiB."
	case errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart):
		return nil, "", "Choose a CSV file to upload."
	case err != nil:
		return nil, "", "The upload did not arrive whole. Try again."
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, register.MaxFileBytes+1))
	if err != nil {
		return nil, "", "The upload did not arrive whole. Try again."
	}
	if len(data) == 0 {
		return nil, "", "The file is empty."
	}
	return data, hdr.Filename, ""
}

// fileErrorMessage is a FileError's message for the page, which register
// writes for the secretary.
func fileErrorMessage(fe *register.FileError) string {
	if fe.Line > 0 {
		return "Line " + strconv.Itoa(fe.Line) + ": " + fe.Message
	}
	return fe.Message
}
