package provisioning

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// Account is a person's account on one service as coopgate last saw it.
type Account struct {
	Service    string
	RemoteID   string
	State      string // pending, active, suspended, failed, missing or needs_setting
	Action     string // what coopgate last asked: ensure, suspend or reinstate
	LastError  string // safe to show the secretary
	LastSynced *time.Time
	UpdatedAt  time.Time
}

// PersonAccount is an Account with whose it is, for the secretary's list.
type PersonAccount struct {
	Account
	PersonID     string
	Name         string
	Username     string
	Email        string
	PersonStatus people.Status
}

// Errors Retry returns for the page to explain.
var (
	ErrNotEnabled     = errors.New("this service is not enabled")
	ErrNothingToRetry = errors.New("the person is neither a member nor a former member: there is nothing to sync")
	ErrPersonNotFound = errors.New("no such person")
)

const selectAccount = `SELECT a.service, a.remote_id, a.state, a.action, a.last_error, a.last_synced_at, a.updated_at`

// Accounts lists a person's accounts, by service.
func Accounts(ctx context.Context, db database.Querier, personID string) ([]Account, error) {
	rows, err := db.Query(ctx, selectAccount+`
		FROM downstream_accounts a WHERE a.person_id::text = $1 ORDER BY a.service`, personID)
	if err != nil {
		return nil, fmt.Errorf("downstream: accounts: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Account])
	if err != nil {
		return nil, fmt.Errorf("downstream: accounts: %w", err)
	}
	return out, nil
}

// Failed lists what the secretary may need to look at: every account whose
// last sync failed, every one held by a setting on its service, every
// member's account that the service's moderators keep suspended, then every
// one that waits for a sync (pending, perhaps retrying after an error),
// oldest first within each.
func Failed(ctx context.Context, db database.Querier) ([]PersonAccount, error) {
	rows, err := db.Query(ctx, selectAccount+`, a.person_id::text FROM downstream_accounts a
		WHERE a.state IN ('failed', 'pending', 'needs_setting', 'suspended')`)
	if err != nil {
		return nil, fmt.Errorf("downstream: failed accounts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PersonAccount, error) {
		var a PersonAccount
		return a, r.Scan(&a.Service, &a.RemoteID, &a.State, &a.Action, &a.LastError, &a.LastSynced, &a.UpdatedAt, &a.PersonID)
	})
	if err != nil {
		return nil, fmt.Errorf("downstream: failed accounts: %w", err)
	}
	return withPeople(ctx, db, list)
}

// failedShown caps the secretary's list.
const failedShown = 1000

// withPeople fills in whose each account is, leaves out the suspended
// accounts of people who are not members (that suspension is the point),
// and orders the list for Failed.
func withPeople(ctx context.Context, db database.Querier, list []PersonAccount) ([]PersonAccount, error) {
	ids := make([]string, len(list))
	for i, a := range list {
		ids[i] = a.PersonID
	}
	who, err := people.ByIDs(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	list = slices.DeleteFunc(list, func(a PersonAccount) bool {
		p := who[a.PersonID]
		return p == nil || a.State == "suspended" && p.Status != people.Admitted
	})
	for i := range list {
		p := who[list[i].PersonID]
		list[i].Name, list[i].Username, list[i].Email, list[i].PersonStatus = p.Name, p.Username, p.Email, p.Status
	}
	waiting := func(a PersonAccount) int { // pending accounts last
		if a.State == "pending" {
			return 1
		}
		return 0
	}
	slices.SortFunc(list, func(a, b PersonAccount) int {
		return cmp.Or(cmp.Compare(waiting(a), waiting(b)), a.UpdatedAt.Compare(b.UpdatedAt),
			strings.Compare(a.Username, b.Username), strings.Compare(a.Service, b.Service))
	})
	return list[:min(len(list), failedShown)], nil
}

// Retry enqueues the account's sync again, now, and records who asked. It
// repeats what coopgate last asked of the account if that still fits the
// person's standing, and otherwise what fits it now (ensure for a member,
// suspend for a former member). A job for it that waits for its next
// attempt is brought forward rather than doubled.
func (p *Provisioner) Retry(ctx context.Context, personID, service string, actor audit.Actor) error {
	if p.Service(service) == nil {
		return ErrNotEnabled
	}
	return database.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		person, err := personIn(ctx, tx, personID)
		if err != nil {
			return err
		}
		if person == nil {
			return ErrPersonNotFound
		}
		t, err := retryTarget(ctx, tx, person, service)
		if err != nil {
			return err
		}
		if err := p.markPending(ctx, tx, t); err != nil {
			return err
		}
		if err := p.insertNow(ctx, tx, t); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "downstream.retry", SubjectType: "person", SubjectID: person.ID,
			After: map[string]any{"service": service, "action": t.Action}})
	})
}

// insertNow enqueues t, or makes its waiting duplicate runnable at once.
// A duplicate that is running may be the very run whose failure the
// secretary is looking at, still finishing; River leaves running jobs
// alone, so one more run goes in behind it (at most one a minute, so a
// double click does not make two).
func (p *Provisioner) insertNow(ctx context.Context, tx pgx.Tx, t Target) error {
	res, err := p.insert(ctx, tx, t)
	if err != nil || !res.UniqueSkippedAsDuplicate {
		return err
	}
	if res.Job.State == rivertype.JobStateRunning {
		opts := accountInsertOpts()
		opts.UniqueOpts.ByPeriod = time.Minute
		if _, err := p.Jobs.InsertTx(ctx, tx, t.args(), &opts); err != nil {
			return fmt.Errorf("downstream: enqueueing %s %s again: %w", t.Action, t.Service, err)
		}
		return nil
	}
	if _, err := p.Jobs.JobRetryTx(ctx, tx, res.Job.ID); err != nil {
		return fmt.Errorf("downstream: bringing job %d forward: %w", res.Job.ID, err)
	}
	return nil
}

func retryTarget(ctx context.Context, tx pgx.Tx, person *people.Person, service string) (Target, error) {
	var last string
	err := tx.QueryRow(ctx, `SELECT action FROM downstream_accounts WHERE person_id = $1 AND service = $2`,
		person.ID, service).Scan(&last)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Target{}, fmt.Errorf("downstream: retry: %w", err)
	}
	t := Target{PersonID: person.ID, Service: service, Action: Action(last)}
	if t.Action == "" || !fits(t.Action, person.Status) {
		switch person.Status {
		case people.Admitted:
			t.Action = ActionEnsure
		case people.Ceased:
			t.Action = ActionSuspend
		default:
			return Target{}, ErrNothingToRetry
		}
	}
	return t, nil
}
