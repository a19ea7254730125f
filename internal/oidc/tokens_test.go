package oidc

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// Of concurrent refreshes with one token, exactly one gets new tokens; the
// others store nothing and are told the token was used (which revokes the
// family, as a copied refresh token must).
func TestConcurrentRefreshesWithOneTokenOneWins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	personID := peopletest.Admitted(t, pool, "ann@example.coop").ID
	s := NewStorage(&config.Config{Tokens: config.Tokens{AccessTokenLifetime: time.Hour, RefreshTokenLifetime: time.Hour},
		Clients: []config.Client{{ID: "rp", Scopes: []string{"openid", "offline_access"}}}},
		Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	code := &AuthRequest{ID: "6f1c9e4e-1111-4c3b-9a55-000000000001", ClientID: "rp", PersonID: personID,
		Scopes: []string{"openid", "offline_access"}, AMR: []string{"pwd"}, AuthTime: time.Now()}
	_, first, _, err := s.CreateAccessAndRefreshTokens(ctx, code, "")
	if err != nil {
		t.Fatal(err)
	}
	presented, err := s.TokenRequestByRefreshToken(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	const racers = 8
	var wg sync.WaitGroup
	won := make(chan string, racers)
	for range racers {
		wg.Go(func() {
			if _, next, _, err := s.CreateAccessAndRefreshTokens(ctx, presented, ""); err == nil {
				won <- next
			}
		})
	}
	wg.Wait()
	close(won)
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent refreshes with one token succeeded; want 1", len(won), racers)
	}
	// The losers revoked the family: even the winner's new token is dead.
	if _, err := s.TokenRequestByRefreshToken(ctx, <-won); err == nil {
		t.Error("the family survived a refresh token presented twice")
	}
	var access, refresh int
	_ = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM oidc_access_tokens), (SELECT count(*) FROM oidc_refresh_tokens)`).Scan(&access, &refresh)
	if access != 0 || refresh != 2 {
		t.Errorf("%d access and %d refresh tokens stored; want 0 (revoked) and 2 (the first and the winner's, revoked)", access, refresh)
	}
}

// A refresh token issued while its client was allowed offline_access stops
// working once the configuration takes the scope away, and a refresh carries
// forward only the scopes the client is still allowed.
func TestRefreshFollowsTheClientsScopesAsConfiguredNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	personID := peopletest.Admitted(t, pool, "ann@example.coop").ID
	storage := func(scopes ...string) *Storage {
		return NewStorage(&config.Config{Tokens: config.Tokens{AccessTokenLifetime: time.Hour, RefreshTokenLifetime: time.Hour},
			Clients: []config.Client{{ID: "rp", Scopes: scopes}}}, Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}
	before := storage("openid", "email", "offline_access")
	code := &AuthRequest{ID: "6f1c9e4e-1111-4c3b-9a55-000000000002", ClientID: "rp", PersonID: personID,
		Scopes: []string{"openid", "email", "offline_access"}, AMR: []string{"pwd"}, AuthTime: time.Now()}
	_, token, _, err := before.CreateAccessAndRefreshTokens(ctx, code, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage("openid", "email").TokenRequestByRefreshToken(ctx, token); err == nil {
		t.Error("a client no longer allowed offline_access could refresh")
	}
	req, err := storage("openid", "offline_access").TokenRequestByRefreshToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.GetScopes(); len(got) != 2 || got[0] != "openid" || got[1] != "offline_access" {
		t.Errorf("refresh carries scopes %v; want [openid offline_access] (email no longer allowed)", got)
	}
}
