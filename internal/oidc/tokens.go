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
	ACR       string
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
	acr                string
	authTime           time.Time
	authRequestID      string // set for the code grant
	familyID           string // set for the refresh grant
	refreshID          string // the refresh token being rotated
}

func grantOf(req op.TokenRequest) (grant, error) {
	switch r := req.(type) {
	case *AuthRequest:
		return grant{personID: r.PersonID, clientID: r.ClientID, scopes: r.Scopes, audience: r.GetAudience(),
			amr: r.AMR, acr: r.ACR, authTime: r.AuthTime, authRequestID: r.ID}, nil
	case *RefreshToken:
		return grant{personID: r.PersonID, clientID: r.ClientID, scopes: r.Scopes, audience: r.Audience,
			amr: r.AMR, acr: r.ACR, authTime: r.AuthTime, familyID: r.FamilyID, refreshID: r.ID}, nil
	}
	return grant{}, oidc.ErrUnsupportedGrantType()
}

// CreateAccessToken issues an access token alone (a code grant without
// offline_access) and returns its id, which op seals into the opaque bearer
// token. It spends the code in the same statement.
func (s *Storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	g, err := grantOf(req)
	if err != nil {
		return "", time.Time{}, err
	}
	t, err := s.storeTokens(ctx, g, false)
	if err != nil {
		return "", time.Time{}, s.refusal(ctx, g, err)
	}
	s.issued(req, g, t)
	return t.accessID, t.expires, nil
}

