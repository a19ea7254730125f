package admin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/register"
	"github.com/coopgate/coopgate/internal/web/page"
)

// confirmImport imports the previewed file: taken from register_uploads,
// parsed again, refused if it has any row error, and imported with its audit
// event and the membership changes it causes in one transaction, so nothing
// is ever half-imported. Ticked as the whole register, it also lists the
// linked members the file leaves out.
func (h *Handler) confirmImport(w http.ResponseWriter, r *http.Request) error {
	var res membership.ImportResult
	whole := r.PostFormValue("whole") == "1"
	err := database.InTx(r.Context(), h.Pool, func(tx pgx.Tx) error {
		var err error
		res, err = h.importUpload(r, tx, r.PostFormValue("upload"), whole)
		return err
	})
	var fe *register.FileError
	switch {
	case errors.Is(err, register.ErrUploadGone):
		return h.Render.Render(w, r, http.StatusConflict, "admin/import", "Import the member register", ImportPage{
			Notice: "Nothing was imported: this file was imported already, or its preview is more than a day old. Upload the file again to see what it would change."})
	case errors.Is(err, register.ErrRowErrors):
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "admin/import", "Import the member register", ImportPage{
			FileError: "Nothing was imported: the file has problems. Upload it to see them line by line, correct them, and try again."})
	case errors.As(err, &fe):
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "admin/import", "Import the member register",
			ImportPage{FileError: "Nothing was imported. " + fileErrorMessage(fe)})
	case err != nil:
		return err
	}
	return page.Redirect(w, r, fmt.Sprintf("/admin/register?imported=1&added=%d&updated=%d&unchanged=%d&queued=%d&applied=%d",
		res.Added, res.Updated, res.Unchanged, res.Queued, res.Applied))
}

// importUpload imports the upload through membership, which settles what
// the new register asks of linked people in the same transaction.
func (h *Handler) importUpload(r *http.Request, tx pgx.Tx, uploadID string, whole bool) (membership.ImportResult, error) {
	ctx := r.Context()
	u, err := register.TakeUpload(ctx, tx, uploadID, page.Me(ctx).ID)
	if err != nil {
		return membership.ImportResult{}, err
	}
	parsed, err := register.Parse(bytes.NewReader(u.Data))
	if err != nil {
		return membership.ImportResult{}, err
	}
	if err := parsed.Err(); err != nil {
		return membership.ImportResult{}, err
	}
	sum := sha256.Sum256(u.Data)
	digest := hex.EncodeToString(sum[:])
	res, err := h.Membership.Import(ctx, tx, membership.Import{Rows: parsed.Rows, FileName: u.FileName, Digest: digest, Whole: whole}, page.Actor(r))
	if err != nil {
		return membership.ImportResult{}, err
	}
	return res, audit.Record(ctx, tx, page.Actor(r), audit.Event{Action: "register.import", SubjectType: "register",
		SubjectID: digest, After: map[string]any{"file": u.FileName, "format": parsed.Format, "whole": whole,
			"rows": len(parsed.Rows), "skipped": len(parsed.Skipped), "added": res.Added, "updated": res.Updated,
			"unchanged": res.Unchanged, "changes_queued": res.Queued, "changes_applied": res.Applied}})
}
