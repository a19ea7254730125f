package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/people"
)

// TermsFunc returns the policy versions a person accepted (policy id →
// version), for the `terms` claim under the `coop` scope.
type TermsFunc func(ctx context.Context, personID string) (map[string]string, error)

// MembershipFunc is the `membership` claim under the `coop` scope of an
// admitted person, worked out from what the token statement read of them
// (class, member since, paid until) without another query.
type MembershipFunc func(p *people.Person) any

// Storage implements op.Storage on PostgreSQL.
type Storage struct {
	pool       *pgxpool.Pool
	keys       *Keyring
	clients    map[string]*Client
	terms      TermsFunc
	membership MembershipFunc
	metrics    Metrics
	log        *slog.Logger
	now        func() time.Time

	codeTTL, accessTTL, refreshTTL time.Duration
}

var _ op.Storage = (*Storage)(nil)

// Deps are what the storage needs besides the database.
type Deps struct {
	Pool       *pgxpool.Pool
	Keys       *Keyring
	Terms      TermsFunc
	Membership MembershipFunc
	Metrics    Metrics // may be nil
	Log        *slog.Logger
}

// Metrics counts what the provider issues.
type Metrics interface {
	TokenIssued(grant string)
}

// NewStorage makes the provider's storage for cfg's clients and lifetimes.
func NewStorage(cfg *config.Config, d Deps) *Storage {
	s := &Storage{
		pool: d.Pool, keys: d.Keys, terms: d.Terms, membership: d.Membership, metrics: d.Metrics, log: d.Log, now: time.Now,
		clients: map[string]*Client{},
		codeTTL: cfg.Tokens.CodeLifetime, accessTTL: cfg.Tokens.AccessTokenLifetime, refreshTTL: cfg.Tokens.RefreshTokenLifetime,
	}
	for _, c := range cfg.Clients {
		s.clients[c.ID] = newClient(c, cfg.Issuer, cfg.Tokens.IDTokenLifetime)
	}
	return s
}

// Client returns a configured relying party.
func (s *Storage) Client(id string) (*Client, bool) {
	c, ok := s.clients[id]
	return c, ok
}

// GetClientByClientID returns a relying party from config; any other id
// is the caller's mistake (invalid_client), not a server error.
func (s *Storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	return nil, errUnknownClient()
}

// AuthorizeClientIDSecret checks a confidential client's secret.
func (s *Storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.clients[id]
	if !ok || c.cfg.AuthMethod == "none" || !c.checkSecret(secret) {
		return errors.New("client authentication failed")
	}
	return nil
}

// SigningKey is the RS256 key that signs now: op's default. A client's ID
// tokens are signed with its own algorithm's key (clientSigning, server.go).
func (s *Storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return s.signingKey(ctx, jose.RS256)
}

func (s *Storage) signingKey(ctx context.Context, alg jose.SignatureAlgorithm) (op.SigningKey, error) {
	k, err := s.keys.Signing(ctx, alg)
	if err != nil {
		return nil, internalError(err)
	}
	return k, nil
}

// SignatureAlgorithms lists what ID tokens may be signed with, for discovery.
func (s *Storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return slices.Clone(SignatureAlgorithms), nil
}

// KeySet is what the JWKS endpoint publishes.
func (s *Storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.keys.Published(ctx) }

// Health is the provider's readiness probe.
func (s *Storage) Health(ctx context.Context) error { return s.pool.Ping(ctx) }

// TerminateSessionFromRequest says where RP-initiated logout sends the
// browser. The coopgate session itself is ended before op is asked, by
// internal/server's end_session handler through the session manager: the
// browser's session is the browser's business, not the provider's storage's.
func (s *Storage) TerminateSessionFromRequest(_ context.Context, req *op.EndSessionRequest) (string, error) {
	return req.RedirectURI, nil
}

// TerminateSession is not called: TerminateSessionFromRequest replaces it.
func (s *Storage) TerminateSession(context.Context, string, string) error { return nil }

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *Storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims: from the person as
// the statement that stored the tokens read them, or read now.
func (s *Storage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var p *people.Person
	if c, ok := req.(claimsCarrier); ok {
		p = c.carriedClaims()
	}
	if p == nil {
		var err error
		if p, err = people.ByID(ctx, s.pool, req.GetSubject()); err != nil {
			return internalError(err)
		}
	}
	if err := s.fillUserinfo(ctx, ui, p, scopes); err != nil {
		return internalError(err)
	}
	return nil
}

