package provisioning

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/people"
)

// Finder is a service that can report an account without changing it; the
// three clients are. A dry run without one can only say what it would ask.
type Finder interface {
	Find(ctx context.Context, p downstream.Person) (downstream.Account, error)
}

// Report is one person's account on one service in a reconciliation.
type Report struct {
	Username string
	Status   people.Status
	Service  string
	Action   Action
	Plan     string  // dry run: what syncing would change
	Outcome  Outcome // real run: what it did
	Err      error   // the service's refusal (safe to print) or coopgate's failure
	Retrying bool    // real run: a job will try again later
}

// Reconcile syncs once, on each of services, every admitted person
// (ensure: which finds and links existing accounts by verified email or
// username) and every former member (suspend). With dryRun it changes
// nothing and reports what it would do. Each account is reported as it is
// done; an account that fails temporarily gets a job that keeps trying. It
// stops only for coopgate's own errors (the database).
func (p *Provisioner) Reconcile(ctx context.Context, services []downstream.Service, dryRun bool, report func(Report)) error {
	listed, err := people.WithStatus(ctx, p.Pool, people.Admitted, people.Ceased)
	if err != nil {
		return err
	}
	for _, l := range listed {
		person, err := p.person(ctx, l.ID) // as it stands now, not when listed
		if err != nil || person == nil {
			return err
		}
		t := reconcileTarget(person)
		for _, svc := range services {
			t.Service = svc.Name()
			r := Report{Username: person.Username, Status: person.Status, Service: t.Service, Action: t.Action}
			if dryRun {
				r.Plan, r.Err = p.plan(ctx, svc, person, t.Action)
			} else if err := p.reconcileOne(ctx, svc, t, &r); err != nil {
				return err
			}
			report(r)
		}
	}
	return nil
}

func reconcileTarget(person *people.Person) Target {
	if person.Status == people.Admitted {
		return Target{PersonID: person.ID, Action: ActionEnsure}
	}
	return Target{PersonID: person.ID, Action: ActionSuspend}
}

// reconcileOne syncs and records one account, as a job would.
func (p *Provisioner) reconcileOne(ctx context.Context, svc downstream.Service, t Target, r *Report) error {
	out, err := p.Sync(ctx, svc, t)
	r.Outcome, r.Err = out, err
	v, rerr := p.record(ctx, t, out, err, false)
	if rerr != nil {
		return rerr
	}
	if v.kind != verdictRetry && v.kind != verdictSnooze {
		return nil
	}
	r.Retrying = true
	return database.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		_, err := p.insert(ctx, tx, t)
		return err
	})
}

// plan says what syncing would change, from the account as it stands.
func (p *Provisioner) plan(ctx context.Context, svc downstream.Service, person *people.Person, action Action) (string, error) {
	f, ok := svc.(Finder)
	if !ok {
		return "would " + string(action), nil
	}
	subject, err := p.subject(ctx, person)
	if err != nil {
		return "", err
	}
	a, err := f.Find(ctx, subject)
	if err != nil {
		return "", err
	}
	found := string(a.State)
	if a.RemoteID != "" {
		found += " (id " + a.RemoteID + ")"
	}
	return found + ": " + change(svc.Name(), action, a.State), nil
}

func change(service string, action Action, state downstream.State) string {
	if action == ActionSuspend {
		switch {
		case state == downstream.StateMissing:
			return "nothing to suspend"
		case state == downstream.StateSuspended:
			return "already suspended"
		case state == downstream.StatePending && service == "gitlab":
			return "would reject the request waiting for approval (GitLab cannot block it)"
		}
		return "would suspend it"
	}
	switch state {
	case downstream.StateMissing:
		if service == "mastodon" {
			return "Mastodon makes it at their first login"
		}
		return "would create it"
	case downstream.StatePending:
		return "would approve it"
	case downstream.StateSuspended:
		return "left suspended (only a reinstatement lifts it)"
	}
	return "in place (a sync only links it or adds groups where needed)"
}
