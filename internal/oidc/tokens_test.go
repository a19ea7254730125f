package oidc

import (
	"context"
	"io"
	"log/slog"
	"strings"
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
	s := NewStorage(&config.Config{Tokens: config.Tokens{CodeLifetime: time.Minute, AccessTokenLifetime: time.Hour, RefreshTokenLifetime: time.Hour},
		Clients: []config.Client{{ID: "rp", Scopes: []string{"openid", "offline_access"}}}},
		Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_, first, _, err := s.CreateAccessAndRefreshTokens(ctx, codeRequest(t, s, personID, "openid", "offline_access"), "")
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
		return NewStorage(&config.Config{Tokens: config.Tokens{CodeLifetime: time.Minute, AccessTokenLifetime: time.Hour, RefreshTokenLifetime: time.Hour},
			Clients: []config.Client{{ID: "rp", Scopes: scopes}}}, Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}
	before := storage("openid", "email", "offline_access")
	_, token, _, err := before.CreateAccessAndRefreshTokens(ctx, codeRequest(t, before, personID, "openid", "email", "offline_access"), "")
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

// TestACodeOfSomeoneNoLongerAdmittedIssuesNothing: a code whose person's
// membership ended after they logged in gets no tokens, with a refresh
// token or without, and stays unspent.
func TestACodeOfSomeoneNoLongerAdmittedIssuesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := &statementLog{}
	_, s := tracedProvider(t, log)
	personID := peopletest.Admitted(t, s.pool, "ann@example.coop").ID
	for _, scopes := range [][]string{{"openid", "email"}, {"openid", "email", "offline_access"}} {
		req := codeRequest(t, s, personID, scopes...)
		if _, err := s.pool.Exec(ctx, `UPDATE people SET status = 'ceased' WHERE id = $1`, personID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateAccessToken(ctx, req); err == nil || !strings.Contains(err.Error(), "membership has ended") {
			t.Errorf("%v: access token for a ceased member: %v", scopes, err)
		}
		if _, _, _, err := s.CreateAccessAndRefreshTokens(ctx, req, ""); err == nil || !strings.Contains(err.Error(), "membership has ended") {
			t.Errorf("%v: token pair for a ceased member: %v", scopes, err)
		}
		var tokens, spent int
		_ = s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM oidc_access_tokens), (SELECT count(*) FROM oidc_auth_requests WHERE code_used_at IS NOT NULL)`).Scan(&tokens, &spent)
		if tokens != 0 || spent != 0 {
			t.Errorf("%v: %d access tokens stored, %d codes spent; want none", scopes, tokens, spent)
		}
		_, _ = s.pool.Exec(ctx, `UPDATE people SET status = 'admitted' WHERE id = $1`, personID)
	}
}

// Of concurrent exchanges of one code, exactly one gets tokens; the others
// revoke them, as a code presented twice must.
func TestConcurrentExchangesOfOneCodeOneWins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, s := tracedProvider(t, &statementLog{})
	personID := peopletest.Admitted(t, s.pool, "ann@example.coop").ID
	code, _ := issueCode(t, s, personID, []string{"openid", "offline_access"})
	const racers = 8
	var wg sync.WaitGroup
	won := make(chan string, racers)
	for range racers {
		wg.Go(func() {
			req, err := s.codeRequest(ctx, code)
			if err != nil {
				return // spent already: the lookup refused it
			}
			if _, refresh, _, err := s.CreateAccessAndRefreshTokens(ctx, req, ""); err == nil {
				won <- refresh
			}
		})
	}
	wg.Wait()
	close(won)
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent exchanges of one code got tokens; want 1", len(won), racers)
	}
	if _, err := s.TokenRequestByRefreshToken(ctx, <-won); err == nil {
		t.Error("the tokens of a code exchanged twice survived")
	}
}

// codeRequest is the auth request of a fresh code for personID, as the
// token endpoint finds it.
func codeRequest(t *testing.T, s *Storage, personID string, scopes ...string) *AuthRequest {
	t.Helper()
	code, _ := issueCode(t, s, personID, scopes)
	req, err := s.codeRequest(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
