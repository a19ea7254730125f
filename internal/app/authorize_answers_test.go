package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// authorize starts a login at the relying party with extra parameters in
// browser b and follows it while it stays on the gateway.
func authorize(t *testing.T, g *apptest.Gateway, rp *apptest.RP, b *http.Client, f apptest.Flow, extra ...oauth2.AuthCodeOption) (*http.Response, string) {
	t.Helper()
	opts := append([]oauth2.AuthCodeOption{gooidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)}, extra...)
	resp, body := apptest.Get(t, b, rp.OAuth.AuthCodeURL(f.State, opts...))
	return apptest.Follow(t, b, g.URL, resp, body)
}

func param(name, value string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam(name, value) }

// answer is the authorization response resp carries to the relying party,
// or nil if resp is not one.
func answer(resp *http.Response) url.Values {
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), apptest.RedirectURI) {
		return nil
	}
	return loc.Query()
}

// nextSecond waits for the clock's next whole second: the session keeps the
// time of a login in whole seconds, and a login in the same second as an
// authorization request counts as made for it.
func nextSecond() { time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) }

// TestContinueHonoursAFreshLoginAskedFor: with prompt=login or max_age, the
// login page asks for the password even of someone logged in, and so does
// /continue (red team finding 3: it handed out a code straight away). The
// password entered then is a fresh login, which /continue takes.
func TestContinueHonoursAFreshLoginAskedFor(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	rp := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	b := rp.LoggedIn(t, ann)
	for _, ask := range []oauth2.AuthCodeOption{param("prompt", "login"), param("max_age", "0")} {
		nextSecond()
		f := apptest.NewFlow()
		resp, body := authorize(t, g, rp, b, f, ask)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/login"`) {
			t.Fatalf("a fresh login asked for: %d %v, not the login form\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		id := resp.Request.URL.Query().Get("id")
		cont, _ := apptest.Get(t, b, g.URL+"/continue?id="+id)
		if loc, _ := cont.Location(); cont.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/login" || loc.Query().Get("id") != id {
			t.Fatalf("/continue with a fresh login asked for: %d → %v; want 303 to the login form", cont.StatusCode, loc)
		}
		started := time.Now().Truncate(time.Second)
		resp, body = apptest.Submit(t, b, resp.Request.URL.String(), body, "/login", url.Values{"email": {ann.Email}, "password": {ann.Password}})
		resp, _ = apptest.Follow(t, b, g.URL, resp, body)
		q := answer(resp)
		if q.Get("code") == "" {
			t.Fatalf("after the fresh login: %d %v; want a code", resp.StatusCode, resp.Header.Get("Location"))
		}
		tok, err := rp.OAuth.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(f.Verifier))
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			AuthTime int64 `json:"auth_time"`
		}
		if err := rp.VerifyIDToken(t, tok, f.Nonce).Claims(&claims); err != nil || claims.AuthTime < started.Unix() {
			t.Errorf("auth_time %d is older than the fresh login (%v, %v)", claims.AuthTime, started, err)
		}
	}
}

// TestLoginPagesAnswerTheRelyingPartyWithTheIssuer: the errors the login
// pages send back (login_required, interaction_required, consent_required)
// carry RFC 9207's iss like op's own answers (red team finding 5).
func TestLoginPagesAnswerTheRelyingPartyWithTheIssuer(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	rp := apptest.NewRP(t, g)
	waiting := g.CreatePerson(t, "wes@example.org", "wes", people.AwaitingApproval)
	newTerms := g.CreatePerson(t, "tess@example.coop", "tess", people.Admitted) // has accepted no policy
	cases := []struct {
		name, want string
		browser    *http.Client
	}{
		{"logged out", "login_required", apptest.Browser(t)},
		{"awaiting approval", "interaction_required", g.LoggedIn(t, waiting)},
		{"policies to accept", "consent_required", g.LoggedIn(t, newTerms)},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := authorize(t, g, rp, tt.browser, apptest.NewFlow(), param("prompt", "none"))
			q := answer(resp)
			if q.Get("error") != tt.want || q.Get("iss") != g.URL {
				t.Errorf("prompt=none answered %v; want error=%s with iss=%s", resp.Header.Get("Location"), tt.want, g.URL)
			}
		})
	}
}

