package provisioning

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/downstream"
)

// NotOurSuspension is the note kept on an account that a service's own
// moderators suspended: coopgate neither made that suspension nor lifts it.
const NotOurSuspension = "suspended on the service by its own moderators, not by coopgate: coopgate leaves that suspension alone; lift it there if the member should be let back in"

// suspend suspends the account with the neutral text and remembers that
// coopgate did, unless the account was suspended already. A suspension that
// was there before (a moderator's, or coopgate's from an earlier run, which
// is remembered already) adds no record.
func (p *Provisioner) suspend(ctx context.Context, svc downstream.Service, personID string, subject downstream.Person) (downstream.Account, error) {
	text := p.SuspensionText
	if text == "" {
		text = DefaultSuspensionText
	}
	acct, err := svc.Suspend(ctx, subject, text)
	if err != nil || acct.State != downstream.StateSuspended || acct.Before == downstream.StateSuspended {
		return acct, err
	}
	_, err = p.Pool.Exec(ctx, `
		INSERT INTO downstream_suspensions (person_id, service, remote_id, state_before) VALUES ($1, $2, $3, $4)
		ON CONFLICT (person_id, service) DO NOTHING`, personID, svc.Name(), acct.RemoteID, beforeState(acct.Before))
	if err != nil {
		return acct, fmt.Errorf("downstream: remembering the %s suspension: %w", svc.Name(), err)
	}
	return acct, nil
}

func beforeState(s downstream.State) string {
	if s == downstream.StatePending {
		return "pending"
	}
	return "active"
}

// reinstate lifts the suspension coopgate made, if it made one, then
// ensures the account (which approves, links or creates it). A suspension
// coopgate did not make stays, and is reported with NotOurSuspension.
func (p *Provisioner) reinstate(ctx context.Context, svc downstream.Service, personID string, subject downstream.Person) (downstream.Account, error) {
	ours, err := p.madeSuspension(ctx, personID, svc.Name())
	if err != nil {
		return downstream.Account{}, err
	}
	if ours {
		if _, err := svc.Reinstate(ctx, subject); err != nil {
			return downstream.Account{}, err
		}
		if _, err := p.Pool.Exec(ctx, `DELETE FROM downstream_suspensions WHERE person_id = $1 AND service = $2`,
			personID, svc.Name()); err != nil {
			return downstream.Account{}, fmt.Errorf("downstream: forgetting the %s suspension: %w", svc.Name(), err)
		}
	}
	return svc.Ensure(ctx, subject)
}

func (p *Provisioner) madeSuspension(ctx context.Context, personID, service string) (bool, error) {
	var one int
	err := p.Pool.QueryRow(ctx, `SELECT 1 FROM downstream_suspensions WHERE person_id = $1 AND service = $2`,
		personID, service).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("downstream: looking up the %s suspension: %w", service, err)
	}
	return true, nil
}
