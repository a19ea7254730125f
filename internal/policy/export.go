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
	"github.com/coopgate/coopgate/internal/people"
)

// ExportCSV writes every acceptance ever recorded, oldest first, as CSV with
// a header line, for the secretary's records.
func ExportCSV(ctx context.Context, db database.Querier, w io.Writer) error {
	everyone, err := people.WithStatus(ctx, db, people.Statuses()...)
	if err != nil {
		return fmt.Errorf("policy: exporting acceptances: %w", err)
	}
	emails := make(map[string]string, len(everyone))
	for _, p := range everyone {
		emails[p.ID] = p.Email
	}
	rows, err := db.Query(ctx, `
		SELECT person_id::text, policy_id, version, sha256, accepted_at, ip, user_agent
		FROM policy_acceptances ORDER BY accepted_at, id`)
	if err != nil {
		return fmt.Errorf("policy: exporting acceptances: %w", err)
	}
	out := csv.NewWriter(w)
	if err := out.Write([]string{"person_id", "email", "policy_id", "version", "sha256", "accepted_at", "ip", "user_agent"}); err != nil {
		rows.Close()
		return fmt.Errorf("policy: exporting acceptances: %w", err)
	}
	var personID, policyID, version, sum, ip, userAgent string
	var at time.Time
	scans := []any{&personID, &policyID, &version, &sum, &at, &ip, &userAgent}
	_, err = pgx.ForEachRow(rows, scans, func() error {
		when := at.UTC().Format(time.RFC3339)
		return out.Write(defuse([]string{personID, emails[personID], policyID, version, sum, when, ip, userAgent}))
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
