package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// RefreshToken is a stored refresh token, as the refresh grant sees it.
type RefreshToken struct {
	issuedTo
	ID        string
	FamilyID  string
	PersonID  string
	ClientID  string
	Scopes    []string
	Audience  []string
	AMR       []string
	AuthTime  time.Time
	ExpiresAt time.Time
	rotated   bool
	revoked   bool
}

var _ op.RefreshTokenRequest = (*RefreshToken)(nil)

func (r *RefreshToken) GetAMR() []string            { return r.AMR }
func (r *RefreshToken) GetAudience() []string       { return r.Audience }
func (r *RefreshToken) GetAuthTime() time.Time      { return r.AuthTime }
func (r *RefreshToken) GetClientID() string         { return r.ClientID }
func (r *RefreshToken) GetScopes() []string         { return r.Scopes }
func (r *RefreshToken) GetSubject() string          { return r.PersonID }
func (r *RefreshToken) SetCurrentScopes(s []string) { r.Scopes = s }

// grant is what the tokens of one login carry, whichever grant issued them.
type grant struct {
	personID, clientID string
	scopes, audience   []string
	amr                []string
	authTime           time.Time
	authRequestID      string // set for the code grant
	familyID           string // set for the refresh grant
	refreshID          string // the refresh token being rotated
}

func grantOf(req op.TokenRequest) (grant, error) {
	switch r := req.(type) {
	case *AuthRequest:
		return grant{personID: r.PersonID, clientID: r.ClientID, scopes: r.Scopes, audience: r.GetAudience(),
			amr: r.AMR, authTime: r.AuthTime, authRequestID: r.ID}, nil
	case *RefreshToken:
		return grant{personID: r.PersonID, clientID: r.ClientID, scopes: r.Scopes, audience: r.Audience,
			amr: r.AMR, authTime: r.AuthTime, familyID: r.FamilyID, refreshID: r.ID}, nil
	}
	return grant{}, oidc.ErrUnsupportedGrantType()
}

// CreateAccessToken stores an access token and returns its id, which the op
// seals into the opaque bearer token.
func (s *Storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	g, err := grantOf(req)
	if err != nil {
		return "", time.Time{}, err
	}
	id, exp, err := s.insertAccessToken(ctx, s.pool, g)
	if err != nil {
		return "", time.Time{}, internalError(err)
	}
	s.countToken(g)
	return id, exp, nil
}

func (s *Storage) countToken(g grant) {
	if s.metrics == nil {
		return
	}
	if g.refreshID != "" {
		s.metrics.TokenIssued("refresh_token")
	} else {
		s.metrics.TokenIssued("authorization_code")
	}
}

func (s *Storage) insertAccessToken(ctx context.Context, q database.Querier, g grant) (string, time.Time, error) {
	id, exp := uuid.NewString(), s.now().Add(s.accessTTL)
	_, err := q.Exec(ctx, `
		INSERT INTO oidc_access_tokens (id, person_id, client_id, scopes, audience, auth_request_id, refresh_family_id, expires_at)
		VALUES ($1, $2, $3, $4, $5, nullif($6, '')::uuid, nullif($7, '')::uuid, $8)`,
		id, g.personID, g.clientID, g.scopes, g.audience, g.authRequestID, g.familyID, exp)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("storing access token: %w", err)
	}
	return id, exp, nil
}

// errRefreshSpent is returned when a refresh token lost a rotation race.
var errRefreshSpent = errors.New("refresh token already used")

