package bench

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// requestTimeout bounds one request (or one whole login): far above any
// sane latency, it only stops a hung server from hanging the run.
const requestTimeout = 30 * time.Second

// endpoints are the parts of the discovery document the benchmark uses.
type endpoints struct {
	Issuer        string `json:"issuer"`
	Authorization string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	Userinfo      string `json:"userinfo_endpoint"`
	Introspection string `json:"introspection_endpoint"`
	JWKS          string `json:"jwks_uri"`
}

// relyingParty plays the benchmark's client against one server.
type relyingParty struct {
	http   *http.Client // shared keep-alive connections, no cookies
	client Client
	ep     endpoints
}

// tokens is a token endpoint response.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// authRequest is one authorization request and what checks its answer.
type authRequest struct {
	URL      string
	State    string
	Verifier string
}

// httpError is a response the benchmark did not expect. Its text is the
// error's kind in the report, so it holds no per-request detail.
type httpError struct {
	Method string
	Path   string
	Status int
	Code   string // the OAuth error code, if the body had one
}

func (e *httpError) Error() string {
	s := fmt.Sprintf("%s %s: status %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	return s
}

// noRedirect makes clients hand every redirect back to the caller: the
// benchmark times and checks each hop itself.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func newHTTPClient(t http.RoundTripper) *http.Client {
	return &http.Client{Transport: t, CheckRedirect: noRedirect, Timeout: requestTimeout}
}

// newBrowser is a client with a fresh cookie jar: one person's browser.
func newBrowser(t http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil) // cannot fail without options
	c := newHTTPClient(t)
	c.Jar = jar
	return c
}

// discover fetches the discovery document and checks it names every
// endpoint the benchmark needs.
func discover(ctx context.Context, hc *http.Client, baseURL string) (endpoints, error) {
	var ep endpoints
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/.well-known/openid-configuration", nil)
	if err != nil {
		return ep, err
	}
	if err := doJSON(hc, req, &ep); err != nil {
		return ep, err
	}
	for name, v := range map[string]string{"issuer": ep.Issuer, "authorization_endpoint": ep.Authorization,
		"token_endpoint": ep.Token, "userinfo_endpoint": ep.Userinfo,
		"introspection_endpoint": ep.Introspection, "jwks_uri": ep.JWKS} {
		if v == "" {
			return ep, fmt.Errorf("discovery document lacks %s", name)
		}
	}
	return ep, nil
}

// doJSON sends req and decodes a 200 JSON answer into v. Any other status
// becomes an httpError carrying the OAuth error code.
func doJSON(hc *http.Client, req *http.Request, v any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return responseError(req, resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("%s %s: bad JSON: %w", req.Method, pathShape(req.URL), err)
	}
	return nil
}

// getOK fetches a document and reads it whole, as a client would.
func getOK(ctx context.Context, hc *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return responseError(req, resp)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func responseError(req *http.Request, resp *http.Response) error {
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body)
	return &httpError{Method: req.Method, Path: pathShape(req.URL), Status: resp.StatusCode, Code: body.Error}
}

// pathShape hides ids in a path (/interaction/Xy7…/login → /interaction/:id/login)
// so that errors of one kind count together.
func pathShape(u *url.URL) string {
	parts := strings.Split(u.Path, "/")
	for i, p := range parts {
		if len(p) >= 16 {
			parts[i] = ":id"
		}
	}
	return strings.Join(parts, "/")
}

