package membership

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/register"
	"github.com/coopgate/coopgate/internal/seal"
	"github.com/coopgate/coopgate/web"
)

// clock is a settable "now" for the service under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time        { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time)       { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func (c *clock) days(n int)            { c.set(c.Now().AddDate(0, 0, n)) }
func (c *clock) day() time.Time        { return Day(c.Now()) }
func (c *clock) date(n int) *time.Time { d := c.day().AddDate(0, 0, n); return &d }

// downstream records whom the services were told about.
type downstream struct {
	mu                           sync.Mutex
	admitted, ceased, reinstated []string
}

func (d *downstream) Admitted(_ context.Context, _ pgx.Tx, p *people.Person) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.admitted = append(d.admitted, p.ID)
	return nil
}

func (d *downstream) Ceased(_ context.Context, _ pgx.Tx, p *people.Person) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ceased = append(d.ceased, p.ID)
	return nil
}

func (d *downstream) Reinstated(_ context.Context, _ pgx.Tx, p *people.Person) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reinstated = append(d.reinstated, p.ID)
	return nil
}

type fixture struct {
	s     *Service
	pool  *pgxpool.Pool
	clock *clock
	down  *downstream
	box   *seal.Box
	log   *slog.Logger
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newFixture is the membership service on a fresh database, on 1 March
// 2026 by its clock; its jobs and mail are queued, not worked.
func newFixture(t *testing.T, policy Policy) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	return fixtureOn(t, pool, policy, &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)})
}

func fixtureOn(t *testing.T, pool *pgxpool.Pool, policy Policy, c *clock) *fixture {
	t.Helper()
	log := quietLog()
	inserter, err := jobs.NewInserter(pool, log)
	if err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	render, err := mail.NewRenderer(web.Mail, mail.CoopInfo{Name: "Test Co-op", URL: "https://id.example.coop", Contact: "secretary@example.coop"})
	if err != nil {
		t.Fatal(err)
	}
	outbox := mail.NewOutbox(render, box, inserter)
	down := &downstream{}
	adm := &admission.Service{Pool: pool, Jobs: inserter, Box: box, Mail: outbox, BaseURL: "https://id.example.coop", Downstream: down}
	s := &Service{Pool: pool, Admission: adm, Jobs: inserter, Mail: outbox, Policy: policy, Log: log, Now: c.Now}
	return &fixture{s: s, pool: pool, clock: c, down: down, box: box, log: log}
}

func defaultPolicy() Policy {
	return Policy{ReminderDays: []int{30, 7}, GraceDays: 30, HowToPay: mail.HowToPay{Text: "Pay by transfer.", URL: "https://pay.example.coop"}}
}

// entry is one register entry as a file row.
func row(number, name, email string, ceasedOn *time.Time, paidUntil *time.Time) register.Row {
	return register.Row{Line: 2, Entry: register.Entry{MembershipNumber: number, Name: name, Emails: []string{email},
		CeasedOn: ceasedOn, PaidUntil: paidUntil}}
}

// importRows imports rows as the secretary would, returning what it did.
func (f *fixture) importRows(t *testing.T, whole bool, rows ...register.Row) ImportResult {
	t.Helper()
	ctx := context.Background()
	var res ImportResult
	err := database.InTx(ctx, f.pool, func(tx pgx.Tx) (err error) {
		res, err = f.s.Import(ctx, tx, Import{Rows: rows, FileName: "members.csv", Digest: "d1", Whole: whole}, audit.Actor{Label: "secretary"})
		return err
	})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

// member makes an admitted person linked to the register entry number,
// which must exist.
func (f *fixture) member(t *testing.T, email, number string) *people.Person {
	t.Helper()
	ctx := context.Background()
	p := peopletest.Admitted(t, f.pool, email)
	e, err := register.GetByNumber(ctx, f.pool, number)
	if err != nil {
		t.Fatal(err)
	}
	err = database.InTx(ctx, f.pool, func(tx pgx.Tx) error { return people.LinkRegisterEntry(ctx, tx, p.ID, e.ID) })
	if err != nil {
		t.Fatal(err)
	}
	p, err = people.ByID(ctx, f.pool, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) status(t *testing.T, id string) people.Status {
	t.Helper()
	p, err := people.ByID(context.Background(), f.pool, id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Status
}

// pending is the kinds of change waiting, by person id.
func (f *fixture) pending(t *testing.T) map[string]Kind {
	t.Helper()
	list, err := Pending(context.Background(), f.pool)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Kind{}
	for _, c := range list {
		out[c.Person.ID] = c.Kind
	}
	return out
}

func (f *fixture) pendingChange(t *testing.T, personID string) Change {
	t.Helper()
	c, err := PendingFor(context.Background(), f.pool, personID)
	if err != nil || c == nil {
		t.Fatalf("no change waits for %s (%v)", personID, err)
	}
	return *c
}

func (f *fixture) scan(t *testing.T) {
	t.Helper()
	if err := f.s.Scan(context.Background()); err != nil {
		t.Fatalf("scan: %v", err)
	}
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