// CreateAccessAndRefreshTokens issues an access token and a new refresh
// token, spending in the same statement what the grant presented: the code,
// or the refresh token being rotated. Of two concurrent grants with one
// code or token, one wins; the other revokes what it issued.
func (s *Storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, _ string) (string, string, time.Time, error) {
	g, err := grantOf(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if g.familyID == "" {
		g.familyID = g.authRequestID // a family starts at the code exchange
	}
	t, err := s.storeTokens(ctx, g, true)
	if err != nil {
		return "", "", time.Time{}, s.refusal(ctx, g, err)
	}
	s.issued(req, g, t)
	return t.accessID, t.refresh, t.expires, nil
}

// issued counts the tokens and hands the person's claims, as the statement
// read them, to the request for its ID token.
func (s *Storage) issued(req op.TokenRequest, g grant, t issuedTokens) {
	if c, ok := req.(claimsCarrier); ok {
		c.carryClaims(t.claims)
	}
	if s.metrics == nil {
		return
	}
	if g.refreshID != "" {
		s.metrics.TokenIssued("refresh_token")
	} else {
		s.metrics.TokenIssued("authorization_code")
	}
}

// refusal is what the client is told when storeTokens stored nothing. A
// code or refresh token spent already was presented twice: what it issued
// is revoked (RFC 6749 §4.1.2, and refresh token rotation).
func (s *Storage) refusal(ctx context.Context, g grant, err error) error {
	switch {
	case errors.Is(err, errNotAdmitted):
		return oidc.ErrInvalidGrant().WithDescription("the person's membership has ended")
	case errors.Is(err, errSpent) && g.refreshID != "":
		_ = s.revokeFamily(ctx, g.familyID)
		return oidc.ErrInvalidGrant().WithDescription("refresh token already used")
	case errors.Is(err, errSpent):
		if rerr := s.revokeIfSpent(ctx, g.authRequestID); rerr != nil {
			return internalError(rerr)
		}
		return oidc.ErrInvalidGrant().WithDescription("invalid code")
	}
	return internalError(err)
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

var (
	// errNotAdmitted: tokens would go to a person who is no longer admitted
	// (their membership ended while the request was on its way).
	errNotAdmitted = errors.New("person not admitted")
	// errSpent: the code or refresh token was spent (or expired) between
	// being looked up and its tokens being stored.
	errSpent = errors.New("code or refresh token already used")
	// errRefreshSpent: a refresh token presented after its rotation.
	errRefreshSpent = errors.New("refresh token already used")
)

// issuedTokens are what storeTokens stored, and who they were issued to.
type issuedTokens struct {
	accessID, refresh string // refresh is empty when none was issued
	expires           time.Time
	claims            *people.Person
}

// storeTokens spends what the grant presents (the code, or the refresh
// token being rotated) and stores the new access token, and a refresh token
// if withRefresh, in one statement: one round trip to the database, and as
// atomic as a transaction. It returns the person's claims as the statement
// read them. Should the code or token be spent already (a concurrent grant
// won the row lock), nothing is stored and errSpent is returned; should the
// person no longer be admitted, errNotAdmitted.
func (s *Storage) storeTokens(ctx context.Context, g grant, withRefresh bool) (issuedTokens, error) {
	t := issuedTokens{accessID: uuid.NewString(), expires: s.now().Add(s.accessTTL), claims: &people.Person{ID: g.personID}}
	args := []any{t.accessID, g.personID, g.clientID, g.scopes, g.audience, g.authRequestID, g.familyID, t.expires,
		nonNil(g.amr), g.acr}
	sql := storeCodeAccess
	if withRefresh {
		t.refresh = randomToken()
		sum := sha256.Sum256([]byte(t.refresh))
		args = append(args, uuid.NewString(), sum[:], g.authTime, s.now().Add(s.refreshTTL))
		sql = storeCodeTokens
	}
	if g.refreshID != "" {
		sql, args = storeRotatedTokens, append(args, g.refreshID)
	}
	var spent bool
	err := s.pool.QueryRow(ctx, sql, args...).Scan(append([]any{&spent}, claimsDest(t.claims)...)...)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // the person CTE found nobody admitted
		return issuedTokens{}, errNotAdmitted
	case err != nil:
		return issuedTokens{}, fmt.Errorf("storing tokens: %w", err)
	case !spent:
		return issuedTokens{}, errSpent
	}
	return t, nil
}

// The statements of storeTokens, one per grant, each with a plan of its
// own: $1–$8 the access token, $9 and $10 how the login was made (amr and
// acr, which both tokens carry), $11–$14 the refresh token (its family is
// the access token's), $15 the refresh token being rotated. Each
//   - locks the person (FOR KEY SHARE, as the foreign keys of the inserts
//     would) and reads their claims, only while admitted: no row at all
//     means the person is not;
//   - then spends the code or the refresh token (go_ahead), only if the
//     person was found;
//   - then stores the new tokens, only if that spend succeeded;
//   - and answers whether it spent, with the claims.
//
// Whoever touches a person's tokens takes the person's lock first: ending a
// membership locks the person FOR UPDATE and then revokes their refresh
// tokens and expires their auth requests, so a grant that locked its code
// or refresh token row first and the person second could deadlock with it.
// The person's lock is an InitPlan of the UPDATE, taken before the UPDATE's
// scan reaches the code's or the token's row.
const (
	lockedPerson = `person AS (
		SELECT ` + claimsColumns + ` FROM people p LEFT JOIN register_entries r ON r.id = p.register_entry_id
		WHERE p.id = $2 AND p.status = 'admitted' FOR KEY SHARE OF p
	)`
	spentCode = `go_ahead AS (
		UPDATE oidc_auth_requests SET code_used_at = now()
		WHERE id = nullif($6, '')::uuid AND code_used_at IS NULL AND expires_at > now() AND EXISTS (SELECT FROM person)
		RETURNING 1
	)`
	rotatedRefreshToken = `go_ahead AS (
		UPDATE oidc_refresh_tokens SET rotated_at = now()
		WHERE id = $15 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
		  AND EXISTS (SELECT FROM person)
		RETURNING 1
	)`
	newAccessToken = `access AS (
		INSERT INTO oidc_access_tokens (id, person_id, client_id, scopes, audience, auth_request_id, refresh_family_id, expires_at, amr, acr)
		SELECT $1, $2, $3, $4, $5, nullif($6, '')::uuid, nullif($7, '')::uuid, $8, $9, $10 FROM go_ahead
	)`
	newRefreshToken = `refresh AS (
		INSERT INTO oidc_refresh_tokens (id, token_hash, family_id, person_id, client_id, scopes, audience, amr, acr, auth_time, expires_at)
		SELECT $11, $12, nullif($7, '')::uuid, $2, $3, $4, $5, $9, $10, $13, $14 FROM go_ahead
	)`
	spentAndClaims = `
	SELECT EXISTS (SELECT FROM go_ahead), person.* FROM person`

	storeCodeAccess    = "WITH " + lockedPerson + ", " + spentCode + ", " + newAccessToken + spentAndClaims
	storeCodeTokens    = "WITH " + lockedPerson + ", " + spentCode + ", " + newAccessToken + ", " + newRefreshToken + spentAndClaims
	storeRotatedTokens = "WITH " + lockedPerson + ", " + rotatedRefreshToken + ", " + newAccessToken + ", " + newRefreshToken + spentAndClaims
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
		SELECT t.id, t.family_id, t.person_id, t.client_id, t.scopes, t.audience, t.amr, t.acr, t.auth_time, t.expires_at,
		       t.rotated_at IS NOT NULL, t.revoked_at IS NOT NULL OR p.status <> 'admitted'
		FROM oidc_refresh_tokens t JOIN people p ON p.id = t.person_id
		WHERE t.token_hash = $1`, sum[:]).Scan(&r.ID, &r.FamilyID, &r.PersonID, &r.ClientID, &r.Scopes,
		&r.Audience, &r.AMR, &r.ACR, &r.AuthTime, &r.ExpiresAt, &r.rotated, &r.revoked)
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
