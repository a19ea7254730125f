package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
)

func TestCodeFlowWithPKCEAsAnIndependentClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	f := apptest.NewFlow()
	code := r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password)

	tok, err := r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt := r.VerifyIDToken(t, tok, f.Nonce)
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified any      `json:"email_verified"`
		Username      string   `json:"preferred_username"`
		Name          string   `json:"name"`
		Groups        []string `json:"groups"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != ann.Email || claims.EmailVerified != true || claims.Username != "ann" || claims.Name == "" ||
		len(claims.Groups) == 0 || claims.Groups[0] != "member" {
		t.Errorf("ID token claims = %+v", claims)
	}
	info, err := r.Provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != idt.Subject || info.Subject != ann.ID || !info.EmailVerified {
		t.Fatalf("userinfo = %+v, %v; want sub %s", info, err, idt.Subject)
	}

	t.Run("refresh rotates and a spent token revokes the family", func(t *testing.T) {
		fresh, err := r.OAuth.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
			t.Fatalf("refresh: %v (rotated: %v)", err, fresh != nil && fresh.RefreshToken != tok.RefreshToken)
		}
		_, err = r.OAuth.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		wantOAuthError(t, err, "invalid_grant")
		_, err = r.OAuth.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token()
		wantOAuthError(t, err, "invalid_grant")
		if _, err := r.Provider.UserInfo(ctx, oauth2.StaticTokenSource(fresh)); err == nil {
			t.Error("access token of a revoked family still works")
		}
	})
}

func wantOAuthError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.ErrorCode != code {
		t.Fatalf("err = %v; want OAuth error %s", err, code)
	}
}

func asRetrieveError(err error, target **oauth2.RetrieveError) bool {
	re, ok := err.(*oauth2.RetrieveError)
	if !ok {
		return false
	}
	*target = re
	return true
}

func TestRevocationIntrospectionAndLogout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	browser := apptest.Browser(t)
	f := apptest.NewFlow()
	tok, err := r.OAuth.Exchange(ctx, r.Code(t, browser, f, ann.Email, ann.Password), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		t.Fatal(err)
	}
	if got := introspect(t, g, tok.AccessToken, apptest.ClientID, apptest.ClientSecret); got["active"] != true || got["sub"] != ann.ID {
		t.Errorf("introspection = %v", got)
	}
	if got := introspect(t, g, tok.AccessToken, "rp", "wrong-secret"); got["active"] == true {
		t.Error("introspection answered a client with a wrong secret")
	}
	revoke(t, g, tok.AccessToken, "access_token")
	if _, err := r.Provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("revoked access token still works at userinfo")
	}
	if got := introspect(t, g, tok.AccessToken, apptest.ClientID, apptest.ClientSecret); got["active"] == true {
		t.Error("revoked access token introspects as active")
	}

	// Mastodon and GitLab end the session with only post_logout_redirect_uri:
	// one click on the confirmation (logout_test.go has the other cases).
	if loc := apptest.ConfirmLogout(t, g, browser, url.Values{"post_logout_redirect_uri": {apptest.LogoutURI}}); loc != apptest.LogoutURI {
		t.Fatalf("logout ended at %s; want a redirect to %s", loc, apptest.LogoutURI)
	}
	resp, body := apptest.Get(t, browser, r.AuthURL(apptest.NewFlow()))
	resp, body = apptest.Follow(t, browser, g.URL, resp, body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/login"`) {
		t.Errorf("after logout the next login did not ask for a password: %d", resp.StatusCode)
	}
	resp, _ = apptest.Get(t, browser, g.URL+"/end_session?post_logout_redirect_uri="+url.QueryEscape("https://evil.example/"))
	if loc, _ := resp.Location(); loc != nil && strings.HasPrefix(loc.String(), "https://evil.example") {
		t.Errorf("logout redirected to a URI on no allow-list: %v", loc)
	}
}