// TestBadCodeChallengeMethodIsTheClientsMistake: a code_challenge_method
// that is not text, or not S256, without a code_challenge, is refused as
// invalid_request, never stored (it was a server_error with an ERROR log:
// red team finding 6).
func TestBadCodeChallengeMethodIsTheClientsMistake(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	rp := apptest.NewRP(t, g)
	for _, method := range []string{"\xc0\xaf", "\x00", "plain"} {
		u := rp.OAuth.AuthCodeURL("st", param("code_challenge_method", method))
		resp, _ := apptest.Get(t, apptest.Browser(t), u)
		if q := answer(resp); q.Get("error") != "invalid_request" || q.Get("state") != "st" {
			t.Errorf("code_challenge_method %q answered %d %v; want invalid_request to the relying party", method, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	g.NoErrorsLogged(t)
}

// TestCallbackLoadedAgainSaysTheLoginFinished: the back button or a double
// click loads /authorize/callback again once the code went to the relying
// party; the person gets a page saying the login finished, with a way back
// to the service, and the relying party no second answer (red team finding
// 7: server_error and an ERROR log).
func TestCallbackLoadedAgainSaysTheLoginFinished(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	rp := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	b := apptest.Browser(t)
	resp := apptest.LogIn(t, b, g.URL, rp.AuthURL(apptest.NewFlow()), ann.Email, ann.Password)
	if answer(resp).Get("code") == "" || resp.Request.URL.Path != "/authorize/callback" {
		t.Fatalf("login ended at %s with %v", resp.Request.URL.Path, resp.Header.Get("Location"))
	}
	again, body := apptest.Get(t, b, resp.Request.URL.String())
	if again.StatusCode != http.StatusOK || !strings.Contains(body, "logged in already") ||
		!strings.Contains(body, `href="http://127.0.0.1:9/"`) {
		t.Errorf("the callback loaded again answered %d %v; want a page saying so with a link to the service\n%s",
			again.StatusCode, again.Header.Get("Location"), body)
	}
	g.NoErrorsLogged(t)
}

// TestIDTokenHintNamingSomeoneElse (OpenID Connect Core 3.1.2.1): a login
// of someone other than the hint names is no answer: prompt=none gets
// login_required, otherwise the password is asked for; the hint's own
// person goes straight through; a hint that is no ID token of ours is
// invalid_request (red team finding 8).
func TestIDTokenHintNamingSomeoneElse(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	rp := apptest.NewRP(t, g)
	kim := g.CreateMember(t, "kim@example.coop", "kim")
	jack := g.CreateMember(t, "jack@example.coop", "jack")
	jacks, _ := rp.Tokens(t, apptest.Browser(t), jack).Extra("id_token").(string)
	b := apptest.Browser(t)
	kims, _ := rp.Tokens(t, b, kim).Extra("id_token").(string)
	nextSecond()

	resp, _ := authorize(t, g, rp, b, apptest.NewFlow(), param("prompt", "none"), param("id_token_hint", jacks))
	if q := answer(resp); q.Get("error") != "login_required" || q.Get("iss") != g.URL {
		t.Errorf("prompt=none hinting at jack while kim is logged in: %v; want login_required", resp.Header.Get("Location"))
	}
	resp, body := authorize(t, g, rp, b, apptest.NewFlow(), param("id_token_hint", jacks))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/login"`) {
		t.Errorf("hinting at jack while kim is logged in: %d %v; want the login form", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = authorize(t, g, rp, b, apptest.NewFlow(), param("prompt", "none"), param("id_token_hint", kims))
	if answer(resp).Get("code") == "" {
		t.Errorf("prompt=none hinting at kim, who is logged in: %v; want a code", resp.Header.Get("Location"))
	}
	forged := kims[:strings.LastIndexByte(kims, '.')+1] + "c2lnbmF0dXJl"
	for _, hint := range []string{"not-a-token", forged} {
		resp, _ = authorize(t, g, rp, b, apptest.NewFlow(), param("id_token_hint", hint))
		if q := answer(resp); q.Get("error") != "invalid_request" || q.Get("iss") != g.URL {
			t.Errorf("id_token_hint %.20q…: %d %v; want invalid_request", hint, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}
