package provisioning_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// TestFailedListsWhatNeedsALook: the secretary's list has failed and held
// accounts and members' suspended ones, oldest first (then by username and
// service), then those waiting for a sync; a former member's suspended
// account and an active one are not listed.
func TestFailedListsWhatNeedsALook(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	id := map[string]string{}
	err := database.InTx(ctx, pool, func(tx pgx.Tx) error {
		for name, status := range map[string]people.Status{"ann": people.Admitted, "bob": people.Ceased, "cat": people.Admitted} {
			p, err := people.Create(ctx, tx, people.New{Email: name + "@example.coop", Name: name, Username: name, PasswordHash: "x", Status: status})
			if err != nil {
				return err
			}
			id[name] = p.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, a := range []struct {
		who, service, state string
		minutes             int
	}{
		{"ann", "mastodon", "failed", 2},
		{"ann", "gitlab", "pending", 1},
		{"bob", "discourse", "suspended", 0},
		{"bob", "mastodon", "failed", 1},
		{"cat", "discourse", "suspended", 3},
		{"cat", "mastodon", "needs_setting", 1},
		{"cat", "gitlab", "active", 0},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO downstream_accounts (person_id, service, state, updated_at) VALUES ($1, $2, $3, $4)`,
			id[a.who], a.service, a.state, t0.Add(time.Duration(a.minutes)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := provisioning.Failed(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range list {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", a.Username, a.Email, a.PersonStatus, a.Service, a.State))
	}
	want := []string{
		"bob bob@example.coop ceased mastodon failed",
		"cat cat@example.coop admitted mastodon needs_setting",
		"ann ann@example.coop admitted mastodon failed",
		"cat cat@example.coop admitted discourse suspended",
		"ann ann@example.coop admitted gitlab pending",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Failed:\n%q\nwant\n%q", got, want)
	}
}
