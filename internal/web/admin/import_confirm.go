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
	"github.com/coopgate/coopgate/internal/register"
	"github.com/coopgate/coopgate/internal/web/page"
)

// confirmImport imports the previewed file: taken from register_uploads,
// parsed again, refused if it has any row error, and imported with its audit
// event in one transaction, so nothing is ever half-imported.
func (h *Handler) confirmImport(w http.ResponseWriter, r *http.Request) error {
	var sum register.Summary
	err := database.InTx(r.Context(), h.Pool, func(tx pgx.Tx) error {
		var err error
		sum, err = importUpload(r, tx, r.PostFormValue("upload"))
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
	return page.Redirect(w, r, fmt.Sprintf("/admin/register?imported=1&added=%d&updated=%d&unchanged=%d", sum.Added, sum.Updated, sum.Unchanged))
}

func importUpload(r *http.Request, tx pgx.Tx, uploadID string) (register.Summary, error) {
	ctx := r.Context()
	u, err := register.TakeUpload(ctx, tx, uploadID, page.Me(ctx).ID)
	if err != nil {
		return register.Summary{}, err
	}
	res, err := register.Parse(bytes.NewReader(u.Data))
	if err != nil {
		return register.Summary{}, err
	}
	if err := res.Err(); err != nil {
		return register.Summary{}, err
	}
	sum, err := register.Import(ctx, tx, res.Rows)
	if err != nil {
		return register.Summary{}, err
	}
	digest := sha256.Sum256(u.Data)
	return sum, audit.Record(ctx, tx, page.Actor(r), audit.Event{Action: "register.import", SubjectType: "register",
		SubjectID: hex.EncodeToString(digest[:]), After: map[string]any{"file": u.FileName, "format": res.Format,
			"rows": len(res.Rows), "skipped": len(res.Skipped), "added": sum.Added, "updated": sum.Updated, "unchanged": sum.Unchanged}})
}
