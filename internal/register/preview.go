package register

import (
	"context"
	"fmt"

	"github.com/coopgate/coopgate/internal/csvfile"
	"github.com/coopgate/coopgate/internal/database"
)

// Change is one field an import would change on an entry the register holds,
// in the text of our CSV format.
type Change struct {
	Field    string
	From, To string
}

// Planned is what an import would do with one row.
type Planned struct {
	Line    int
	Entry   Entry    // as it would be stored
	Changes []Change // for an update; nil otherwise
}

// Plan is what importing a set of rows would do to the register, for the
// preview the secretary confirms.
type Plan struct {
	Added, Updated, Unchanged []Planned
}

// Summary counts the plan as Import reports what it did.
func (p Plan) Summary() Summary {
	return Summary{Added: len(p.Added), Updated: len(p.Updated), Unchanged: len(p.Unchanged)}
}

// Preview works out what Import would do with rows, without changing
// anything: an entry is added when its membership number is not held,
// updated when one of the row's Fields differs from the held entry, else
// unchanged. It compares the same normalised values Import's upsert compares,
// so a preview and the import that follows agree (unless someone changes the
// register in between). Rows Import would refuse make Preview fail the same way.
func Preview(ctx context.Context, db database.Querier, rows []Row) (Plan, error) {
	rows, err := checkRows(rows)
	if err != nil {
		return Plan{}, err
	}
	held, err := entriesByNumber(ctx, db, rows)
	if err != nil {
		return Plan{}, err
	}
	var plan Plan
	for _, r := range rows {
		old, ok := held[r.Entry.MembershipNumber]
		if !ok {
			plan.Added = append(plan.Added, Planned{Line: r.Line, Entry: r.Entry})
			continue
		}
		changes := diffFields(old, r.Entry, r.Fields)
		if len(changes) == 0 {
			plan.Unchanged = append(plan.Unchanged, Planned{Line: r.Line, Entry: r.Entry})
			continue
		}
		plan.Updated = append(plan.Updated, Planned{Line: r.Line, Entry: r.Entry, Changes: changes})
	}
	return plan, nil
}

// entriesByNumber loads the held entries that rows' membership numbers name.
func entriesByNumber(ctx context.Context, db database.Querier, rows []Row) (map[string]Entry, error) {
	numbers := make([]string, len(rows))
	for i, r := range rows {
		numbers[i] = r.Entry.MembershipNumber
	}
	entries, err := queryEntries(ctx, db, selectEntry+`WHERE membership_number = ANY($1::text[])`, numbers)
	if err != nil {
		return nil, fmt.Errorf("register: preview: %w", err)
	}
	held := make(map[string]Entry, len(entries))
	for _, e := range entries {
		held[e.MembershipNumber] = e
	}
	return held, nil
}

// diffFields lists the fields (other than the key) whose text differs. The
// text is the export's, which is one-to-one with the stored value for every
// field, so equal text is what the upsert's IS DISTINCT FROM calls equal.
func diffFields(old, e Entry, fields []string) []Change {
	was, is := fieldTexts(old), fieldTexts(e)
	var changes []Change
	for _, f := range fields {
		if f != "membership_number" && was[f] != is[f] {
			changes = append(changes, Change{Field: f, From: was[f], To: is[f]})
		}
	}
	return changes
}

// fieldTexts maps each field to its text in our CSV format, unguarded.
func fieldTexts(e Entry) map[string]string {
	cells := exportRecord(e)
	texts := make(map[string]string, len(cells))
	for i, field := range fieldColumns() {
		texts[field] = csvfile.Unguard(cells[i])
	}
	return texts
}
