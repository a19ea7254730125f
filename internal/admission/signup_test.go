package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/seal"
	"github.com/coopgate/coopgate/web"
)

// newService is admission on a fresh database; its mail is queued (an
// insert-only job client), never sent.
func newService(t *testing.T) (*Service, *pgxpool.Pool) {
	t.Helper()
	return newServiceWith(t, noDownstream{}, nil)
}

// noDownstream stands for a coopgate with no service enabled.
type noDownstream struct{}

func (noDownstream) Admitted(context.Context, pgx.Tx, *people.Person) error   { return nil }
func (noDownstream) Ceased(context.Context, pgx.Tx, *people.Person) error     { return nil }
func (noDownstream) Reinstated(context.Context, pgx.Tx, *people.Person) error { return nil }

func newServiceWith(t *testing.T, down Downstream, metrics Metrics) (*Service, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	client, err := jobs.NewInserter(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	renderer, err := mail.NewRenderer(web.Mail, mail.CoopInfo{Name: "Test Co-op", URL: "https://id.example.coop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `INSERT INTO allowed_domains (domain) VALUES ('example.coop')`); err != nil {
		t.Fatal(err)
	}
	return &Service{Pool: pool, Jobs: client, Box: box, Mail: mail.NewOutbox(renderer, box, client), BaseURL: "https://id.example.coop",
		Secretary: "secretary@example.coop", Downstream: down, Metrics: metrics}, pool
}

func mailQueued(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'mail_send'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func signUp(email, username string) SignUp {
	return SignUp{Email: email, Name: "Someone", Username: username, PasswordHash: "x"}
}

// workQueued works the admission requests queued since the last call, as
// River would (the test's job client only inserts).
func workQueued(t *testing.T, s *Service) {
	t.Helper()
	ctx := context.Background()
	rows, err := s.Pool.Query(ctx, `SELECT id, kind, args FROM river_job
		WHERE kind IN ('admission_signup', 'admission_recovery') AND state = 'available' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type queued struct {
		ID         int64
		Kind, Args string
	}
	jobs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[queued])
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		switch j.Kind {
		case "admission_signup":
			var a SignUpArgs
			mustUnmarshal(t, j.Args, &a)
			err = (&signUpWorker{s: s}).Work(ctx, &river.Job[SignUpArgs]{JobRow: &rivertype.JobRow{ID: j.ID}, Args: a})
		default:
			var a RecoveryArgs
			mustUnmarshal(t, j.Args, &a)
			err = (&recoveryWorker{s: s}).Work(ctx, &river.Job[RecoveryArgs]{JobRow: &rivertype.JobRow{ID: j.ID}, Args: a})
		}
		if err != nil {
			t.Fatalf("working %s job %d: %v", j.Kind, j.ID, err)
		}
		if _, err := s.Pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1`, j.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatal(err)
	}
}

// signUpNow requests a sign-up and works it, returning the person made.
func signUpNow(t *testing.T, s *Service, in SignUp) *people.Person {
	t.Helper()
	id, err := s.RequestSignUp(context.Background(), in, audit.Actor{})
	if err != nil {
		t.Fatalf("sign-up of %s: %v", in.Email, err)
	}
	workQueued(t, s)
	p, err := people.ByID(context.Background(), s.Pool, id)
	if err != nil {
		t.Fatalf("the sign-up of %s made no person: %v", in.Email, err)
	}
	return p
}

// footprint counts what requests write: people, username claims, tokens for
// mailed links, and jobs by kind.
func footprint(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT 'people', count(*) FROM people UNION ALL SELECT 'claims', count(*) FROM username_claims
		UNION ALL SELECT 'tokens', count(*) FROM email_tokens UNION ALL SELECT kind, count(*) FROM river_job GROUP BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// wrote is what changed between two footprints, e.g. "claims+1 admission_signup+1".
func wrote(before, after map[string]int) string {
	var out []string
	for k, n := range after {
		if d := n - before[k]; d != 0 {
			out = append(out, fmt.Sprintf("%s%+d", k, d))
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// request runs fn and returns what it wrote.
func request(t *testing.T, pool *pgxpool.Pool, fn func() error) string {
	t.Helper()
	before := footprint(t, pool)
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	return wrote(before, footprint(t, pool))
}

// TestSignUpRequestsLookAlike: a sign-up for a registered address, or for
// one whose sign-up is still to be confirmed, does exactly the work one for
// a new address does (claim the username, queue one job), so neither the
// answer nor its timing can tell them apart; the job then does whichever is
// right. A taken username is refused for all, and a name asked for stays
// taken whichever the address was.
func TestSignUpRequestsLookAlike(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	ann := signUpNow(t, s, signUp("ann@example.coop", "ann"))
	if ann.Status != people.SignedUp || ann.Username != "ann" {
		t.Fatalf("first sign-up made %+v", ann)
	}
	if _, err := s.VerifyEmail(ctx, verifyToken(t, s, ann.ID), Proof{SignedUpAs: ann.ID}, audit.Actor{}); err != nil {
		t.Fatal(err)
	}
	pat := signUpNow(t, s, signUp("pat@example.coop", "pat"))
	for _, email := range []string{"ann@example.coop", "pat@example.coop", "new@example.coop"} {
		if _, err := s.RequestSignUp(ctx, signUp(email, "ANN"), audit.Actor{}); !errors.Is(err, people.ErrUsernameTaken) {
			t.Errorf("%s with a taken username: %v; want ErrUsernameTaken", email, err)
		}
	}
	const want = "admission_signup+1 claims+1"
	ins := []SignUp{signUp("Ann@Example.coop", "other"), signUp("zoe@example.coop", "zoe"), signUp(pat.Email, "pat2")}
	for _, in := range ins {
		got := request(t, pool, func() error { _, err := s.RequestSignUp(ctx, in, audit.Actor{}); return err })
		if got != want {
			t.Errorf("the sign-up request for %s wrote %q; want %q, as for every address", in.Email, got, want)
		}
	}
	got := request(t, pool, func() error { workQueued(t, s); return nil })
	if want := "mail_send+3 people+1 tokens+2"; got != want {
		t.Errorf("the three jobs wrote %q; want %q (zoe made and mailed a link, one mail to ann's owner, a new link for pat's new sign-up)", got, want)
	}
	if _, err := s.RequestSignUp(ctx, signUp("x@example.coop", "other"), audit.Actor{}); !errors.Is(err, people.ErrUsernameTaken) {
		t.Errorf("the username of a sign-up for a registered address is free again: %v", err)
	}
}

// TestRecoveryRequestsLookAlike: asking for a reset link does the same work
// for a member, an unknown address and a sign-up still to be confirmed
// (queue one job); the job then mails a reset link, nothing, or a new
// confirmation link.
func TestRecoveryRequestsLookAlike(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	signedUp := signUpNow(t, s, signUp("new@example.coop", "newbie"))
	member := signUpNow(t, s, signUp("mem@example.coop", "mem"))
	if _, err := s.VerifyEmail(ctx, verifyToken(t, s, member.ID), Proof{SignedUpAs: member.ID}, audit.Actor{}); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{member.Email, "nobody@example.coop", signedUp.Email} {
		got := request(t, pool, func() error { return s.RequestPasswordReset(ctx, email) })
		if want := "admission_recovery+1"; got != want {
			t.Errorf("the reset request for %s wrote %q; want %q, as for every address", email, got, want)
		}
	}
	mails := mailQueued(t, pool)
	workQueued(t, s)
	if got := mailQueued(t, pool) - mails; got != 2 {
		t.Errorf("%d mails from the three requests; want a reset link and a confirmation link", got)
	}
	var resets, verifies int
	err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE purpose = 'reset_password' AND person_id = $1),
		count(*) FILTER (WHERE purpose = 'verify_email' AND person_id = $2 AND used_at IS NULL)
		FROM email_tokens`, member.ID, signedUp.ID).Scan(&resets, &verifies)
	if err != nil || resets != 1 || verifies != 1 {
		t.Errorf("reset links for the member: %d, live confirmation links for the sign-up: %d (%v); want 1 and 1", resets, verifies, err)
	}
}

// verifyToken issues a fresh verification token, as a resend does.
func verifyToken(t *testing.T, s *Service, personID string) string {
	t.Helper()
	return issue(t, s, personID, purposeVerify)
}

// issue makes a link's token for personID directly, as the job would.
func issue(t *testing.T, s *Service, personID, purpose string) string {
	t.Helper()
	var token string
	err := database.InTx(context.Background(), s.Pool, func(tx pgx.Tx) (err error) {
		token, err = issueToken(context.Background(), tx, personID, purpose, "", VerifyTTL)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestVerifyEmailDecidesOnceWithASingleUseLink(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	tests := []struct {
		email string
		want  people.Status
	}{
		{"ann@example.coop", people.Admitted},
		{"bob@example.coop.evil.com", people.AwaitingApproval},
	}
	for i, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			p := signUpNow(t, s, signUp(tt.email, string(rune('a'+i))))
			token := verifyToken(t, s, p.ID)
			if !s.TokenUsable(ctx, token, PurposeVerify) || s.TokenUsable(ctx, token, PurposeReset) {
				t.Fatal("TokenUsable is wrong about a fresh token or its purpose")
			}
			v, err := s.VerifyEmail(ctx, token, Proof{SignedUpAs: p.ID}, audit.Actor{})
			if err != nil || v.Person.Status != tt.want || v.Decision.Admitted != (tt.want == people.Admitted) || !v.Person.EmailVerified || !v.Confirmed {
				t.Fatalf("VerifyEmail: %+v %v; want %s", v, err, tt.want)
			}
			if _, err := s.VerifyEmail(ctx, token, Proof{SignedUpAs: p.ID}, audit.Actor{}); !errors.Is(err, ErrTokenInvalid) {
				t.Errorf("second use: %v; want ErrTokenInvalid", err)
			}
			if s.TokenUsable(ctx, token, PurposeVerify) {
				t.Error("a spent token is usable")
			}
		})
	}
	var apps int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM applications WHERE state = 'pending'`).Scan(&apps); err != nil || apps != 1 {
		t.Errorf("%d pending applications, %v; want 1", apps, err)
	}
}
