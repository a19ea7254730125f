package federation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
)

// A domain-block file waits in federation_uploads between its preview and
// the moderator's confirmation, so that any replica can take the
// confirmation and the browser carries only the upload's id. The import
// takes (deletes) it in its transaction; one never confirmed is pruned
// after UploadTTL.

// UploadTTL is how long a previewed file can still be imported.
const UploadTTL = 24 * time.Hour

// Errors of an import.
var (
	ErrUploadGone    = errors.New("federation: upload already imported or expired")
	ErrFileHasErrors = errors.New("federation: the file has problems")
)

// SaveUpload keeps a previewed file for the confirmation and returns its id.
func SaveUpload(ctx context.Context, q database.Querier, uploadedBy, fileName string, data []byte) (string, error) {
	if len(data) > MaxImportBytes {
		return "", &FileError{Message: "the file is larger than 10 MiB"}
	}
	var id string
	err := q.QueryRow(ctx, `INSERT INTO federation_uploads (uploaded_by, file_name, data) VALUES ($1, $2, $3)
		RETURNING id::text`, uploadedBy, fileName, data).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("federation: saving upload: %w", err)
	}
	return id, nil
}

var uploadIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Upload is a stored domain-block file.
type Upload struct {
	ID       string
	FileName string
	Data     []byte
}

// LoadUpload is upload id of uploadedBy, still waiting; ErrUploadGone otherwise.
func LoadUpload(ctx context.Context, q database.Querier, id, uploadedBy string) (Upload, error) {
	return upload(ctx, q, `SELECT id::text, file_name, data FROM federation_uploads`, id, uploadedBy)
}

// takeUpload removes and returns the upload in tx: rolled back, it stays;
// committed, a second confirmation finds it gone instead of importing twice.
func takeUpload(ctx context.Context, tx pgx.Tx, id, uploadedBy string) (Upload, error) {
	return upload(ctx, tx, `DELETE FROM federation_uploads`, id, uploadedBy, "RETURNING id::text, file_name, data")
}

func upload(ctx context.Context, q database.Querier, head, id, uploadedBy string, tail ...string) (Upload, error) {
	if !uploadIDPattern.MatchString(id) {
		return Upload{}, ErrUploadGone
	}
	sql := head + ` WHERE id = $1 AND uploaded_by = $2 AND created_at >= now() - $3::interval `
	if len(tail) > 0 {
		sql += tail[0]
	}
	var u Upload
	err := q.QueryRow(ctx, sql, id, uploadedBy, UploadTTL.String()).Scan(&u.ID, &u.FileName, &u.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return Upload{}, ErrUploadGone
	}
	if err != nil {
		return Upload{}, fmt.Errorf("federation: upload: %w", err)
	}
	return u, nil
}

// Prune forgets uploads never confirmed, for the runner's housekeeping.
func Prune(ctx context.Context, q database.Querier) error {
	if _, err := q.Exec(ctx, `DELETE FROM federation_uploads WHERE created_at < now() - $1::interval`, UploadTTL.String()); err != nil {
		return fmt.Errorf("federation: pruning uploads: %w", err)
	}
	return nil
}

// Row statuses in a preview.
const (
	RowNew       = "new"       // the ledger has no block of it
	RowChange    = "change"    // the ledger blocks it otherwise, or lifted it
	RowUnchanged = "unchanged" // the ledger blocks it just so: nothing is recorded
)

// PreviewRow is a row and what importing it would do.
type PreviewRow struct {
	ImportRow
	Status  string
	Current *Decision // the ledger's latest about the domain
}

// Preview says what importing rows would do to the ledger.
func Preview(ctx context.Context, q database.Querier, rows []ImportRow) ([]PreviewRow, error) {
	latest, err := Latest(ctx, q)
	if err != nil {
		return nil, err
	}
	byDomain := make(map[string]*Decision, len(latest))
	for i := range latest {
		byDomain[latest[i].Domain] = &latest[i]
	}
	out := make([]PreviewRow, 0, len(rows))
	for _, r := range rows {
		pr := PreviewRow{ImportRow: r, Current: byDomain[r.Domain], Status: RowNew}
		switch {
		case pr.Current == nil:
		case pr.Current.Action == Block && pr.Current.Settings == r.Settings && pr.Current.PublicReason == r.PublicComment:
			pr.Status = RowUnchanged
		default:
			pr.Status = RowChange
		}
		out = append(out, pr)
	}
	return out, nil
}

// Choice is the ground and reference a moderator gave rows of an import.
type Choice struct {
	Ground    Ground
	Reference string
}

// ImportSummary is what an import recorded.
type ImportSummary struct {
	Recorded  int
	Unchanged int
}

// Import records a decision for each row of upload id (of the moderator
// who uploaded it) that changes the ledger, each with its audit event and
// its job, and an event for the import, all in one transaction: nothing is
// half-imported. Each row takes its own choice from perLine, else the one
// for every row; a row left without a ground or a reference is a problem,
// keyed "line N", and then nothing is imported and the upload stays.
func (s *Service) Import(ctx context.Context, id string, every Choice, perLine map[int]Choice, actor audit.Actor) (ImportSummary, error) {
	var sum ImportSummary
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		u, err := takeUpload(ctx, tx, id, actor.PersonID)
		if err != nil {
			return err
		}
		parsed, err := ParseCSV(bytes.NewReader(u.Data))
		if err != nil {
			return err
		}
		if len(parsed.Errors) > 0 {
			return ErrFileHasErrors
		}
		rows, err := Preview(ctx, tx, parsed.Rows)
		if err != nil {
			return err
		}
		decisions, err := s.importDecisions(rows, every, perLine)
		if err != nil {
			return err
		}
		for _, n := range decisions {
			if _, err := s.recordIn(ctx, tx, n, actor); err != nil {
				return err
			}
		}
		sum = ImportSummary{Recorded: len(decisions), Unchanged: len(rows) - len(decisions)}
		digest := sha256.Sum256(u.Data)
		return audit.Record(ctx, tx, actor, audit.Event{Action: "federation.import", SubjectType: "federation_file",
			SubjectID: hex.EncodeToString(digest[:]), After: map[string]any{"file": u.FileName, "rows": len(rows),
				"recorded": sum.Recorded, "unchanged": sum.Unchanged}})
	})
	return sum, err
}

// importDecisions turns the rows that change the ledger into checked decisions.
func (s *Service) importDecisions(rows []PreviewRow, every Choice, perLine map[int]Choice) ([]NewDecision, error) {
	problems := Problems{}
	var out []NewDecision
	for _, r := range rows {
		if r.Status == RowUnchanged {
			continue
		}
		c := perLine[r.Line]
		if c.Ground == "" {
			c.Ground = every.Ground
		}
		if c.Reference == "" {
			c.Reference = every.Reference
		}
		n := NewDecision{Domain: r.Domain, Action: Block, Settings: r.Settings, Ground: c.Ground,
			PublicReason: r.PublicComment, Reference: c.Reference, Source: FromImport}
		if p := n.Check(s.today()); p.Any() {
			problems["line "+strconv.Itoa(r.Line)] = firstProblem(p)
			continue
		}
		out = append(out, n)
	}
	if problems.Any() {
		return nil, problems
	}
	return out, nil
}

// firstProblem is one of p's messages, the ground's and the reference's first.
func firstProblem(p Problems) string {
	for _, k := range []string{"ground", "reference"} {
		if m, ok := p[k]; ok {
			return m
		}
	}
	for _, m := range p {
		return m
	}
	return ""
}
