package oidc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/seal"
)

// TestStorageContract holds the provider's storage to what op and
// coopgate's pages rely on, through op.Storage, on a real PostgreSQL: auth
// requests, codes, access and refresh tokens (rotation, and a spent one
// revoking its family), keys and clients. It is written as dex's
// storage/conformance suite is, one fresh storage per case, so that a
// change of schema or queries is checked against the whole contract.
func TestStorageContract(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		run  func(t *testing.T, e *contract)
	}{
		{"auth requests", testAuthRequests},
		{"codes are spent once", testCodes},
		{"access tokens", testAccessTokens},
		{"refresh tokens rotate", testRefreshRotation},
		{"revocation", testRevocation},
		{"a person's tokens end together", testRevokePerson},
		{"keys", testKeys},
		{"clients", testClients},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newContract(t))
		})
	}
}

const (
	clientID     = "rp"
	clientSecret = "a-client-secret-0123"
	redirectURI  = "https://rp.example.coop/callback"
	publicClient = "spa"
	ecClient     = "rp-es256" // a client whose ID tokens are signed with ES256
)

// contract is one case's storage, on its own database, with an admitted
// person to log in.
type contract struct {
	s      op.Storage
	coop   *oidc.Storage // coopgate's own methods: completing an auth request
	pool   *pgxpool.Pool
	person *people.Person
	codes  int // codes made by tokens, for unique values
}

