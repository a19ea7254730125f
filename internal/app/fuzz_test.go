package app_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
)

// oauthEndpoints are what FuzzOAuthEndpoints aims at; its first argument
// picks one (modulo their number).
var oauthEndpoints = []string{"/authorize", "/authorize/callback", "/oauth/token", "/revoke", "/oauth/introspect", "/userinfo", "/end_session"}

// Ways the fuzzer's credentials go in the Authorization header.
const (
	authNone = iota
	authBasic
	authBearer
	authRaw
)

// FuzzOAuthEndpoints sends arbitrary parameters (any bytes, NUL and invalid
// UTF-8 included, as names and values), by GET or POST, with arbitrary
// credentials, to the provider's endpoints on a running gateway: none may
// answer 5xx, nor redirect with error=server_error (the authorization
// endpoint's 500). Bad input is the client's mistake. The seeds, which `go test`
// runs, are the relying parties' real requests, live tokens included, and
// the hostile ones that once got a 500.
//
//	make fuzz   (or: go test -run=NONE -fuzz=FuzzOAuthEndpoints ./internal/app/)
func FuzzOAuthEndpoints(f *testing.F) {
	g := apptest.Start(f)
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, s := range fuzzSeeds(f, g) {
		f.Add(s.endpoint, s.post, s.params, s.authMode, s.auth)
	}
	f.Fuzz(func(t *testing.T, endpoint uint8, post bool, params string, authMode uint8, auth string) {
		req := fuzzRequest(g.URL+oauthEndpoints[int(endpoint)%len(oauthEndpoints)], post, params)
		if !setAuthorization(req, authMode, auth) {
			t.Skip("not a header value an HTTP client can send")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s?%s answered %d: %s", req.Method, req.URL.Path, req.URL.RawQuery, resp.StatusCode, body)
		}
		if loc, err := resp.Location(); err == nil && loc.Query().Get("error") == "server_error" {
			t.Fatalf("%s %s?%s redirected with a server error: %s", req.Method, req.URL.Path, req.URL.RawQuery, loc)
		}
	})
}

// fuzzRequest sends params ("name=value&…", raw bytes, neither unescaped)
// properly encoded, so that the bytes themselves reach the handlers.
func fuzzRequest(target string, post bool, params string) *http.Request {
	form := url.Values{}
	for _, pair := range strings.Split(params, "&") {
		name, value, _ := strings.Cut(pair, "=")
		form.Add(name, value)
	}
	if !post {
		req, _ := http.NewRequest(http.MethodGet, target+"?"+form.Encode(), nil)
		return req
	}
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func setAuthorization(req *http.Request, mode uint8, auth string) bool {
	var value string
	switch mode % 4 {
	case authNone:
		return true
	case authBasic:
		value = "Basic " + base64.StdEncoding.EncodeToString([]byte(auth))
	case authBearer:
		value = "Bearer " + auth
	case authRaw:
		value = auth
	}
	if !httpguts.ValidHeaderFieldValue(value) {
		return false
	}
	req.Header.Set("Authorization", value)
	return true
}

type fuzzSeed struct {
	endpoint uint8
	post     bool
	params   string
	authMode uint8
	auth     string
}

// fuzzSeeds are real requests of a relying party, with live tokens and
// codes of this gateway, and hostile variants of them.
func fuzzSeeds(f *testing.F, g *apptest.Gateway) []fuzzSeed {
	r := apptest.NewRP(f, g)
	ann := g.CreateMember(f, "ann@example.coop", "ann")
	tok := r.Tokens(f, apptest.Browser(f), ann)
	fl := apptest.NewFlow()
	code := r.Code(f, apptest.Browser(f), fl, ann.Email, ann.Password)
	basic := apptest.ClientID + ":" + url.QueryEscape(apptest.ClientSecret)
	authorize := "client_id=rp&redirect_uri=" + apptest.RedirectURI + "&response_type=code&scope=openid profile offline_access&state=s&nonce=n" +
		"&code_challenge=" + oauth2.S256ChallengeFromVerifier(fl.Verifier) + "&code_challenge_method=S256"
	idToken, _ := tok.Extra("id_token").(string)
	return []fuzzSeed{
		{0, false, authorize, authNone, ""},
		{0, false, authorize + "&state=a\x00b&nonce=\xff", authNone, ""},
		{0, false, authorize + "&prompt=\x00&login_hint=\xfe&response_mode=form_post", authNone, ""},
		{0, false, authorize + "&max_age=99999999999999999999&ui_locales=\xff&request=x.y.z", authNone, ""},
		{0, false, "client_id=\x00&redirect_uri=\xff", authNone, ""},
		{1, false, "id=00000000-0000-0000-0000-000000000000", authNone, ""},
		{1, false, "id=\x00", authNone, ""},
		{2, true, "grant_type=authorization_code&code=" + code + "&redirect_uri=" + apptest.RedirectURI + "&code_verifier=" + fl.Verifier, authBasic, basic},
		{2, true, "grant_type=authorization_code&code=\x00&redirect_uri=\xff", authBasic, "rp:\xff%zz"},
		{2, true, "grant_type=refresh_token&refresh_token=" + tok.RefreshToken, authBasic, basic},
		{2, true, "grant_type=refresh_token&refresh_token=x&client_id=nobody&client_secret=x", authNone, ""},
		{2, true, "grant_type=refresh_token&refresh_token=x&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=e30", authNone, ""},
		{2, true, "grant_type=\x00&scope=\xff", authRaw, "Basic \xff"},
		{3, true, "token=" + tok.AccessToken + "&token_type_hint=access_token", authBasic, basic},
		{3, true, "token=\x00&token_type_hint=\xff", authBasic, basic},
		{4, true, "token=" + tok.AccessToken, authBasic, basic},
		{4, true, "token=cg1.\x00", authBasic, "nobody:x"},
		{5, false, "", authBearer, tok.AccessToken},
		{5, true, "access_token=cg1.AAAA", authNone, ""},
		{5, false, "", authBearer, "cg1.!!~"},
		{6, false, "post_logout_redirect_uri=" + apptest.LogoutURI + "&state=x", authNone, ""},
		{6, false, "id_token_hint=" + idToken + "&post_logout_redirect_uri=\x00", authNone, ""},
		{6, true, "client_id=nobody&id_token_hint=a.b.c", authNone, ""},
	}
}
