package provisioning

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/people"
)

// maxWebhookBody bounds a delivery; an Admin::Account payload is a few KiB.
const maxWebhookBody = 256 << 10

// MastodonWebhook handles Mastodon's signed account.created deliveries:
// the account of an admitted person is ensured (approved and recorded) at
// once; a pending sign-up of someone unknown is rejected if
// reject_unknown_pending is on. It answers 404 while no secret is
// configured, 401 to a bad signature (doing nothing), and 2xx to a replay
// without acting again. Mount it outside sessions and CSRF.
func (p *Provisioner) MastodonWebhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(p.WebhookSecret) == 0 || p.mastodon() == nil {
			http.NotFound(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		if !mastodon.VerifyWebhook(p.WebhookSecret, body, r.Header.Get(mastodon.WebhookSignatureHeader)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		ev, err := mastodon.ParseAccountCreated(body)
		if errors.Is(err, mastodon.ErrOtherEvent) {
			w.WriteHeader(http.StatusNoContent) // subscribed to more than coopgate reads: fine
			return
		}
		if err != nil {
			http.Error(w, "not an account.created payload", http.StatusBadRequest)
			return
		}
		if err := p.accountCreated(r.Context(), ev); err != nil {
			p.Log.ErrorContext(r.Context(), "mastodon webhook", "error", err)
			http.Error(w, "could not handle it now; deliver it again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// accountCreated acts on one delivery, once: the delivery is recorded in
// the same transaction as the job it causes, so a replay (or Mastodon's own
// redelivery) finds it and does nothing, and a failure leaves no trace for
// the redelivery to trip on. An account is created once, so its id names
// the delivery.
func (p *Provisioner) accountCreated(ctx context.Context, ev mastodon.AccountCreated) error {
	return database.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (source, delivery_id) VALUES ('mastodon', $1)
			ON CONFLICT DO NOTHING`, mastodon.EventAccountCreated+":"+ev.Account.ID)
		if err != nil {
			return fmt.Errorf("recording the delivery: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		person, err := p.ownerOf(ctx, tx, ev.Account)
		switch {
		case err != nil:
			return err
		case person != nil:
			_, err = p.insert(ctx, tx, Target{PersonID: person.ID, Service: "mastodon", Action: ActionEnsure})
		case !ev.Account.Approved && p.mastodonRejectsUnknown():
			_, err = p.Jobs.InsertTx(ctx, tx, RejectArgs{AccountID: ev.Account.ID}, nil)
		}
		return err
	})
}

// ownerOf finds the admitted person an account belongs to: by email, or by
// username when the account's email is one that member had before changing
// it in coopgate. An account with a member's username and any other email is
// nobody's: anyone can pick a member's name on Mastodon's own sign-up form,
// and an ensure would approve or bind their account.
func (p *Provisioner) ownerOf(ctx context.Context, tx pgx.Tx, a mastodon.AdminAccount) (*people.Person, error) {
	person, err := admittedByEmail(ctx, tx, a.Email)
	if err != nil || person != nil || a.Email == "" {
		return person, err
	}
	named, err := people.ByUsername(ctx, tx, a.Username)
	switch {
	case errors.Is(err, people.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("finding the account's owner: %w", err)
	case named.Status != people.Admitted:
		return nil, nil
	}
	former, err := formerEmails(ctx, tx, named.ID)
	if err != nil || !(downstream.Person{FormerEmails: former}).Owns(a.Email) {
		return nil, err
	}
	return named, nil
}

// mastodonRejectsUnknown is reject_unknown_pending: the client's
// SweepPending is a no-op without it, and so is the webhook's reject.
func (p *Provisioner) mastodonRejectsUnknown() bool {
	m := p.mastodon()
	return m != nil && m.RejectsUnknownPending()
}
