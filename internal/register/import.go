package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Summary counts what an import did to the register.
type Summary struct {
	Added, Updated, Unchanged int
}

// importBatchSize bounds the statements sent in one round trip.
const importBatchSize = 1000

// Import upserts rows by membership number in the caller's transaction.
// It is idempotent: importing the same rows again changes nothing, reports
// every row Unchanged and leaves updated_at alone. On an entry already held
// it updates only the row's Fields. Rows that are not valid entries, or that
// repeat a membership number, make it refuse the lot; the caller checks
// Result.Err first, and rolls back on any error, so nothing is half-imported.
// Entries missing from rows are left as they are: a membership ends by
// setting ceased_on, never by leaving someone out of a file.
func Import(ctx context.Context, tx pgx.Tx, rows []Row) (Summary, error) {
	rows, err := checkRows(rows)
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	sqlFor := upsertSQLCache()
	for batch := range slices.Chunk(rows, importBatchSize) {
		if err := importBatch(ctx, tx, batch, sqlFor, &sum); err != nil {
			return Summary{}, err
		}
	}
	return sum, nil
}

// checkRows returns rows with their entries normalised, or the first reason
// the set cannot be imported.
func checkRows(rows []Row) ([]Row, error) {
	out := make([]Row, len(rows))
	seen := make(map[string]int, len(rows))
	for i, r := range rows {
		e, probs := normalise(r.Entry)
		if len(probs) > 0 {
			return nil, fmt.Errorf("register: import: line %d: %w", r.Line, &InvalidEntryError{Problems: probs})
		}
		if first, dup := seen[e.MembershipNumber]; dup {
			return nil, fmt.Errorf("register: import: line %d: membership number %q is already on line %d", r.Line, e.MembershipNumber, first)
		}
		seen[e.MembershipNumber] = r.Line
		for _, f := range r.Fields {
			if !slices.Contains(fieldColumns(), f) {
				return nil, fmt.Errorf("register: import: line %d: unknown field %q", r.Line, f)
			}
		}
		out[i] = Row{Line: r.Line, Entry: e, Fields: fieldsOrAll(r.Fields)}
	}
	return out, nil
}

func importBatch(ctx context.Context, tx pgx.Tx, rows []Row, sqlFor func([]string) string, sum *Summary) error {
	b := &pgx.Batch{}
	for _, r := range rows {
		b.Queue(sqlFor(r.Fields), entryArgs(r.Entry)...)
	}
	br := tx.SendBatch(ctx, b)
	for _, r := range rows {
		if err := countUpsert(br.QueryRow(), sum); err != nil {
			_ = br.Close() // the error that matters is the row's
			return fmt.Errorf("register: import: line %d: %w", r.Line, err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("register: import: %w", err)
	}
	return nil
}

// countUpsert reads what upsertSQL returned: no row when the entry was
// already as given, else whether it was inserted (xmax = 0) or updated.
func countUpsert(row pgx.Row, sum *Summary) error {
	var inserted bool
	err := row.Scan(&inserted)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		sum.Unchanged++
	case err != nil:
		return err
	case inserted:
		sum.Added++
	default:
		sum.Updated++
	}
	return nil
}

// Upsert stores one entry from the admin form: added, or every field of the
// entry with its membership number replaced; e.ID is not used. A Source of ""
// becomes "admin".
// Problems with the entry come back as an *InvalidEntryError.
func Upsert(ctx context.Context, tx pgx.Tx, e Entry) (*Entry, error) {
	if strings.TrimSpace(e.Source) == "" {
		e.Source = "admin"
	}
	e, probs := normalise(e)
	if len(probs) > 0 {
		return nil, &InvalidEntryError{Problems: probs}
	}
	var inserted bool
	err := tx.QueryRow(ctx, upsertSQL(fieldColumns()), entryArgs(e)...).Scan(&inserted)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("register: upsert %q: %w", e.MembershipNumber, err)
	}
	return GetByNumber(ctx, tx, e.MembershipNumber)
}

const insertEntry = `INSERT INTO register_entries AS r (membership_number, name, postal_address,
	emails, class, shares_held, amount_paid, admitted_on, ceased_on, ceased_reason, dues_status, paid_until, source)
VALUES ($1, $2, $3, coalesce($4::text[], '{}'), $5, $6, $7::bigint / 100.0, $8::date, $9::date, $10, $11, $12::date, $13)`

func entryArgs(e Entry) []any {
	return []any{e.MembershipNumber, e.Name, e.PostalAddress, e.Emails, e.Class, e.SharesHeld,
		e.AmountPaidPence, e.AdmittedOn, e.CeasedOn, e.CeasedReason, string(e.DuesStatus), e.PaidUntil, e.Source}
}

// upsertSQL inserts an entry, or updates fields of the one with its
// membership number, but only when one of them differs: an unchanged row
// returns nothing and keeps its updated_at. fields come from fieldColumns,
// never from a file, so they are safe to put in the statement.
func upsertSQL(fields []string) string {
	var set, held, given []string
	for _, f := range fields {
		if f == "membership_number" {
			continue
		}
		set = append(set, f+" = excluded."+f)
		held, given = append(held, "r."+f), append(given, "excluded."+f)
	}
	onConflict := "DO NOTHING"
	if len(set) > 0 {
		onConflict = "DO UPDATE SET " + strings.Join(set, ", ") + ", updated_at = now() WHERE (" +
			strings.Join(held, ", ") + ") IS DISTINCT FROM (" + strings.Join(given, ", ") + ")"
	}
	return insertEntry + "\nON CONFLICT (membership_number) " + onConflict + "\nRETURNING (xmax = 0)"
}

// upsertSQLCache builds each distinct statement once per import: every row of
// a file has the same fields.
func upsertSQLCache() func([]string) string {
	cache := map[string]string{}
	return func(fields []string) string {
		key := strings.Join(fields, ",")
		if sql, ok := cache[key]; ok {
			return sql
		}
		cache[key] = upsertSQL(fields)
		return cache[key]
	}
}

// fieldsOrAll is the list of fields an import updates for a row.
func fieldsOrAll(fields []string) []string {
	if fields == nil {
		return fieldColumns()
	}
	return slices.Clone(fields)
}