// CreateAccessAndRefreshTokens issues an access token and a new refresh token.
// On the refresh grant it first spends the presented token, in the same
// transaction: of two concurrent refreshes with one token, one wins.
func (s *Storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, _ string) (string, string, time.Time, error) {
	g, err := grantOf(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if g.familyID == "" {
		g.familyID = g.authRequestID // a family starts at the code exchange
	}
	accessID, refresh, exp, claims, err := s.storeTokenPair(ctx, g)
	switch {
	case errors.Is(err, errRefreshSpent):
		_ = s.revokeFamily(ctx, g.familyID)
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token already used")
	case errors.Is(err, errNotAdmitted):
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the person's membership has ended")
	case err != nil:
		return "", "", time.Time{}, internalError(err)
	}
	s.countToken(g)
	if c, ok := req.(claimsCarrier); ok {
		c.carryClaims(claims)
	}
	return accessID, refresh, exp, nil
}

// claimsCarrier is a token request that carries the person as the statement
// issuing its tokens read them, for the ID token's claims: reading the
// person again would be one more round trip per grant.
type claimsCarrier interface {
	carryClaims(*people.Person)
	carriedClaims() *people.Person
}

// issuedTo is the person a token request's tokens were issued to.
type issuedTo struct{ person *people.Person }

func (i *issuedTo) carryClaims(p *people.Person)  { i.person = p }
func (i *issuedTo) carriedClaims() *people.Person { return i.person }

// errNotAdmitted is returned when tokens would go to a person who is no
// longer admitted (their membership ended while the request was on its way).
var errNotAdmitted = errors.New("person not admitted")

// storeTokenPair spends the refresh token being rotated (if any) and stores
// the new access and refresh tokens in one statement: one round trip to the
// database instead of five for a transaction, and as atomic. It returns the
// person's claims as the statement read them. Should the presented refresh
// token be spent already (a concurrent refresh won the row lock), nothing
// is stored and errRefreshSpent is returned; should the person no longer be
// admitted, errNotAdmitted.
func (s *Storage) storeTokenPair(ctx context.Context, g grant) (accessID, refresh string, exp time.Time, claims *people.Person, err error) {
	accessID, exp, refresh = uuid.NewString(), s.now().Add(s.accessTTL), randomToken()
	sum := sha256.Sum256([]byte(refresh))
	args := []any{accessID, g.personID, g.clientID, g.scopes, g.audience, g.authRequestID, g.familyID, exp,
		uuid.NewString(), sum[:], g.amr, g.authTime, s.now().Add(s.refreshTTL)}
	sql := storeCodeTokens
	if g.refreshID != "" {
		sql, args = storeRotatedTokens, append(args, g.refreshID)
	}
	var stored bool
	claims = &people.Person{ID: g.personID}
	err = s.pool.QueryRow(ctx, sql, args...).Scan(append([]any{&stored}, claimsDest(claims)...)...)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // the person CTE found nobody admitted
		return "", "", time.Time{}, nil, errNotAdmitted
	case err != nil:
		return "", "", time.Time{}, nil, fmt.Errorf("storing tokens: %w", err)
	case !stored:
		return "", "", time.Time{}, nil, errRefreshSpent
	}
	return accessID, refresh, exp, claims, nil
}

// The statements of storeTokenPair: $1–$8 the access token, $9–$13 the
// refresh token (its family is the access token's), $14 the refresh token
// being rotated. Two statements rather than one with a condition, so that
// each keeps a plan of its own.
//
// Both lock the person (FOR KEY SHARE, as the foreign keys of the inserts
// would) before anything else, and only while admitted. Whoever touches a
// person's tokens takes the person's lock first: ending a membership locks
// the person FOR UPDATE and then revokes their refresh tokens, so a refresh
// that locked its refresh token row first and the person second could
// deadlock with it. The person's lock is an InitPlan of the UPDATE, taken
// before the UPDATE's scan reaches the refresh token's row.
//
// The person's row, read under that lock, also gives the ID token's claims
// (claimsColumns): no row at all means the person is not admitted.
const (
	lockAdmittedPerson = `
	WITH person AS (
		SELECT ` + claimsColumns + ` FROM people p LEFT JOIN register_entries r ON r.id = p.register_entry_id
		WHERE p.id = $2 AND p.status = 'admitted' FOR KEY SHARE OF p
	), `
	insertTokenPair = `
		INSERT INTO oidc_access_tokens (id, person_id, client_id, scopes, audience, auth_request_id, refresh_family_id, expires_at)
		SELECT $1, $2, $3, $4, $5, nullif($6, '')::uuid, $7, $8 FROM go_ahead
	), refresh AS (
		INSERT INTO oidc_refresh_tokens (id, token_hash, family_id, person_id, client_id, scopes, audience, amr, auth_time, expires_at)
		SELECT $9, $10, $7, $2, $3, $4, $5, $11, $12, $13 FROM go_ahead
		RETURNING 1
	)
	SELECT EXISTS (SELECT FROM refresh), person.* FROM person`
	storeCodeTokens    = lockAdmittedPerson + `go_ahead AS (SELECT FROM person), access AS (` + insertTokenPair
	storeRotatedTokens = lockAdmittedPerson + `go_ahead AS (
		UPDATE oidc_refresh_tokens SET rotated_at = now()
		WHERE id = $14 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
		  AND EXISTS (SELECT FROM person)
		RETURNING 1
	), access AS (` + insertTokenPair
)

// randomToken is 256 bits from the system's CSPRNG, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Storage) refreshTokenByValue(ctx context.Context, token string) (*RefreshToken, error) {
	sum := sha256.Sum256([]byte(token))
	var r RefreshToken
	err := s.pool.QueryRow(ctx, `
		SELECT t.id, t.family_id, t.person_id, t.client_id, t.scopes, t.audience, t.amr, t.auth_time, t.expires_at,
		       t.rotated_at IS NOT NULL, t.revoked_at IS NOT NULL OR p.status <> 'admitted'
		FROM oidc_refresh_tokens t JOIN people p ON p.id = t.person_id
		WHERE t.token_hash = $1`, sum[:]).Scan(&r.ID, &r.FamilyID, &r.PersonID, &r.ClientID, &r.Scopes,
		&r.Audience, &r.AMR, &r.AuthTime, &r.ExpiresAt, &r.rotated, &r.revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, op.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, fmt.Errorf("loading refresh token: %w", err)
	}
	return &r, nil
}

