package people_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
)

func addEmail(pool *pgxpool.Pool, id, email string) error {
	ctx := context.Background()
	return database.InTx(ctx, pool, func(tx pgx.Tx) error { return people.AddEmail(ctx, tx, id, email) })
}

func TestAnAddressBelongsToOnePersonOnly(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	ann := peopletest.Admitted(t, pool, "ann@example.org")
	bob := peopletest.Admitted(t, pool, "bob@example.org")

	if err := addEmail(pool, ann.ID, " Ann@Work.Example "); err != nil {
		t.Fatalf("adding an address: %v", err)
	}
	if err := addEmail(pool, ann.ID, "ann@work.example"); err != nil {
		t.Errorf("adding the same address again: %v; want a no-op", err)
	}
	tests := []struct {
		name string
		err  error
	}{
		{"another's other address", addEmail(pool, bob.ID, "ann@work.example")},
		{"another's login email", addEmail(pool, bob.ID, "ann@example.org")},
		{"one's own login email", addEmail(pool, ann.ID, "ann@example.org")},
		{"a login email that is another's other address", database.InTx(ctx, pool, func(tx pgx.Tx) error {
			return people.SetEmail(ctx, tx, bob.ID, "ann@work.example")
		})},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, people.ErrEmailTaken) {
			t.Errorf("%s: %v; want ErrEmailTaken", tt.name, tt.err)
		}
	}
	// A sign-up with someone's other address is refused as a taken login
	// email is: the database says so, whoever asks.
	err := database.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := people.Create(ctx, tx, people.New{Email: "ann@work.example", Name: "Eve", Username: "eve", PasswordHash: "x", Status: people.SignedUp})
		return err
	})
	if !errors.Is(err, people.ErrEmailTaken) {
		t.Errorf("creating a person with another's other address: %v; want ErrEmailTaken", err)
	}

	for _, email := range []string{"ann@example.org", "ANN@work.example"} {
		if p, err := people.ByAnyEmail(ctx, pool, email); err != nil || p.ID != ann.ID {
			t.Errorf("ByAnyEmail(%s) = %v, %v; want Ann", email, p, err)
		}
	}
	if p, err := people.ByEmail(ctx, pool, "ann@work.example"); !errors.Is(err, people.ErrNotFound) {
		t.Errorf("ByEmail found %v by an other address: logging in takes the login email only", p)
	}
	if p, _ := people.List(ctx, pool, people.Filter{Search: "work.example"}); p.Total != 1 || p.People[0].ID != ann.ID {
		t.Errorf("searching people by an other address found %+v", p)
	}
}

// One address claimed at once as Ann's other address and as Bob's login
// email, in two transactions: no unique index spans the two tables, so the
// trigger's lock on the address must make the second wait for the first and
// then refuse. Bob's transaction runs while Ann's is still open; Ann's
// commits only once Bob's is done or waiting, so without the lock Bob's
// check could not see Ann's claim and both would win.
func TestOneAddressClaimedInBothTablesAtOnce(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	ann := peopletest.Admitted(t, pool, "ann@example.org")
	bob := peopletest.Admitted(t, pool, "bob@example.org")
	annTx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = annTx.Rollback(ctx) }()
	if err := people.AddEmail(ctx, annTx, ann.ID, "shared@example.org"); err != nil {
		t.Fatal(err)
	}
	bobConn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer bobConn.Release()
	bobPID := bobConn.Conn().PgConn().PID()
	bobDone := make(chan error, 1)
	go func() {
		bobDone <- pgx.BeginFunc(ctx, bobConn, func(tx pgx.Tx) error { return people.SetEmail(ctx, tx, bob.ID, "shared@example.org") })
	}()
	var bobErr error
	for waiting := false; !waiting; {
		select {
		case bobErr = <-bobDone:
			waiting = true
			bobDone <- bobErr
		default:
			_ = pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock')`, bobPID).Scan(&waiting)
		}
	}
	if err := annTx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-bobDone; !errors.Is(err, people.ErrEmailTaken) {
		t.Fatalf("Bob's login email became Ann's other address: %v; want ErrEmailTaken", err)
	}
}

func TestLoginEmailMayBecomeOneOfTheOthersAndBack(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	ann := peopletest.Admitted(t, pool, "ann@example.org")
	if err := addEmail(pool, ann.ID, "ann@work.example"); err != nil {
		t.Fatal(err)
	}
	err := database.InTx(ctx, pool, func(tx pgx.Tx) error { return people.SetEmail(ctx, tx, ann.ID, "ann@work.example") })
	if err != nil {
		t.Fatalf("making an other address the login email: %v", err)
	}
	others, err := people.OtherEmails(ctx, pool, ann.ID)
	if err != nil || len(others) != 0 {
		t.Errorf("others after the change: %v, %v; want none (it is the login email now)", others, err)
	}
	p, _ := people.ByID(ctx, pool, ann.ID)
	got, err := people.VerifiedEmails(ctx, pool, p)
	if err != nil || len(got) != 1 || got[0] != "ann@work.example" {
		t.Errorf("VerifiedEmails = %v, %v", got, err)
	}
}

func TestOtherEmailsAreBounded(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ann := peopletest.Admitted(t, pool, "ann@example.org")
	for i := range people.MaxOtherEmails {
		if err := addEmail(pool, ann.ID, "ann"+string(rune('a'+i))+"@example.org"); err != nil {
			t.Fatal(err)
		}
	}
	if err := addEmail(pool, ann.ID, "one-too-many@example.org"); !errors.Is(err, people.ErrTooManyEmails) {
		t.Errorf("address %d: %v; want ErrTooManyEmails", people.MaxOtherEmails+1, err)
	}
}