// SetUserinfoFromToken answers /userinfo for a live access token of an
// admitted person: the token and the person in one query, since relying
// parties call it at every login. Besides the scopes' claims it tells how
// the login the token came from was made (amr, acr), as the ID token does.
func (s *Storage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, _ string) error {
	var scopes, amr []string
	var acr string
	p := people.Person{ID: subject}
	err := s.pool.QueryRow(ctx, `
		SELECT t.scopes, t.amr, t.acr, `+claimsColumns+`
		FROM oidc_access_tokens t JOIN people p ON p.id = t.person_id
		     LEFT JOIN register_entries r ON r.id = p.register_entry_id
		WHERE t.id = $1 AND t.person_id::text = $2 AND t.expires_at > now() AND p.status = 'admitted'`,
		tokenID, subject).Scan(append([]any{&scopes, &amr, &acr}, claimsDest(&p)...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return errTokenInactive
	}
	if err != nil {
		return fmt.Errorf("loading access token: %w", err)
	}
	if len(amr) > 0 {
		ui.AppendClaims("amr", amr)
	}
	if acr != "" {
		ui.AppendClaims("acr", acr)
	}
	return s.fillUserinfo(ctx, ui, &p, scopes)
}

// SetIntrospectionFromToken answers introspection, only to a client the token
// was issued to: one relying party cannot probe another's tokens.
func (s *Storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.accessToken(ctx, tokenID, subject)
	if errors.Is(err, errTokenInactive) {
		return err
	}
	if err != nil {
		return internalError(err)
	}
	if !slices.Contains(t.audience, clientID) {
		return fmt.Errorf("token not issued to the introspecting client: %w", errTokenInactive)
	}
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.Subject = subject
	resp.Audience = t.audience
	resp.Expiration = oidc.FromTime(t.expiresAt)
	resp.IssuedAt = oidc.FromTime(t.createdAt)
	resp.TokenType = oidc.BearerToken
	return nil
}

type accessToken struct {
	clientID             string
	scopes, audience     []string
	createdAt, expiresAt time.Time
}

var errTokenInactive = errors.New("access token inactive")

func (s *Storage) accessToken(ctx context.Context, id, subject string) (*accessToken, error) {
	var t accessToken
	err := s.pool.QueryRow(ctx, `
		SELECT t.client_id, t.scopes, t.audience, t.created_at, t.expires_at
		FROM oidc_access_tokens t JOIN people p ON p.id = t.person_id
		WHERE t.id = $1 AND t.person_id::text = $2 AND t.expires_at > now() AND p.status = 'admitted'`,
		id, subject).Scan(&t.clientID, &t.scopes, &t.audience, &t.createdAt, &t.expiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errTokenInactive
	}
	if err != nil {
		return nil, fmt.Errorf("loading access token: %w", err)
	}
	return &t, nil
}

// claimsColumns are what the claims are made of, from people p and the
// register entry r joined to it (the membership claim's class and dates
// among them); claimsDest scans them.
const claimsColumns = `p.email, p.email_verified_at IS NOT NULL, p.name, p.username, p.status, p.roles,
	coalesce(r.class, ''), r.admitted_on, r.paid_until, p.admitted_at`

func claimsDest(p *people.Person) []any {
	return []any{&p.Email, &p.EmailVerified, &p.Name, &p.Username, &p.Status, &p.Roles,
		&p.MembershipClass, &p.MemberSince, &p.PaidUntil, &p.AdmittedAt}
}

// fillUserinfo sets the claims each scope grants.
func (s *Storage) fillUserinfo(ctx context.Context, ui *oidc.UserInfo, p *people.Person, scopes []string) error {
	ui.Subject = p.ID
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeProfile:
			ui.Name = p.Name
			ui.PreferredUsername = p.Username
		case oidc.ScopeEmail:
			ui.Email = p.Email
			ui.EmailVerified = oidc.Bool(p.EmailVerified)
		case ScopeGroups:
			ui.AppendClaims("groups", nonNil(p.Groups()))
		case ScopeCoop:
			if err := s.addTerms(ctx, ui, p.ID); err != nil {
				return err
			}
			if s.membership != nil && p.Status == people.Admitted {
				ui.AppendClaims("membership", s.membership(p))
			}
		}
	}
	return nil
}

func (s *Storage) addTerms(ctx context.Context, ui *oidc.UserInfo, personID string) error {
	if s.terms == nil {
		return nil
	}
	terms, err := s.terms(ctx, personID)
	if err != nil {
		return err
	}
	if terms == nil {
		terms = map[string]string{}
	}
	ui.AppendClaims("terms", terms)
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// The scopes coopgate adds to OpenID Connect's.
const (
	ScopeGroups = "groups" // the `groups` claim: member, membership class, secretary
	ScopeCoop   = "coop"   // the `terms` claim (accepted policy versions) and `membership` (class, dates, standing)
)

// GetPrivateClaimsFromScopes adds nothing: access tokens are opaque.
func (s *Storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID is for the JWT profile grant, which coopgate does not offer.
func (s *Storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("jwt profile grant not supported")
}

// ValidateJWTProfileScopes is for the JWT profile grant, which coopgate does not offer.
func (s *Storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile grant not supported")
}