// TokenRequestByRefreshToken loads a refresh token for the refresh grant. A
// token already spent means it was copied: the whole family is revoked. A
// client no longer allowed offline_access gets no new refresh token, and
// the scopes carried forward are only those the client is still allowed.
func (s *Storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	r, err := s.refreshTokenByValue(ctx, token)
	if errors.Is(err, op.ErrInvalidRefreshToken) {
		return nil, err
	}
	if err != nil {
		return nil, internalError(err)
	}
	c, known := s.clients[r.ClientID]
	switch {
	case r.rotated:
		s.log.WarnContext(ctx, "spent refresh token presented again; revoking its family", "family", r.FamilyID, "client", r.ClientID)
		if err := s.revokeFamily(ctx, r.FamilyID); err != nil {
			return nil, internalError(err)
		}
		return nil, errRefreshSpent
	case r.revoked || !r.ExpiresAt.After(s.now()), !known, !c.IsScopeAllowed(oidc.ScopeOfflineAccess):
		return nil, op.ErrInvalidRefreshToken
	}
	r.Scopes = c.allowedScopes(r.Scopes)
	return r, nil
}

// GetRefreshTokenInfo identifies a refresh token for revocation: op then
// calls RevokeToken with the token's id and person.
func (s *Storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	r, err := s.refreshTokenByValue(ctx, token)
	if err != nil {
		return "", "", err
	}
	if r.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return r.PersonID, r.ID, nil
}

// RevokeToken revokes a token of clientID (RFC 7009). With userID op passes
// a token's id: a refresh token's (from GetRefreshTokenInfo), whose family
// and the access tokens issued from it end, or an access token's (opened
// from the bearer token), which alone ends. Without, the token's value:
// a refresh token, again with its family. Unknown tokens are not an error
// (RFC 7009 §2.2).
func (s *Storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	if userID != "" {
		return s.revokeByID(ctx, tokenOrID, clientID)
	}
	r, err := s.refreshTokenByValue(ctx, tokenOrID)
	if errors.Is(err, op.ErrInvalidRefreshToken) {
		return nil
	}
	if err != nil {
		return internalError(err)
	}
	if r.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was issued to another client")
	}
	if err := s.revokeFamily(ctx, r.FamilyID); err != nil {
		return internalError(err)
	}
	return nil
}

func (s *Storage) revokeByID(ctx context.Context, id, clientID string) *oidc.Error {
	if uuid.Validate(id) != nil {
		return nil
	}
	var family string
	err := s.pool.QueryRow(ctx, `SELECT family_id FROM oidc_refresh_tokens WHERE id = $1 AND client_id = $2`, id, clientID).Scan(&family)
	switch {
	case err == nil:
		err = s.revokeFamily(ctx, family)
	case errors.Is(err, pgx.ErrNoRows):
		_, err = s.pool.Exec(ctx, `DELETE FROM oidc_access_tokens WHERE id = $1 AND client_id = $2`, id, clientID)
	}
	if err != nil {
		return internalError(err)
	}
	return nil
}

// revokeFamily revokes every refresh token of a family and deletes the access
// tokens they issued.
func (s *Storage) revokeFamily(ctx context.Context, familyID string) error {
	return database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE oidc_refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, familyID); err != nil {
			return fmt.Errorf("revoking refresh tokens: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_access_tokens WHERE refresh_family_id = $1 OR auth_request_id = $1`, familyID); err != nil {
			return fmt.Errorf("revoking access tokens: %w", err)
		}
		return nil
	})
}

// revokeGrant revokes everything issued from one auth request's code.
func (s *Storage) revokeGrant(ctx context.Context, authRequestID string) error {
	return s.revokeFamily(ctx, authRequestID)
}

// RevokePerson ends every token of a person (membership ended, password
// reset), in the caller's transaction.
func RevokePerson(ctx context.Context, tx pgx.Tx, personID string) error {
	if _, err := tx.Exec(ctx, `UPDATE oidc_refresh_tokens SET revoked_at = now() WHERE person_id = $1 AND revoked_at IS NULL`, personID); err != nil {
		return fmt.Errorf("revoking refresh tokens: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM oidc_access_tokens WHERE person_id = $1`, personID); err != nil {
		return fmt.Errorf("revoking access tokens: %w", err)
	}
	// A code issued a moment ago must not be exchanged afterwards either.
	if _, err := tx.Exec(ctx, `UPDATE oidc_auth_requests SET expires_at = now() WHERE person_id = $1 AND expires_at > now()`, personID); err != nil {
		return fmt.Errorf("expiring auth requests: %w", err)
	}
	return nil
}
