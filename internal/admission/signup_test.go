package admission

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	pool := pgtest.New(t)
	client, err := jobs.NewClient(pool, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
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
	return &Service{Pool: pool, Jobs: client, Box: box, Mail: renderer, BaseURL: "https://id.example.coop",
		Secretary: "secretary@example.coop", Now: time.Now}, pool
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

// TestSignUpAnswersAlikeForRegisteredAddresses: a taken username is refused
// before the address is looked at, so the answer never depends on whether
// the address has an account.
func TestSignUpAnswersAlikeForRegisteredAddresses(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	ann, err := s.SignUp(ctx, signUp("ann@example.coop", "ann"), audit.Actor{})
	if err != nil || ann == nil || ann.Status != people.SignedUp {
		t.Fatalf("first sign-up: %+v, %v", ann, err)
	}
	for _, email := range []string{"ann@example.coop", "new@example.coop"} {
		if p, err := s.SignUp(ctx, signUp(email, "ANN"), audit.Actor{}); !errors.Is(err, people.ErrUsernameTaken) || p != nil {
			t.Errorf("%s with a taken username: %+v, %v; want ErrUsernameTaken", email, p, err)
		}
	}
	queued := mailQueued(t, pool)
	p, err := s.SignUp(ctx, signUp("Ann@Example.coop", "other"), audit.Actor{})
	if err != nil || p != nil {
		t.Fatalf("registered address: %+v, %v; want no person and no error", p, err)
	}
	if mailQueued(t, pool) != queued+1 {
		t.Error("the owner of the registered address was not mailed")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM people`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d people, %v; want 1", n, err)
	}
}

// verifyToken issues a fresh verification token, as a resend does.
func verifyToken(t *testing.T, s *Service, personID string) string {
	t.Helper()
	var token string
	err := database.InTx(context.Background(), s.Pool, func(tx pgx.Tx) (err error) {
		token, err = issueToken(context.Background(), tx, personID, purposeVerify, "", VerifyTTL)
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
			p, err := s.SignUp(ctx, signUp(tt.email, string(rune('a'+i))), audit.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			token := verifyToken(t, s, p.ID)
			if !s.TokenUsable(ctx, token, PurposeVerify) || s.TokenUsable(ctx, token, PurposeReset) {
				t.Fatal("TokenUsable is wrong about a fresh token or its purpose")
			}
			got, d, err := s.VerifyEmail(ctx, token, audit.Actor{})
			if err != nil || got.Status != tt.want || d.Admitted != (tt.want == people.Admitted) || !got.EmailVerified {
				t.Fatalf("VerifyEmail: %+v %+v %v; want %s", got, d, err, tt.want)
			}
			if _, _, err := s.VerifyEmail(ctx, token, audit.Actor{}); !errors.Is(err, ErrTokenInvalid) {
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
