package oidc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/seal"
)

// statementLog records the SQL a pool sends, so that a test can count the
// round trips one request costs.
type statementLog struct {
	mu   sync.Mutex
	sqls []string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sqls = append(l.sqls, d.SQL)
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sqls
	l.sqls = nil
	return out
}

// TestTokenGrantsRoundTrips: a code exchange costs two statements (find the
// code; spend it and store the tokens, reading the person's claims under the
// person's lock), with or without a refresh token, and so does a refresh
// (find the token; rotate it and store the new pair). No statement of its
// own spends the code, nor reads the person again for the ID token, whose
// claims are still the person's (the membership claim's dates among them),
// and the tokens stored carry how the login was made (amr, acr): userinfo
// answers them for the access token of either grant.
func TestTokenGrantsRoundTrips(t *testing.T) {
	t.Parallel()
	log := &statementLog{}
	h, s := tracedProvider(t, log)
	personID := peopletest.Admitted(t, s.pool, "ann@example.coop").ID
	for _, scopes := range [][]string{{"openid", "email", "coop", "offline_access"}, {"openid", "email", "coop"}} {
		code, verifier := issueCode(t, s, personID, scopes)
		log.take()
		first := postToken(t, h, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {"https://rp.example/cb"}, "code_verifier": {verifier}})
		if sqls := log.take(); len(sqls) != 2 {
			t.Errorf("a code exchange for %v sent %d statements; want 2:\n%s", scopes, len(sqls), strings.Join(sqls, "\n---\n"))
		}
		wantLoginHow(t, "code exchange", h, first)
		if first.RefreshToken == "" {
			continue
		}
		log.take()
		second := postToken(t, h, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}})
		if sqls := log.take(); len(sqls) != 2 {
			t.Errorf("a refresh sent %d statements; want 2:\n%s", len(sqls), strings.Join(sqls, "\n---\n"))
		}
		wantLoginHow(t, "refresh", h, second)
	}
}

// wantLoginHow checks that userinfo, for a grant's access token, tells the
// password login issueCode made: amr [pwd], acr pwd.
func wantLoginHow(t *testing.T, grant string, h http.Handler, reply tokenReply) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+reply.AccessToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var how loginHow
	if err := json.Unmarshal(rec.Body.Bytes(), &how); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("%s: userinfo %d %s", grant, rec.Code, rec.Body)
	}
	if !slices.Equal(how.AMR, []string{"pwd"}) || how.ACR != ACRPassword {
		t.Errorf("%s: userinfo amr %q acr %q; want [pwd] %q", grant, how.AMR, how.ACR, ACRPassword)
	}
}

// loginHow is how a login was made, as a relying party reads it.
type loginHow struct {
	AMR []string `json:"amr"`
	ACR string   `json:"acr"`
}

// issueCode takes an auth request of client rp for personID through to a
// code, as the login pages and op do, and returns it with its PKCE verifier.
func issueCode(t *testing.T, s *Storage, personID string, scopes []string) (code, verifier string) {
	t.Helper()
	ctx := context.Background()
	verifier, code = randomToken(), randomToken()
	sum := sha256.Sum256([]byte(verifier))
	a, err := s.CreateAuthRequest(ctx, &oidc.AuthRequest{ClientID: "rp", RedirectURI: "https://rp.example/cb",
		Scopes: scopes, ResponseType: oidc.ResponseTypeCode,
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), CodeChallengeMethod: oidc.CodeChallengeMethodS256}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteAuthRequest(ctx, a.GetID(), personID, time.Now(), []string{"pwd"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAuthCode(ctx, a.GetID(), code); err != nil {
		t.Fatal(err)
	}
	return code, verifier
}

type tokenReply struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// postToken calls the token endpoint as client rp and checks that the ID
// token carries the person's email, the membership claim (member since the
// day they were admitted, which testMembership reads) and the login's amr,
// and, from a code, its acr (op sets acr only on an auth request's).

func postToken(t *testing.T, h http.Handler, form url.Values) tokenReply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("rp", "test-secret-0123456789")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var reply tokenReply
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("%s: %d %s", form.Get("grant_type"), rec.Code, rec.Body)
	}
	jws, err := jose.ParseSigned(reply.IDToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email      string
		Membership struct {
			MemberSince string `json:"member_since"`
		}
		loginHow
	}
	grant := form.Get("grant_type")
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil || claims.Email != "ann@example.coop" {
		t.Errorf("%s: ID token email %q (%v); want the person's", grant, claims.Email, err)
	}
	if today := time.Now().UTC().Format(time.DateOnly); claims.Membership.MemberSince != today {
		t.Errorf("%s: ID token member since %q; want %s, the day the person was admitted", grant, claims.Membership.MemberSince, today)
	}
	wantACR := map[string]string{"authorization_code": ACRPassword}[grant]
	if !slices.Equal(claims.AMR, []string{"pwd"}) || claims.ACR != wantACR {
		t.Errorf("%s: ID token amr %q acr %q; want [pwd] %q", grant, claims.AMR, claims.ACR, wantACR)
	}
	return reply
}

// testMembership is a membership claim made of the dates the token
// statement reads: member since the register's date, or the admission's.
func testMembership(p *people.Person) any {
	since := p.MemberSince
	if since == nil {
		since = p.AdmittedAt
	}
	if since == nil {
		return map[string]any{"member_since": nil}
	}
	return map[string]any{"member_since": since.UTC().Format(time.DateOnly)}
}

// tracedProvider is a provider whose storage's statements go to log.
func tracedProvider(t *testing.T, log *statementLog) (http.Handler, *Storage) {
	t.Helper()
	cfg := testConfig(t, `  - {id: rp, name: RP, secret: test-secret-0123456789, auth_method: client_secret_basic,
     redirect_uris: ['https://rp.example/cb'], scopes: [openid, email, coop, offline_access]}
`)
	pc, err := pgxpool.ParseConfig(pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	pc.ConnConfig.Tracer = log
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	box, _ := seal.New(bytes.Repeat([]byte{1}, 32))
	keys := NewKeyring(pool, box, cfg.Keys.PublishLead, cfg.Keys.RetiredFor, AlgorithmsInUse(cfg.Clients))
	if err := keys.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := NewStorage(cfg, Deps{Pool: pool, Keys: keys, Log: quiet, Membership: testMembership})
	p, err := NewProvider(cfg, s, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return p.Handler(), s
}
