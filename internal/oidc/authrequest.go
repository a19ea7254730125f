package oidc

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// AuthRequest is one authorization request, from /authorize until its code is
// exchanged (or it expires).
type AuthRequest struct {
	issuedTo
	ID                  string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseType        oidc.ResponseType
	ResponseMode        oidc.ResponseMode
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *int32
	LoginHint           string
	HintSubject         string   // whom the id_token_hint named, if one came
	ACRValues           []string // the classes of login the relying party asked for, in its order
	PersonID            string
	AuthTime            time.Time
	AMR                 []string
	ACR                 string // the class of the login it got (ACRFor its AMR)
	IsDone              bool
	CodeIssued          bool // the callback has answered it with a code
	CreatedAt           time.Time
	ExpiresAt           time.Time
}

var _ op.AuthRequest = (*AuthRequest)(nil)

func (a *AuthRequest) GetID() string                      { return a.ID }
func (a *AuthRequest) GetACR() string                     { return a.ACR }
func (a *AuthRequest) GetAMR() []string                   { return a.AMR }
func (a *AuthRequest) GetAudience() []string              { return []string{a.ClientID} }
func (a *AuthRequest) GetAuthTime() time.Time             { return a.AuthTime }
func (a *AuthRequest) GetClientID() string                { return a.ClientID }
func (a *AuthRequest) GetNonce() string                   { return a.Nonce }
func (a *AuthRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *AuthRequest) GetResponseType() oidc.ResponseType { return a.ResponseType }
func (a *AuthRequest) GetResponseMode() oidc.ResponseMode { return a.ResponseMode }
func (a *AuthRequest) GetScopes() []string                { return a.Scopes }
func (a *AuthRequest) GetState() string                   { return a.State }
func (a *AuthRequest) GetSubject() string                 { return a.PersonID }
func (a *AuthRequest) Done() bool                         { return a.IsDone }

func (a *AuthRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeChallengeMethod)}
}

// AcceptsLogin reports whether the login of personID, who last entered
// their password at authTime, may answer the request without asking again.
// A login made while this request waited always may: that is the fresh
// login asked for. An older one may not when the relying party asked for a
// fresh login (prompt=login, or max_age since passed), nor when its
// id_token_hint names someone else (OpenID Connect Core 3.1.2.1).
func (a *AuthRequest) AcceptsLogin(personID string, authTime, now time.Time) bool {
	if !authTime.Before(a.CreatedAt.Truncate(time.Second)) { // the session keeps whole seconds
		return true
	}
	if slices.Contains(a.Prompt, oidc.PromptLogin) {
		return false
	}
	if a.MaxAge != nil && now.Sub(authTime) > time.Duration(*a.MaxAge)*time.Second {
		return false
	}
	return a.HintSubject == "" || a.HintSubject == personID
}

// WantsSecondFactor reports whether the relying party asked, by acr_values,
// for a login with a second factor. acr_values are voluntary (OpenID
// Connect Core §3.1.2.1), but a relying party that names the class of a
// second factor means it: such a login gets one, or an error.
func (a *AuthRequest) WantsSecondFactor() bool {
	return slices.Contains(a.ACRValues, ACRMultiFactor)
}

// The classes of login (acr) coopgate tells relying parties of, and that
// they may ask for with acr_values.
const (
	ACRPassword    = "pwd" // a password alone
	ACRMultiFactor = "mfa" // two factors: a password and a second factor, or a passkey
)

// ACRFor is the class of a login that proved itself by amr.
func ACRFor(amr []string) string {
	if slices.Contains(amr, "mfa") {
		return ACRMultiFactor
	}
	return ACRPassword
}

// PromptNone reports whether the relying party forbade any page (prompt=none).
func (a *AuthRequest) PromptNone() bool {
	return len(a.Prompt) == 1 && a.Prompt[0] == oidc.PromptNone
}

// ErrNotFound is returned for an unknown or expired auth request.
var ErrNotFound = errors.New("auth request not found or expired")

// authRequestTTL is long enough to sign up and verify an email address
// before the login a relying party started completes.
const authRequestTTL = time.Hour