// randomToken is 32 random bytes, base64url: a PKCE verifier or a state.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newAuthRequest builds a code-flow authorization request with PKCE S256.
func (rp *relyingParty) newAuthRequest() authRequest {
	ar := authRequest{State: randomToken(), Verifier: randomToken()}
	sum := sha256.Sum256([]byte(ar.Verifier))
	q := url.Values{
		"client_id":             {rp.client.ID},
		"response_type":         {"code"},
		"redirect_uri":          {rp.client.RedirectURI},
		"scope":                 {rp.client.Scope},
		"state":                 {ar.State},
		"nonce":                 {randomToken()},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	ar.URL = rp.ep.Authorization + "?" + q.Encode()
	return ar
}

// codeFrom checks that the server sent the browser back to our redirect
// URI with our state, and returns the code.
func (rp *relyingParty) codeFrom(ar authRequest, loc *url.URL) (string, error) {
	back := *loc
	back.RawQuery, back.Fragment = "", ""
	if back.String() != rp.client.RedirectURI {
		return "", fmt.Errorf("authorize: redirected to %s, not the redirect URI", back.Host+pathShape(&back))
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("authorize: error %s", e)
	}
	if q.Get("state") != ar.State {
		return "", errors.New("authorize: state does not match")
	}
	if q.Get("code") == "" {
		return "", errors.New("authorize: no code")
	}
	return q.Get("code"), nil
}

// signIn runs the authorization request in browser c (signing in as who if
// the server asks) and returns the code and its PKCE verifier.
func (rp *relyingParty) signIn(ctx context.Context, t Target, c *http.Client, who Account) (code, verifier string, err error) {
	ar := rp.newAuthRequest()
	loc, err := t.Login(ctx, c, ar.URL, who)
	if err != nil {
		return "", "", err
	}
	code, err = rp.codeFrom(ar, loc)
	return code, ar.Verifier, err
}

// exchange redeems a code; scope openid makes an ID token due.
func (rp *relyingParty) exchange(ctx context.Context, code, verifier string) (tokens, error) {
	tok, err := rp.postToken(ctx, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {rp.client.RedirectURI},
		"code_verifier": {verifier},
	})
	if err == nil && tok.IDToken == "" {
		err = errors.New("POST token: no ID token for scope openid")
	}
	return tok, err
}

func (rp *relyingParty) refresh(ctx context.Context, refreshToken string) (tokens, error) {
	return rp.postToken(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	})
}

// postToken calls the token endpoint; coopgate always issues a refresh
// token with an access token, so a missing one is an error.
func (rp *relyingParty) postToken(ctx context.Context, form url.Values) (tokens, error) {
	var tok tokens
	req, err := rp.clientPost(ctx, rp.ep.Token, form)
	if err != nil {
		return tok, err
	}
	if err := doJSON(rp.http, req, &tok); err != nil {
		return tok, err
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		return tok, errors.New("POST token: access or refresh token missing")
	}
	return tok, nil
}

// clientPost is a form POST authenticated with client_secret_basic; RFC
// 6749 §2.3.1 wants id and secret form-encoded inside the Basic header.
func (rp *relyingParty) clientPost(ctx context.Context, u string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(rp.client.ID), url.QueryEscape(rp.client.Secret))
	return req, nil
}

func (rp *relyingParty) userinfo(ctx context.Context, accessToken string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rp.ep.Userinfo, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	var claims struct {
		Sub   string `json:"sub"`
		Email string `json:"email"`
	}
	if err := doJSON(rp.http, req, &claims); err != nil {
		return err
	}
	if claims.Sub == "" || claims.Email == "" {
		return errors.New("GET userinfo: sub or email missing")
	}
	return nil
}

// verifyIDToken checks that an ID token is signed with alg by a key of the
// server's key set, and is for this client: a check made once per scenario,
// untimed.
func (rp *relyingParty) verifyIDToken(ctx context.Context, raw, alg string) error {
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		return fmt.Errorf("ID token not signed with %s: %w", alg, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rp.ep.JWKS, nil)
	if err != nil {
		return err
	}
	var set jose.JSONWebKeySet
	if err := doJSON(rp.http, req, &set); err != nil {
		return err
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		return fmt.Errorf("ID token's key %q: %d in the key set", jws.Signatures[0].Header.KeyID, len(keys))
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		return fmt.Errorf("ID token: %w", err)
	}
	var claims struct {
		Iss string `json:"iss"`
		Aud any    `json:"aud"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Iss != rp.ep.Issuer || !audienceHas(claims.Aud, rp.client.ID) {
		return fmt.Errorf("ID token: issuer %q, audience %v (%v)", claims.Iss, claims.Aud, err)
	}
	return nil
}

func audienceHas(aud any, id string) bool {
	switch a := aud.(type) {
	case string:
		return a == id
	case []any:
		return slices.Contains(a, any(id))
	}
	return false
}

func (rp *relyingParty) introspect(ctx context.Context, accessToken string) error {
	req, err := rp.clientPost(ctx, rp.ep.Introspection, url.Values{"token": {accessToken}})
	if err != nil {
		return err
	}
	var answer struct {
		Active bool   `json:"active"`
		Sub    string `json:"sub"`
	}
	if err := doJSON(rp.http, req, &answer); err != nil {
		return err
	}
	if !answer.Active || answer.Sub == "" {
		return errors.New("POST introspection: token not active")
	}
	return nil
}
