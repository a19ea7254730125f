package membership

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
)

// Kind is what a change asks of a person's standing.
type Kind string

// The kinds of change.
const (
	KindCease     Kind = "cease"     // the register gives their entry a ceased_on date that has come
	KindReinstate Kind = "reinstate" // the register cleared the ceased_on date of a former member
	KindMissing   Kind = "missing"   // a whole-register upload left their entry out
)

// The states of a change, as membership_changes stores them.
const (
	statePending   = "pending"
	stateConfirmed = "confirmed"
	stateDismissed = "dismissed"
	stateWithdrawn = "withdrawn" // the register or the person moved on before anyone decided
	stateApplied   = "applied"   // apply_register_endings: automatic
)

// Change is one change the register asks of a linked person.
type Change struct {
	ID           int64
	Person       *people.Person
	Entry        register.Entry
	Kind         Kind
	CeasedOn     *time.Time
	CeasedReason string
	Source       string // which import, or the date arriving, in words
	CreatedAt    time.Time
}

// Reason is what the person is told when the change ends their membership,
// unless the secretary words it otherwise.
func (c Change) Reason() string {
	switch {
	case c.Kind == KindMissing:
		return "You are no longer on the co-op's member register."
	case c.CeasedOn == nil:
		return ""
	case c.CeasedReason != "":
		return fmt.Sprintf("The member register records that your membership ended on %s (%s).", LongDate(*c.CeasedOn), c.CeasedReason)
	}
	return fmt.Sprintf("The member register records that your membership ended on %s.", LongDate(*c.CeasedOn))
}

const selectChange = `SELECT id, person_id::text, register_entry_id, kind, ceased_on, ceased_reason, source, created_at
	FROM membership_changes `

type changeRow struct {
	ID           int64
	PersonID     string
	EntryID      int64
	Kind         Kind
	CeasedOn     *time.Time
	CeasedReason string
	Source       string
	CreatedAt    time.Time
}

// Pending lists the changes waiting for the secretary, oldest first, with
// the person and the register entry each is about.
func Pending(ctx context.Context, q database.Querier) ([]Change, error) {
	rows, err := q.Query(ctx, selectChange+`WHERE state = 'pending' ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("membership: pending changes: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[changeRow])
	if err != nil {
		return nil, fmt.Errorf("membership: pending changes: %w", err)
	}
	return withPeopleAndEntries(ctx, q, list)
}

func withPeopleAndEntries(ctx context.Context, q database.Querier, list []changeRow) ([]Change, error) {
	ids, entryIDs := make([]string, len(list)), make([]int64, len(list))
	for i, c := range list {
		ids[i], entryIDs[i] = c.PersonID, c.EntryID
	}
	who, err := people.ByIDs(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	entries, err := register.ByIDs(ctx, q, entryIDs)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(list))
	for _, c := range list {
		if p := who[c.PersonID]; p != nil {
			out = append(out, Change{ID: c.ID, Person: p, Entry: entries[c.EntryID], Kind: c.Kind, CeasedOn: c.CeasedOn,
				CeasedReason: c.CeasedReason, Source: c.Source, CreatedAt: c.CreatedAt})
		}
	}
	return out, nil
}

// PendingFor is the change waiting about one person, or nil.
func PendingFor(ctx context.Context, q database.Querier, personID string) (*Change, error) {
	rows, err := q.Query(ctx, selectChange+`WHERE state = 'pending' AND person_id = $1`, personID)
	if err != nil {
		return nil, fmt.Errorf("membership: pending change: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[changeRow])
	if err != nil {
		return nil, fmt.Errorf("membership: pending change: %w", err)
	}
	changes, err := withPeopleAndEntries(ctx, q, list)
	if err != nil || len(changes) == 0 {
		return nil, err
	}
	return &changes[0], nil
}

// CountPending counts the changes waiting for the secretary.
func CountPending(ctx context.Context, q database.Querier) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM membership_changes WHERE state = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("membership: counting changes: %w", err)
	}
	return n, nil
}

// Confirm carries out a pending change: an ending ends the membership (with
// reason, mailed to them), a reinstatement reinstates it, through
// admission, with the change marked confirmed and audited in the same
// transaction. A change whose person no longer stands where it expects
// (someone acted on them meanwhile) is withdrawn instead, and
// ErrChangeDecided returned.
func (s *Service) Confirm(ctx context.Context, id int64, reason string, actor audit.Actor) error {
	stale := false
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		stale = false
		c, err := lockPending(ctx, tx, id)
		if err != nil {
			return err
		}
		switch c.Kind {
		case KindReinstate:
			_, err = s.Admission.ReinstateIn(ctx, tx, c.PersonID, actor)
		default:
			_, err = s.Admission.CeaseIn(ctx, tx, c.PersonID, reason, actor)
		}
		if errors.Is(err, admission.ErrWrongStatus) {
			stale = true
			return closeChange(ctx, tx, c, stateWithdrawn, audit.System, "membership_change.withdraw")
		}
		if err != nil {
			return err
		}
		return closeChange(ctx, tx, c, stateConfirmed, actor, "membership_change.confirm")
	})
	if err == nil && stale {
		return ErrChangeDecided
	}
	return err
}

// Dismiss leaves the person as they are: the change is kept as dismissed
// and audited. An ending dismissed is not proposed again for the same
// ceased_on date.
func (s *Service) Dismiss(ctx context.Context, id int64, actor audit.Actor) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		c, err := lockPending(ctx, tx, id)
		if err != nil {
			return err
		}
		return closeChange(ctx, tx, c, stateDismissed, actor, "membership_change.dismiss")
	})
}

func lockPending(ctx context.Context, tx pgx.Tx, id int64) (changeRow, error) {
	var c changeRow
	err := tx.QueryRow(ctx, selectChange+`WHERE id = $1 AND state = 'pending' FOR UPDATE`, id).
		Scan(&c.ID, &c.PersonID, &c.EntryID, &c.Kind, &c.CeasedOn, &c.CeasedReason, &c.Source, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrChangeDecided
	}
	if err != nil {
		return c, fmt.Errorf("membership: loading change: %w", err)
	}
	return c, nil
}

// closeChange closes a change in state, with its audit event.
func closeChange(ctx context.Context, tx pgx.Tx, c changeRow, state string, actor audit.Actor, action string) error {
	_, err := tx.Exec(ctx, `UPDATE membership_changes SET state = $2, decided_by = nullif($3, '')::uuid, decided_at = now()
		WHERE id = $1`, c.ID, state, actor.PersonID)
	if err != nil {
		return fmt.Errorf("membership: deciding change: %w", err)
	}
	return audit.Record(ctx, tx, actor, audit.Event{Action: action, SubjectType: "person", SubjectID: c.PersonID,
		After: map[string]any{"change": c.ID, "kind": c.Kind, "register_entry": c.EntryID, "source": c.Source}})
}
