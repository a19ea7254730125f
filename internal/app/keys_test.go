package app_test

import (
	"context"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/config"
)

// TestKeyRotationKeepsIssuedTokensValid: after `keys rotate`, new ID tokens
// carry the new kid, and tokens issued before still verify.
func TestKeyRotationKeepsIssuedTokensValid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t, func(c *config.Config) { c.Keys.PublishLead = time.Millisecond })
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	login := func() (*oauth2.Token, string) {
		f := apptest.NewFlow()
		tok, err := r.OAuth.Exchange(ctx, r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password), oauth2.VerifierOption(f.Verifier))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		return tok, raw
	}
	oldTok, oldID := login()
	rotated, _, err := g.App.Keys.Rotate(ctx, audit.System)
	if err != nil || len(rotated) != 1 {
		t.Fatalf("rotated %v, %v; want one RS256 key", rotated, err)
	}
	kid := rotated[0].ID
	time.Sleep(5 * time.Millisecond)
	_, newID := login()

	// A fresh verifier, as a relying party that fetches the key set anew.
	verifier := gooidc.NewRemoteKeySet(ctx, g.URL+"/keys")
	for name, raw := range map[string]string{"old": oldID, "new": newID} {
		if _, err := verifier.VerifySignature(ctx, raw); err != nil {
			t.Errorf("%s ID token no longer verifies: %v", name, err)
		}
	}
	if _, got := joseHeader(t, newID); got != kid {
		t.Errorf("new ID token signed by %q; want the rotated key %q", got, kid)
	}
	if _, old := joseHeader(t, oldID); old == kid {
		t.Error("old token claims the new key")
	}
	if _, err := r.Provider.UserInfo(ctx, oauth2.StaticTokenSource(oldTok)); err != nil {
		t.Errorf("access token issued before the rotation refused: %v", err)
	}
}

// joseHeader is a JWS's alg and kid.
func joseHeader(t *testing.T, raw string) (alg, kid string) {
	t.Helper()
	sig, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil || len(sig.Signatures) != 1 {
		t.Fatalf("not a JWS: %v", err)
	}
	h := sig.Signatures[0].Header
	return h.Algorithm, h.KeyID
}