// CreateAuthRequest stores a validated request from /authorize, with only
// the scopes its client is allowed, and the subject of its id_token_hint
// (hinted, which op found in a token it issued, expired or not).
func (s *Storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hinted string) (op.AuthRequest, error) {
	c, ok := s.clients[req.ClientID]
	if !ok {
		return nil, errUnknownClient()
	}
	if err := checkAuthRequest(req, c); err != nil {
		return nil, err
	}
	a := &AuthRequest{
		ID: uuid.NewString(), ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: c.allowedScopes(req.Scopes),
		State: req.State, Nonce: req.Nonce, ResponseType: req.ResponseType, ResponseMode: req.ResponseMode,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt: req.Prompt, LoginHint: req.LoginHint, HintSubject: hinted, CreatedAt: s.now(),
		ExpiresAt: s.now().Add(authRequestTTL), AMR: []string{}, ACRValues: req.ACRValues,
	}
	if a.ACRValues == nil {
		a.ACRValues = []string{}
	}
	if req.MaxAge != nil {
		m := int32(min(*req.MaxAge, 1<<31-1))
		a.MaxAge = &m
	}
	if a.Prompt == nil {
		a.Prompt = []string{}
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO oidc_auth_requests (id, client_id, redirect_uri, scopes, state, nonce, response_type,
		    response_mode, code_challenge, code_challenge_method, prompt, max_age, login_hint, hint_subject,
		    created_at, expires_at, acr_values)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		a.ID, a.ClientID, a.RedirectURI, a.Scopes, a.State, a.Nonce, a.ResponseType, a.ResponseMode,
		a.CodeChallenge, a.CodeChallengeMethod, a.Prompt, a.MaxAge, a.LoginHint, a.HintSubject, a.CreatedAt, a.ExpiresAt,
		a.ACRValues)
	if err != nil {
		return nil, internalError(fmt.Errorf("storing auth request: %w", err))
	}
	return a, nil
}

// checkAuthRequest refuses what op lets through and coopgate does not serve.
// Errors here are redirected to the client (its redirect URI is checked).
func checkAuthRequest(req *oidc.AuthRequest, c *Client) error {
	texts := slices.Concat([]string{req.State, req.Nonce, req.LoginHint, req.CodeChallenge, string(req.CodeChallengeMethod)},
		req.Prompt, req.ACRValues)
	if !validText(texts...) {
		return oidc.ErrInvalidRequest().WithDescription("parameters must be UTF-8 text without NUL characters")
	}
	// S256 or nothing, with a challenge or without: op checks the method only
	// beside a challenge, and it is stored with the request either way.
	if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 && (req.CodeChallenge != "" || req.CodeChallengeMethod != "") {
		return oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if c.AuthMethod() == oidc.AuthMethodNone && req.CodeChallenge == "" {
		// op would refuse at the token endpoint; refusing here spares the person a login.
		return oidc.ErrInvalidRequest().WithDescription("PKCE (code_challenge with S256) is required for public clients")
	}
	// The response goes in the query (or fragment) with RFC 9207's iss, which
	// op's form_post page would lack; discovery does not offer form_post.
	if req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery && req.ResponseMode != oidc.ResponseModeFragment {
		return oidc.ErrInvalidRequest().WithDescription("response_mode must be query or fragment")
	}
	return nil
}

const selectAuthRequest = "SELECT " + authRequestColumns + " FROM oidc_auth_requests "

func scanAuthRequest(row pgx.Row) (*AuthRequest, error) {
	var a AuthRequest
	err := row.Scan(&a.ID, &a.ClientID, &a.RedirectURI, &a.Scopes, &a.State, &a.Nonce, &a.ResponseType,
		&a.ResponseMode, &a.CodeChallenge, &a.CodeChallengeMethod, &a.Prompt, &a.MaxAge, &a.LoginHint,
		&a.HintSubject, &a.PersonID, &a.AuthTime, &a.AMR, &a.IsDone, &a.CodeIssued, &a.CreatedAt, &a.ExpiresAt,
		&a.ACRValues, &a.ACR)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("loading auth request: %w", err)
	}
	return &a, nil
}

// AuthRequestByID loads a live auth request.
func (s *Storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	a, err := s.AuthRequest(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, internalError(err)
	}
	return a, err
}

// AuthRequest is AuthRequestByID with coopgate's own type, for the login pages.
func (s *Storage) AuthRequest(ctx context.Context, id string) (*AuthRequest, error) {
	if uuid.Validate(id) != nil {
		return nil, ErrNotFound
	}
	return scanAuthRequest(s.pool.QueryRow(ctx, selectAuthRequest+
		"WHERE id = $1 AND expires_at > now() AND code_used_at IS NULL", id))
}

