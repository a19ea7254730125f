package federation

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// ImportPage uploads a domain-block CSV in Mastodon's format and previews
// it, row by row, with the ground and reference each row needs.
type ImportPage struct {
	FileError string // beside the file field
	Notice    string
	Preview   *ImportPreview
	Grounds   []fed.GroundInfo
}

// ImportPreview is what the file holds and what importing it would record.
type ImportPreview struct {
	UploadID   string // "" when the file cannot be imported
	FileName   string
	Headerless bool
	Errors     []fed.RowError
	Rows       []fed.PreviewRow
	Counts     map[string]int // by row status
	Every      fed.Choice
	PerLine    map[int]fed.Choice
	LineErrors map[int]string // a row left without a ground or a reference
	EveryError string
}

const importTitle = "Import domain blocks"

func (h *Handler) showImport(w http.ResponseWriter, r *http.Request) error {
	return h.renderImport(w, r, http.StatusOK, ImportPage{})
}

func (h *Handler) renderImport(w http.ResponseWriter, r *http.Request, status int, data ImportPage) error {
	data.Grounds = fed.Grounds
	return h.Render.Render(w, r, status, "federation/import", importTitle, data)
}

// previewImport reads the upload and shows every problem with its line, or
// each row with what importing it would do. A file without problems is kept
// (federation_uploads) for the confirmation, which any replica may take.
func (h *Handler) previewImport(w http.ResponseWriter, r *http.Request) error {
	data, name, msg := readUpload(r)
	if msg != "" {
		return h.renderImport(w, r, http.StatusUnprocessableEntity, ImportPage{FileError: msg})
	}
	pv, err := h.preview(r, data, name)
	var fe *fed.FileError
	if errors.As(err, &fe) {
		return h.renderImport(w, r, http.StatusUnprocessableEntity, ImportPage{FileError: sentence(fe.Message)})
	}
	if err != nil {
		return err
	}
	status := http.StatusUnprocessableEntity
	if len(pv.Errors) == 0 {
		if pv.UploadID, err = fed.SaveUpload(r.Context(), h.Pool, page.Me(r.Context()).ID, name, data); err != nil {
			return err
		}
		status = http.StatusOK
	}
	return h.renderImport(w, r, status, ImportPage{Preview: pv})
}

// preview parses data and says what each row would do.
func (h *Handler) preview(r *http.Request, data []byte, name string) (*ImportPreview, error) {
	parsed, err := fed.ParseCSV(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	pv := &ImportPreview{FileName: name, Headerless: parsed.Headerless, Errors: parsed.Errors,
		Counts: map[string]int{}, PerLine: map[int]fed.Choice{}, LineErrors: map[int]string{}}
	if len(parsed.Errors) > 0 {
		return pv, nil
	}
	if pv.Rows, err = fed.Preview(r.Context(), h.Pool, parsed.Rows); err != nil {
		return nil, err
	}
	for _, row := range pv.Rows {
		pv.Counts[row.Status]++
	}
	return pv, nil
}

// readUpload reads the form's file, or says what is wrong with the upload.
func readUpload(r *http.Request) (data []byte, name, problem string) {
	f, hdr, err := r.FormFile("file")
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, "", "The file is larger than 10 MiB. Import it in parts."
	case errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart):
		return nil, "", "Choose a CSV file to upload."
	case err != nil:
		return nil, "", "The upload did not arrive whole. Try again."
	}
	defer f.Close()
	if data, err = io.ReadAll(io.LimitReader(f, fed.MaxImportBytes+1)); err != nil {
		return nil, "", "The upload did not arrive whole. Try again."
	}
	switch {
	case len(data) > fed.MaxImportBytes:
		return nil, "", "The file is larger than 10 MiB. Import it in parts."
	case len(data) == 0:
		return nil, "", "The file is empty."
	}
	return data, strings.ToValidUTF8(hdr.Filename, "�"), ""
}

// sentence capitalises a message written to follow "the file …".
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

// lineOf reads a problem's key, "line N".
func lineOf(key string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(key, "line "))
	return n, err == nil && strings.HasPrefix(key, "line ")
}
