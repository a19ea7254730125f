package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/people/peopletest"
)

// Ending a membership and a refresh of the member's token, at the same
// moment, must not deadlock: cessation locks the person and then revokes
// their refresh tokens, so a refresh must not lock its refresh token and
// then the person. Hundreds of races on real PostgreSQL, each pair started
// together; every statement of both sides is watched for SQLSTATE 40P01,
// including those the transaction helper would quietly retry. Afterwards
// the person has no live refresh token, whichever side won.
func TestCessationAndRefreshDoNotDeadlock(t *testing.T) {
	t.Parallel()
	const rounds, pairs = 25, 8 // 200 races
	ctx := context.Background()
	g := apptest.Start(t)
	deadlocks := &deadlockCounter{}
	pool := tracedPool(t, g.Config.DatabaseURL, deadlocks)
	ceaser := *g.App.Admission
	ceaser.Pool = pool
	storage := oidc.NewStorage(g.Config, oidc.Deps{Pool: pool, Keys: g.App.Keys, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})

	for round := range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		people := make([]string, pairs)
		for i := range pairs {
			personID, presented := memberWithRefreshToken(t, pool, storage, fmt.Sprintf("m%d-%d", round, i))
			people[i] = personID
			wg.Go(func() {
				<-start
				if err := ceaser.Cease(ctx, personID, "resigned", audit.System); err != nil {
					t.Errorf("cessation: %v", err)
				}
			})
			wg.Go(func() {
				<-start
				_, _, _, _ = storage.CreateAccessAndRefreshTokens(ctx, presented, "") // refused once ceased: that is fine
			})
		}
		close(start)
		wg.Wait()
		var live int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM oidc_refresh_tokens WHERE person_id = ANY($1::uuid[]) AND revoked_at IS NULL`,
			people).Scan(&live); err != nil || live != 0 {
			t.Fatalf("round %d: %d refresh tokens of ceased people still live (%v)", round, live, err)
		}
	}
	if n := deadlocks.n.Load(); n > 0 {
		t.Fatalf("%d deadlocks in %d races of cessation and refresh: %v", n, rounds*pairs, deadlocks.first())
	}
}

// memberWithRefreshToken makes an admitted person (without a password:
// hashing one per race would only slow the test) with a refresh token, and
// returns the token as the refresh grant presents it.
func memberWithRefreshToken(t *testing.T, pool *pgxpool.Pool, s *oidc.Storage, username string) (string, op.RefreshTokenRequest) {
	t.Helper()
	ctx := context.Background()
	personID := peopletest.Admitted(t, pool, username+"@example.coop").ID
	a, err := s.CreateAuthRequest(ctx, &zoidc.AuthRequest{ClientID: apptest.ClientID, RedirectURI: apptest.RedirectURI,
		Scopes: []string{"openid", "offline_access"}, ResponseType: zoidc.ResponseTypeCode}, "")
	if err != nil {
		t.Fatal(err)
	}
	code := uuid.NewString()
	if err := s.CompleteAuthRequest(ctx, a.GetID(), personID, time.Now(), []string{"pwd"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAuthCode(ctx, a.GetID(), code); err != nil {
		t.Fatal(err)
	}
	exchanged, err := s.AuthRequestByCode(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	_, token, _, err := s.CreateAccessAndRefreshTokens(ctx, exchanged, "")
	if err != nil {
		t.Fatal(err)
	}
	presented, err := s.TokenRequestByRefreshToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	return personID, presented
}

// tracedPool is a pool on url whose every statement's error is checked for a
// deadlock, detected after 20 ms rather than PostgreSQL's default second.
func tracedPool(t *testing.T, url string, tracer pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = tracer
	cfg.ConnConfig.RuntimeParams["deadlock_timeout"] = "20ms"
	cfg.MaxConns = 32
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// deadlockCounter counts statements that ended in SQLSTATE 40P01.
type deadlockCounter struct {
	n    atomic.Int64
	mu   sync.Mutex
	errs []error
}

func (d *deadlockCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (d *deadlockCounter) TraceQueryEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	var pgErr *pgconn.PgError
	if errors.As(data.Err, &pgErr) && pgErr.Code == "40P01" {
		d.n.Add(1)
		d.mu.Lock()
		d.errs = append(d.errs, data.Err)
		d.mu.Unlock()
	}
}

func (d *deadlockCounter) first() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.errs[0]
}
