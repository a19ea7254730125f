package policy

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// ExportCSV writes every acceptance ever recorded, oldest first, as CSV with
// a header line, for the secretary's records.
func ExportCSV(ctx context.Context, db database.Querier, w io.Writer) error {
	rows, err := db.Query(ctx, `
		SELECT a.person_id::text, p.email, a.policy_id, a.version, a.sha256, a.accepted_at, a.ip, a.user_agent
		FROM policy_acceptances a JOIN people p ON p.id = a.person_id
		ORDER BY a.accepted_at, a.id`)
	if err != nil {
		return fmt.Errorf("policy: exporting acceptances: %w", err)
	}
	out := csv.NewWriter(w)
	if err := out.Write([]string{"person_id", "email", "policy_id", "version", "sha256", "accepted_at", "ip", "user_agent"}); err != nil {
		rows.Close()
		return fmt.Errorf("policy: exporting acceptances: %w", err)
	}
	var personID, email, policyID, version, sum, ip, userAgent string
	var at time.Time
	scans := []any{&personID, &email, &policyID, &version, &sum, &at, &ip, &userAgent}
	_, err = pgx.ForEachRow(rows, scans, func() error {
		when := at.UTC().Format(time.RFC3339)
		return out.Write(defuse([]string{personID, email, policyID, version, sum, when, ip, userAgent}))
	})
	if err != nil {
		return fmt.Errorf("policy: exporting acceptances: %w", err)
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return fmt.Errorf("policy: exporting acceptances: %w", err)
	}
	return nil
}

// defuse stops a spreadsheet from running a cell as a formula: a user agent
// is whatever the browser sent, and "=HYPERLINK(...)" is a valid one. A
// leading quote makes the cell plain text. Tab and carriage return are
// included, as spreadsheets strip them before looking for a formula.
func defuse(record []string) []string {
	out := make([]string, len(record))
	for i, cell := range record {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			cell = "'" + cell
		}
		out[i] = cell
	}
	return out
}