func introspect(t *testing.T, g *apptest.Gateway, token, id, secret string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func revoke(t *testing.T, g *apptest.Gateway, token, hint string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/revoke", strings.NewReader(url.Values{"token": {token}, "token_type_hint": {hint}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(apptest.ClientID), url.QueryEscape(apptest.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke answered %d", resp.StatusCode)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")

	t.Run("wrong redirect URI is not redirected to", func(t *testing.T) {
		bad := *r.OAuth
		bad.RedirectURL = apptest.RedirectURI + "/extra"
		resp, _ := apptest.Get(t, apptest.Browser(t), bad.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if loc, _ := resp.Location(); loc != nil && strings.HasPrefix(loc.String(), bad.RedirectURL) {
			t.Fatalf("redirected to an unregistered URI: %v", loc)
		}
		if resp.StatusCode < 400 {
			t.Errorf("status %d; want an error page", resp.StatusCode)
		}
	})
	t.Run("bad client secret", func(t *testing.T) {
		f := apptest.NewFlow()
		code := r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password)
		bad := *r.OAuth
		bad.ClientSecret = "not-the-secret"
		_, err := bad.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
		wantOAuthError(t, err, "invalid_client")
	})
	t.Run("replayed code is refused and revokes what it issued", func(t *testing.T) {
		f := apptest.NewFlow()
		code := r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password)
		tok, err := r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
		wantOAuthError(t, err, "invalid_grant")
		if _, err := r.Provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("token from a replayed code still works")
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		f := apptest.NewFlow()
		code := r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password)
		_, err := r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		wantOAuthError(t, err, "invalid_grant")
	})
	t.Run("extra scope on the code grant is accepted", func(t *testing.T) {
		f := apptest.NewFlow()
		code := r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password)
		_, err := r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier), oauth2.SetAuthURLParam("scope", "openid profile"))
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a person not admitted gets no code", func(t *testing.T) {
		bob := g.CreatePerson(t, "bob@elsewhere.org", "bob", people.AwaitingApproval)
		resp := apptest.LogIn(t, apptest.Browser(t), g.URL, r.AuthURL(apptest.NewFlow()), bob.Email, bob.Password)
		if loc, _ := resp.Location(); loc != nil && strings.HasPrefix(loc.String(), apptest.RedirectURI) {
			t.Fatalf("unadmitted person was sent to the relying party: %v", loc)
		}
		if resp.Request.URL.Path != "/status" {
			t.Errorf("ended at %s; want /status", resp.Request.URL.Path)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		resp := apptest.LogIn(t, apptest.Browser(t), g.URL, r.AuthURL(apptest.NewFlow()), ann.Email, "wrong password")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d; want 401", resp.StatusCode)
		}
	})
	t.Run("plain PKCE is refused", func(t *testing.T) {
		u := r.OAuth.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrs"), oauth2.SetAuthURLParam("code_challenge_method", "plain"))
		resp, _ := apptest.Get(t, apptest.Browser(t), u)
		loc, _ := resp.Location()
		if loc == nil || loc.Query().Get("error") != "invalid_request" {
			t.Errorf("plain PKCE: %d %v; want error=invalid_request at the redirect URI", resp.StatusCode, loc)
		}
	})
	t.Run("public client without PKCE", func(t *testing.T) {
		pub := &oauth2.Config{ClientID: apptest.PublicClient, Endpoint: r.Provider.Endpoint(), RedirectURL: apptest.PublicURI, Scopes: []string{"openid"}}
		resp, _ := apptest.Get(t, apptest.Browser(t), pub.AuthCodeURL("s"))
		loc, _ := resp.Location()
		if loc == nil || !strings.HasPrefix(loc.String(), apptest.PublicURI) || loc.Query().Get("error") != "invalid_request" {
			t.Errorf("public client without PKCE: %d %v; want error=invalid_request at its redirect URI", resp.StatusCode, loc)
		}
	})
}

// TestCodeIssuedBeforeCessationCannotBeExchanged: ending a membership ends
// codes not yet exchanged as well as tokens.
func TestCodeIssuedBeforeCessationCannotBeExchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	f := apptest.NewFlow()
	code := r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password)
	if err := g.App.Admission.Cease(ctx, ann.ID, "resigned", audit.System); err != nil {
		t.Fatal(err)
	}
	_, err := r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	wantOAuthError(t, err, "invalid_grant")
}

// TestDiscoveryAdvertisesOnlyWhatIsServed: the three services read the
// discovery document; it must not offer flows coopgate refuses.
func TestDiscoveryAdvertisesOnlyWhatIsServed(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	resp, body := apptest.Get(t, http.DefaultClient, g.URL+"/.well-known/openid-configuration")
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %d %v", resp.StatusCode, err)
	}
	if d["issuer"] != g.URL {
		t.Errorf("issuer = %v, want exactly %s", d["issuer"], g.URL)
	}
	if _, ok := d["device_authorization_endpoint"]; ok {
		t.Error("advertises a device endpoint")
	}
	for key, want := range map[string]string{
		"grant_types_supported":            `["authorization_code","refresh_token"]`,
		"response_types_supported":         `["code"]`,
		"code_challenge_methods_supported": `["S256"]`,
	} {
		got, _ := json.Marshal(d[key])
		if string(got) != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	for _, key := range []string{"end_session_endpoint", "revocation_endpoint", "introspection_endpoint", "userinfo_endpoint", "jwks_uri"} {
		if s, _ := d[key].(string); !strings.HasPrefix(s, g.URL+"/") {
			t.Errorf("%s = %v", key, d[key])
		}
	}
}
