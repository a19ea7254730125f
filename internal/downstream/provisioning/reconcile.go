package provisioning

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/people"
)

// maxRounds bounds how often one job follows a status that keeps changing
// under it before it gives up and lets River retry.
const maxRounds = 3

var errStatusChurn = errors.New("downstream: the person's standing kept changing during the sync; trying again")

// Outcome is what one sync did to an account.
type Outcome struct {
	Done    []Action           // the actions carried out, in order
	Account downstream.Account // the account as the last call left it
	Skipped string             // why nothing was done, when nothing was
}

// work runs one account job and turns the result into River's terms.
func (p *Provisioner) work(ctx context.Context, row *rivertype.JobRow, t Target) error {
	svc := p.Service(t.Service)
	if svc == nil {
		const msg = "this service is not enabled in coopgate's configuration any more"
		if err := p.recordError(ctx, t, "failed", msg); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("downstream: %s: %s", t.Service, msg))
	}
	out, err := p.Sync(ctx, svc, t)
	if err == nil && out.Skipped != "" {
		p.Log.InfoContext(ctx, "downstream job skipped", "job_id", row.ID, "service", t.Service, "action", t.Action, "why", out.Skipped)
	}
	v, rerr := p.record(ctx, t, out, err, row.Attempt >= row.MaxAttempts)
	if rerr != nil {
		return rerr // River retries; the service calls are idempotent
	}
	switch v.kind {
	case verdictHeld:
		p.Log.WarnContext(ctx, "downstream job held by a setting on the service", "job_id", row.ID, "service", t.Service, "error", err)
		return river.JobCancel(err)
	case verdictFailed:
		p.Log.WarnContext(ctx, "downstream job failed for good", "job_id", row.ID, "service", t.Service, "error", err)
		return river.JobCancel(err)
	case verdictSnooze:
		return river.JobSnooze(v.wait)
	case verdictRetry:
		p.Log.InfoContext(ctx, "downstream job will retry", "job_id", row.ID, "attempt", row.Attempt, "service", t.Service, "error", err)
		return err
	}
	return nil
}

// Sync carries out t on svc, for the person's standing now rather than when
// t was made:
//
//   - If t no longer fits (an ensure or reinstate for someone not admitted,
//     a suspend for someone not ceased), it does nothing. The change that
//     moved the person enqueued its own job, which carries the right details
//     (the secretary's reason), so acting here would only race it.
//   - If the person's standing changes while a call is in flight, the job
//     that change enqueued may already have run and found nothing to do
//     (a suspend that saw no account yet, a reinstate that saw no
//     suspension). So Sync looks again after acting and, if the standing
//     moved, does what fits the new one: suspend a ceased person, reinstate
//     an admitted one. Every call is idempotent, so overlap costs a call,
//     never a second account or a second suspension.
func (p *Provisioner) Sync(ctx context.Context, svc downstream.Service, t Target) (Outcome, error) {
	person, err := p.person(ctx, t.PersonID)
	if err != nil || person == nil {
		return Outcome{Skipped: "the person no longer exists"}, err
	}
	if !fits(t.Action, person.Status) {
		return Outcome{Skipped: fmt.Sprintf("%s does not fit a person who is %s", t.Action, person.Status)}, nil
	}
	action := t.Action
	var out Outcome
	for range maxRounds {
		acct, err := p.apply(ctx, svc, action, person)
		if err != nil {
			return out, err
		}
		out.Account, out.Done = acct, append(out.Done, action)
		now, err := p.person(ctx, person.ID)
		if err != nil || now == nil || now.Status == person.Status {
			return out, err
		}
		person = now
		if action = catchUp(now.Status); action == "" {
			return out, nil
		}
	}
	return out, errStatusChurn
}

// fits says whether action is right for someone with status.
func fits(action Action, status people.Status) bool {
	if action == ActionSuspend {
		return status == people.Ceased
	}
	return status == people.Admitted
}

// catchUp is what an account needs once its person has moved to status
// after this job acted: a reinstate undoes a suspension the job may just
// have made.
func catchUp(status people.Status) Action {
	switch status {
	case people.Admitted:
		return ActionReinstate
	case people.Ceased:
		return ActionSuspend
	}
	return ""
}

// apply carries out one action on the person's account.
func (p *Provisioner) apply(ctx context.Context, svc downstream.Service, action Action, person *people.Person) (downstream.Account, error) {
	subject, err := p.subject(ctx, person)
	if err != nil {
		return downstream.Account{}, err
	}
	switch action {
	case ActionEnsure:
		return svc.Ensure(ctx, subject)
	case ActionSuspend:
		return p.suspend(ctx, svc, person.ID, subject)
	case ActionReinstate:
		return p.reinstate(ctx, svc, person.ID, subject)
	}
	return downstream.Account{}, fmt.Errorf("downstream: unknown action %q", action)
}

// Subject is the person as the services see them. Only a verified email is
// passed on: the clients find and link existing accounts by it.
func Subject(p *people.Person) downstream.Person {
	out := downstream.Person{Subject: p.ID, Username: p.Username, Name: p.Name, Groups: p.Groups()}
	if p.EmailVerified {
		out.Email = p.Email
	}
	return out
}

// subject is Subject with the emails the person had before: an account a
// service keeps under one of them is still theirs.
func (p *Provisioner) subject(ctx context.Context, person *people.Person) (downstream.Person, error) {
	out := Subject(person)
	var err error
	out.FormerEmails, err = formerEmails(ctx, p.Pool, person.ID)
	return out, err
}

func formerEmails(ctx context.Context, q database.Querier, personID string) ([]string, error) {
	return audit.FormerValues(ctx, q, "person.email_change", personID, "email")
}

// person loads a person; nil (and no error) when there is none.
func (p *Provisioner) person(ctx context.Context, id string) (*people.Person, error) {
	return personIn(ctx, p.Pool, id)
}

func personIn(ctx context.Context, q database.Querier, id string) (*people.Person, error) {
	person, err := people.ByID(ctx, q, id)
	if errors.Is(err, people.ErrNotFound) {
		return nil, nil
	}
	return person, err
}