func newContract(t *testing.T) *contract {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	box, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Issuer: "https://id.example.coop",
		Tokens: config.Tokens{CodeLifetime: 5 * time.Minute, AccessTokenLifetime: time.Hour, IDTokenLifetime: time.Hour,
			RefreshTokenLifetime: 24 * time.Hour},
		Clients: []config.Client{
			{ID: clientID, Name: "Relying Party", Secret: clientSecret, AuthMethod: "client_secret_basic",
				RedirectURIs: []string{redirectURI}, Scopes: []string{"openid", "profile", "email", "offline_access"}},
			{ID: publicClient, Name: "Browser App", AuthMethod: "none", RedirectURIs: []string{"https://spa.example.coop/"},
				Scopes: []string{"openid"}},
			{ID: ecClient, Name: "Service on ES256", Secret: clientSecret, AuthMethod: "client_secret_basic",
				RedirectURIs: []string{redirectURI}, Scopes: []string{"openid"}, IDTokenSignedResponseAlg: "ES256"},
		}}
	keys := oidc.NewKeyring(pool, box, 10*time.Minute, 24*time.Hour, oidc.AlgorithmsInUse(cfg.Clients))
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	s := oidc.NewStorage(cfg, oidc.Deps{Pool: pool, Keys: keys, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &contract{s: s, coop: s, pool: pool, person: peopletest.Admitted(t, pool, "ann@example.coop")}
}

// authRequest stores an auth request as /authorize does.
func (e *contract) authRequest(t *testing.T, scopes ...string) op.AuthRequest {
	t.Helper()
	ar, err := e.s.CreateAuthRequest(context.Background(), &zoidc.AuthRequest{ClientID: clientID, RedirectURI: redirectURI,
		Scopes: scopes, ResponseType: zoidc.ResponseTypeCode, State: "st", Nonce: "n0nce", LoginHint: "ann@example.coop",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: zoidc.CodeChallengeMethodS256}, "")
	if err != nil {
		t.Fatalf("CreateAuthRequest: %v", err)
	}
	return ar
}

// code logs the person in on a new auth request and saves a code for it.
func (e *contract) code(t *testing.T, code string) op.AuthRequest {
	t.Helper()
	ctx := context.Background()
	ar := e.authRequest(t, "openid", "email", "profile", "offline_access")
	if err := e.coop.CompleteAuthRequest(ctx, ar.GetID(), e.person.ID, time.Now(), []string{"pwd"}); err != nil {
		t.Fatalf("CompleteAuthRequest: %v", err)
	}
	if err := e.s.SaveAuthCode(ctx, ar.GetID(), code); err != nil {
		t.Fatalf("SaveAuthCode: %v", err)
	}
	return ar
}

// tokens exchanges a fresh code for an access and a refresh token.
func (e *contract) tokens(t *testing.T) (accessID, refresh string) {
	t.Helper()
	ctx := context.Background()
	e.codes++
	code := fmt.Sprintf("code-for-tokens-%d", e.codes)
	e.code(t, code)
	ar, err := e.s.AuthRequestByCode(ctx, code)
	if err != nil {
		t.Fatalf("AuthRequestByCode: %v", err)
	}
	accessID, refresh, _, err = e.s.CreateAccessAndRefreshTokens(ctx, ar, "")
	if err != nil {
		t.Fatalf("CreateAccessAndRefreshTokens: %v", err)
	}
	return accessID, refresh
}

// live reports whether an access token still answers userinfo.
func (e *contract) live(accessID string) bool {
	return e.s.SetUserinfoFromToken(context.Background(), new(zoidc.UserInfo), accessID, e.person.ID, "") == nil
}

// refreshable reports whether a refresh token is still accepted.
func (e *contract) refreshable(refresh string) bool {
	_, err := e.s.TokenRequestByRefreshToken(context.Background(), refresh)
	return err == nil
}

func testAuthRequests(t *testing.T, e *contract) {
	ctx := context.Background()
	ar := e.authRequest(t, "openid", "email", "groups") // groups: not this client's
	got, err := e.s.AuthRequestByID(ctx, ar.GetID())
	if err != nil {
		t.Fatalf("AuthRequestByID: %v", err)
	}
	if got.GetClientID() != clientID || got.GetRedirectURI() != redirectURI || got.GetState() != "st" ||
		got.GetNonce() != "n0nce" || got.GetCodeChallenge() == nil || got.GetCodeChallenge().Method != zoidc.CodeChallengeMethodS256 {
		t.Errorf("stored request %+v", got)
	}
	if !slices.Equal(got.GetScopes(), []string{"openid", "email"}) {
		t.Errorf("scopes %v; want the client's own only", got.GetScopes())
	}
	if got.Done() || got.GetSubject() != "" {
		t.Error("a request nobody logged in to is done")
	}
	if err := e.s.SaveAuthCode(ctx, ar.GetID(), "too-early"); err == nil {
		t.Error("a code was saved before anyone logged in")
	}
	at := time.Now().Truncate(time.Second)
	if err := e.coop.CompleteAuthRequest(ctx, ar.GetID(), e.person.ID, at, []string{"pwd"}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.s.AuthRequestByID(ctx, ar.GetID())
	if !got.Done() || got.GetSubject() != e.person.ID || !got.GetAuthTime().Equal(at) || !slices.Equal(got.GetAMR(), []string{"pwd"}) {
		t.Errorf("completed request: done %v, subject %q, auth time %v, amr %v", got.Done(), got.GetSubject(), got.GetAuthTime(), got.GetAMR())
	}

	for _, id := range []string{"not-a-uuid", "6f1c9e4e-0000-4c3b-9a55-000000000000", ""} {
		if _, err := e.s.AuthRequestByID(ctx, id); err == nil {
			t.Errorf("AuthRequestByID(%q) found something", id)
		}
	}
	if _, err := e.s.CreateAuthRequest(ctx, &zoidc.AuthRequest{ClientID: "nobody", RedirectURI: redirectURI,
		Scopes: []string{"openid"}, ResponseType: zoidc.ResponseTypeCode}, ""); err == nil {
		t.Error("an auth request of an unknown client was stored")
	}
}

func testCodes(t *testing.T, e *contract) {
	ctx := context.Background()
	ar := e.code(t, "code-1")
	// A callback loaded twice at once: the client's request, not a server error.
	var oe *zoidc.Error
	if err := e.s.SaveAuthCode(ctx, ar.GetID(), "code-2"); !errors.As(err, &oe) || oe.ErrorType != zoidc.InvalidRequest {
		t.Errorf("a second code for one login: %v; want invalid_request", err)
	}
	first, err := e.s.AuthRequestByCode(ctx, "code-1")
	if err != nil || first.GetID() != ar.GetID() || first.GetSubject() != e.person.ID {
		t.Fatalf("AuthRequestByCode: %v, %v", first, err)
	}
	accessID, refresh, _, err := e.s.CreateAccessAndRefreshTokens(ctx, first, "")
	if err != nil {
		t.Fatal(err)
	}
	// RFC 6749 §4.1.2: a code used twice was leaked; what it issued ends.
	if _, err := e.s.AuthRequestByCode(ctx, "code-1"); err == nil {
		t.Fatal("a code was redeemed twice")
	}
	if e.live(accessID) || e.refreshable(refresh) {
		t.Errorf("after the code's replay: access live %v, refresh usable %v; want neither", e.live(accessID), e.refreshable(refresh))
	}
	if _, err := e.s.AuthRequestByCode(ctx, "never-issued"); err == nil {
		t.Error("an unknown code was redeemed")
	}
}

func testAccessTokens(t *testing.T, e *contract) {
	ctx := context.Background()
	ar := e.code(t, "code")
	req, err := e.s.AuthRequestByCode(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	accessID, exp, err := e.s.CreateAccessToken(ctx, req)
	if err != nil || !exp.After(time.Now()) {
		t.Fatalf("CreateAccessToken: %v (expires %v)", err, exp)
	}
	ui := new(zoidc.UserInfo)
	if err := e.s.SetUserinfoFromToken(ctx, ui, accessID, e.person.ID, ""); err != nil {
		t.Fatal(err)
	}
	if ui.Subject != e.person.ID || ui.Email != e.person.Email || !bool(ui.EmailVerified) || ui.PreferredUsername != e.person.Username {
		t.Errorf("userinfo %+v", ui)
	}
	if err := e.s.SetUserinfoFromToken(ctx, new(zoidc.UserInfo), accessID, "6f1c9e4e-0000-4c3b-9a55-000000000000", ""); err == nil {
		t.Error("the token answered for another subject")
	}

	intro := new(zoidc.IntrospectionResponse)
	if err := e.s.SetIntrospectionFromToken(ctx, intro, accessID, e.person.ID, clientID); err != nil {
		t.Fatal(err)
	}
	if intro.Subject != e.person.ID || intro.ClientID != clientID || !slices.Equal([]string(intro.Scope), ar.GetScopes()) {
		t.Errorf("introspection %+v", intro)
	}
	if err := e.s.SetIntrospectionFromToken(ctx, new(zoidc.IntrospectionResponse), accessID, e.person.ID, publicClient); err == nil {
		t.Error("another client could introspect the token")
	}
}

func testRefreshRotation(t *testing.T, e *contract) {
	ctx := context.Background()
	_, first := e.tokens(t)
	req, err := e.s.TokenRequestByRefreshToken(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if req.GetSubject() != e.person.ID || req.GetClientID() != clientID || !slices.Contains(req.GetScopes(), "offline_access") {
		t.Errorf("refresh request: subject %q client %q scopes %v", req.GetSubject(), req.GetClientID(), req.GetScopes())
	}
	accessID, second, _, err := e.s.CreateAccessAndRefreshTokens(ctx, req, first)
	if err != nil || second == "" || second == first {
		t.Fatalf("rotation: %v (new token %q)", err, second)
	}
	if !e.live(accessID) || !e.refreshable(second) {
		t.Fatal("the rotated tokens do not work")
	}
	// The spent token again: someone copied it. The whole family ends.
	if e.refreshable(first) {
		t.Fatal("a spent refresh token was accepted")
	}
	if e.live(accessID) || e.refreshable(second) {
		t.Errorf("after a spent token came back: access live %v, new refresh usable %v; want neither", e.live(accessID), e.refreshable(second))
	}
	if _, err := e.s.TokenRequestByRefreshToken(ctx, "never-issued"); err == nil {
		t.Error("an unknown refresh token was accepted")
	}
}

func testRevocation(t *testing.T, e *contract) {
	ctx := context.Background()
	accessID, refresh := e.tokens(t)
	if err := e.s.RevokeToken(ctx, refresh, "", publicClient); err == nil || err.ErrorType != zoidc.InvalidClient {
		t.Errorf("another client revoking the token: %v; want invalid_client", err)
	}
	if !e.refreshable(refresh) {
		t.Fatal("another client's revocation ended the token")
	}
	if err := e.s.RevokeToken(ctx, "never-issued", "", clientID); err != nil {
		t.Errorf("revoking an unknown token: %v; want success (RFC 7009 §2.2)", err)
	}
	if err := e.s.RevokeToken(ctx, refresh, "", clientID); err != nil {
		t.Fatal(err)
	}
	if e.refreshable(refresh) || e.live(accessID) {
		t.Error("a revoked refresh token or its family's access token still works")
	}

	// By id, as op passes them: a refresh token's (from GetRefreshTokenInfo)
	// ends its family, an access token's only itself.
	accessID, refresh = e.tokens(t)
	if _, _, err := e.s.GetRefreshTokenInfo(ctx, publicClient, refresh); err == nil {
		t.Error("GetRefreshTokenInfo answered another client")
	}
	userID, tokenID, err := e.s.GetRefreshTokenInfo(ctx, clientID, refresh)
	if err != nil || userID != e.person.ID {
		t.Fatalf("GetRefreshTokenInfo: %q, %v", userID, err)
	}
	otherAccess, otherRefresh := e.tokens(t)
	if err := e.s.RevokeToken(ctx, otherAccess, e.person.ID, clientID); err != nil {
		t.Fatal(err)
	}
	if e.live(otherAccess) || !e.refreshable(otherRefresh) {
		t.Errorf("revoking an access token: it lives %v, its refresh token works %v; want false, true", e.live(otherAccess), e.refreshable(otherRefresh))
	}
	if err := e.s.RevokeToken(ctx, tokenID, userID, clientID); err != nil {
		t.Fatal(err)
	}
	if e.refreshable(refresh) || e.live(accessID) {
		t.Error("revoking a refresh token by id left its family working")
	}
}

func testRevokePerson(t *testing.T, e *contract) {
	ctx := context.Background()
	accessID, refresh := e.tokens(t)
	e.code(t, "not-yet-exchanged")
	err := database.InTx(ctx, e.pool, func(tx pgx.Tx) error { return oidc.RevokePerson(ctx, tx, e.person.ID) })
	if err != nil {
		t.Fatal(err)
	}
	if e.live(accessID) || e.refreshable(refresh) {
		t.Error("tokens survived RevokePerson")
	}
	if _, err := e.s.AuthRequestByCode(ctx, "not-yet-exchanged"); err == nil {
		t.Error("a code issued before RevokePerson was redeemed after it")
	}
}

// testKeys: op signs with SigningKey (RS256, every client's default);
// discovery offers every algorithm a client may choose, and the key set
// publishes a current key of each algorithm a configured client uses.
func testKeys(t *testing.T, e *contract) {
	ctx := context.Background()
	key, err := e.s.SigningKey(ctx)
	if err != nil || key.ID() == "" || key.SignatureAlgorithm() != jose.RS256 {
		t.Fatalf("SigningKey: %v, %v", key, err)
	}
	want := []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}
	if algs, err := e.s.SignatureAlgorithms(ctx); err != nil || !slices.Equal(algs, want) {
		t.Errorf("SignatureAlgorithms: %v, %v; want %v", algs, err, want)
	}
	set, err := e.s.KeySet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	published := slices.ContainsFunc(set, func(k op.Key) bool { return k.ID() == key.ID() && k.Use() == "sig" })
	if !published {
		t.Errorf("the signing key %s is not in the key set", key.ID())
	}
	var algs []jose.SignatureAlgorithm
	for _, k := range set {
		algs = append(algs, k.Algorithm())
	}
	if slices.Sort(algs); !slices.Equal(algs, []jose.SignatureAlgorithm{jose.ES256, jose.RS256}) {
		t.Errorf("key set of algorithms %v; want one ES256 and one RS256 key (EdDSA is nobody's)", algs)
	}
}

func testClients(t *testing.T, e *contract) {
	ctx := context.Background()
	c, err := e.s.GetClientByClientID(ctx, clientID)
	if err != nil || c.GetID() != clientID || !slices.Equal(c.RedirectURIs(), []string{redirectURI}) {
		t.Fatalf("GetClientByClientID: %v, %v", c, err)
	}
	if _, err := e.s.GetClientByClientID(ctx, "nobody"); err == nil {
		t.Error("an unknown client was found")
	}
	for _, tt := range []struct {
		id, secret string
		ok         bool
	}{
		{clientID, clientSecret, true}, {clientID, "wrong", false}, {clientID, "", false},
		{publicClient, "", false}, {"nobody", clientSecret, false},
	} {
		if err := e.s.AuthorizeClientIDSecret(ctx, tt.id, tt.secret); (err == nil) != tt.ok {
			t.Errorf("AuthorizeClientIDSecret(%q, %q) = %v; want ok %v", tt.id, tt.secret, err, tt.ok)
		}
	}
}
