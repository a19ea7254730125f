package register

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// A register file waits in register_uploads between its preview and the
// secretary's confirmation, so that any replica can take the confirmation
// and the browser carries only the upload's id. It is taken (deleted) by the
// transaction that imports it, and forgotten after UploadTTL if never
// confirmed.

// UploadTTL is how long a previewed file can still be confirmed.
const UploadTTL = 24 * time.Hour

// ErrUploadGone is an upload that was already imported, has expired, or
// belongs to someone else.
var ErrUploadGone = errors.New("register: upload already imported or expired")

// Upload is a stored register file.
type Upload struct {
	ID         string
	UploadedBy string // the secretary's person id
	FileName   string
	Data       []byte
	CreatedAt  time.Time
}

// SaveUpload stores a file for later confirmation and returns its id. It
// also forgets uploads older than UploadTTL, so the table never grows.
func SaveUpload(ctx context.Context, db database.Querier, uploadedBy, fileName string, data []byte) (string, error) {
	if len(data) > MaxFileBytes {
		return "", fmt.Errorf("register: save upload: %w", ErrTooLarge)
	}
	var id string
	err := db.QueryRow(ctx, `
		WITH expired AS (DELETE FROM register_uploads WHERE created_at < now() - $4::interval)
		INSERT INTO register_uploads (uploaded_by, file_name, data) VALUES ($1, $2, $3)
		RETURNING id::text`, uploadedBy, singleLine(fileName), data, UploadTTL.String()).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("register: save upload: %w", err)
	}
	return id, nil
}

var uploadIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TakeUpload removes and returns the upload id made by uploadedBy, in the
// caller's transaction: rolled back, the upload stays; committed, a second
// confirmation of the same file (a double click, another tab) finds
// ErrUploadGone instead of importing again.
func TakeUpload(ctx context.Context, tx pgx.Tx, id, uploadedBy string) (*Upload, error) {
	if !uploadIDPattern.MatchString(id) {
		return nil, ErrUploadGone
	}
	u := Upload{ID: id}
	err := tx.QueryRow(ctx, `
		DELETE FROM register_uploads
		WHERE id = $1 AND uploaded_by = $2 AND created_at >= now() - $3::interval
		RETURNING uploaded_by::text, file_name, data, created_at`, id, uploadedBy, UploadTTL.String()).
		Scan(&u.UploadedBy, &u.FileName, &u.Data, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUploadGone
	}
	if err != nil {
		return nil, fmt.Errorf("register: take upload: %w", err)
	}
	return &u, nil
}