// CompleteAuthRequest records who logged in and how (amr, and the class of
// login it makes); the callback then issues a code.
func (s *Storage) CompleteAuthRequest(ctx context.Context, id, personID string, authTime time.Time, amr []string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE oidc_auth_requests SET person_id = $2, auth_time = $3, amr = $4, acr = $5, done = true
		WHERE id = $1 AND expires_at > now() AND code_hash IS NULL`, id, personID, authTime, amr, ACRFor(amr))
	if err != nil {
		return fmt.Errorf("completing auth request: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// SaveAuthCode stores the code's hash; the code itself is never stored.
func (s *Storage) SaveAuthCode(ctx context.Context, id, code string) error {
	sum := sha256.Sum256([]byte(code))
	tag, err := s.pool.Exec(ctx, `
		UPDATE oidc_auth_requests SET code_hash = $2, expires_at = least(expires_at, now() + $3::interval)
		WHERE id = $1 AND done AND code_hash IS NULL`, id, sum[:], s.codeTTL.String())
	if err != nil {
		return internalError(fmt.Errorf("saving code: %w", err))
	}
	if tag.RowsAffected() == 0 {
		// Answered already, by a callback loaded twice at once (the server's
		// guard shows a page to the later loads): the client's request, not
		// our failure.
		return oidc.ErrInvalidRequest().WithDescription("this login has already finished").WithParent(ErrNotFound)
	}
	return nil
}

// AuthRequestByCode looks a live, unspent code up; the statement storing
// its tokens spends it (storeTokens), so that of two exchanges of one code
// at once only one gets tokens. Presenting a code again revokes every token
// issued from it (RFC 6749 §4.1.2): the code leaked. coopgate's token
// endpoint (server.go) uses codeRequest and checks the client's proof first.
func (s *Storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	return s.codeRequest(ctx, code)
}

// codeRequest is the auth request of a live, unspent code, which stays
// unspent. For a spent code it revokes what the code issued and answers
// ErrNotFound, as for an unknown or expired one.
func (s *Storage) codeRequest(ctx context.Context, code string) (*AuthRequest, error) {
	sum := sha256.Sum256([]byte(code))
	a, err := scanAuthRequest(s.pool.QueryRow(ctx, selectAuthRequest+
		"WHERE code_hash = $1 AND code_used_at IS NULL AND expires_at > now()", sum[:]))
	if errors.Is(err, ErrNotFound) {
		if rerr := s.revokeReplayedCode(ctx, sum[:]); rerr != nil {
			return nil, internalError(rerr)
		}
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, internalError(err)
	}
	return a, nil
}

const authRequestColumns = `id, client_id, redirect_uri, scopes, state, nonce, response_type, response_mode,
	code_challenge, code_challenge_method, prompt, max_age, login_hint, hint_subject, coalesce(person_id::text, ''),
	coalesce(auth_time, 'epoch'), amr, done, code_hash IS NOT NULL, created_at, expires_at, acr_values, acr`

// revokeReplayedCode revokes what a spent code issued, when the code is
// presented again.
func (s *Storage) revokeReplayedCode(ctx context.Context, codeHash []byte) error {
	return s.revokeSpentCode(ctx, `SELECT id FROM oidc_auth_requests WHERE code_hash = $1 AND code_used_at IS NOT NULL`, codeHash)
}

// revokeIfSpent revokes what an auth request's code issued if the code was
// spent: found unspent a moment before, it was exchanged twice at once.
func (s *Storage) revokeIfSpent(ctx context.Context, authRequestID string) error {
	return s.revokeSpentCode(ctx, `SELECT id FROM oidc_auth_requests WHERE id = $1 AND code_used_at IS NOT NULL`, authRequestID)
}

func (s *Storage) revokeSpentCode(ctx context.Context, query string, arg any) error {
	var id string
	err := s.pool.QueryRow(ctx, query, arg).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking code replay: %w", err)
	}
	s.log.WarnContext(ctx, "authorization code presented twice; revoking its tokens", "auth_request", id)
	return s.revokeGrant(ctx, id)
}

// DeleteAuthRequest is called once tokens are issued. The row stays until it
// expires, so that a replayed code is recognised as such.
func (s *Storage) DeleteAuthRequest(context.Context, string) error { return nil }
