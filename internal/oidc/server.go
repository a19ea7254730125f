package oidc

import (
	"context"
	"errors"
	"net/http"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// server is op's Server (its LegacyServer on our Storage) with the answers
// coopgate needs where op's own differ:
//   - the client is authenticated before its code is spent (op's Server
//     calls VerifyClient first; its older Provider handler spent the code
//     before checking the secret), and the code is spent only once the PKCE
//     verifier, client and redirect URI match, by the statement that stores
//     its tokens;
//   - a storage failure reaches the client as server_error, never as
//     invalid_grant (a relying party throws its refresh token away at that)
//     nor as an inactive token;
//   - PKCE is checked whenever the code carries a challenge, whether or not
//     a confidential client sends a verifier;
//   - a refused client authentication answers 401 (RFC 6749 §5.2);
//   - an id_token_hint that is no ID token of ours is invalid_request.
type server struct {
	*op.LegacyServer
	provider *op.Provider
	storage  *Storage
}

func newServer(p *op.Provider, storage *Storage) *server {
	endpoints := p.Endpoints()
	endpoints.DeviceAuthorization = nil // not offered
	endpoints.CheckSessionIframe = nil
	endpoints.Userinfo = nil // served by userinfo.go, for RFC 6750's WWW-Authenticate
	return &server{LegacyServer: op.NewLegacyServer(p, endpoints), provider: p, storage: storage}
}

// Authorize refuses an id_token_hint that is not an ID token this provider
// issued (a bad signature, another issuer, not a JWT): that is a bad
// parameter, invalid_request (RFC 6749 §4.1.2.1), which op would answer
// with login_required as if the person were merely logged out. An expired
// one still names its person, as op and OpenID Connect allow. The hint's
// subject goes with the request (CreateAuthRequest) for the login pages.
func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	if hint := r.Data.IDTokenHint; hint != "" {
		_, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, hint, s.provider.IDTokenHintVerifier(ctx))
		if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) {
			return nil, oidc.ErrInvalidRequest().WithDescription("id_token_hint is not an ID token this provider issued")
		}
	}
	return s.LegacyServer.Authorize(ctx, r)
}

// VerifyClient authenticates the client of a token or revocation request.
func (s *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	c, err := s.LegacyServer.VerifyClient(ctx, r)
	return c, unauthorized(err)
}

// unauthorized gives a refused client authentication its status, 401.
func unauthorized(err error) error {
	var e *oidc.Error
	if errors.As(err, &e) && e.ErrorType == oidc.InvalidClient {
		return op.NewStatusError(e, http.StatusUnauthorized)
	}
	return err
}

// CodeExchange spends a code of an authenticated client, once the request
// shows it is the client's: its PKCE verifier (all a public client has to
// show), its client id and redirect URI. A request that fails these leaves
// the code to its owner.
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	authReq, err := s.storage.codeRequest(ctx, r.Data.Code)
	if errors.Is(err, ErrNotFound) {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid code")
	}
	if err != nil {
		return nil, err
	}
	if err := op.AuthorizeCodeChallenge(r.Data.CodeVerifier, authReq.GetCodeChallenge()); err != nil {
		return nil, err
	}
	if r.Client.GetID() != authReq.GetClientID() {
		return nil, oidc.ErrInvalidGrant().WithDescription("code was issued to another client")
	}
	if r.Data.RedirectURI != authReq.GetRedirectURI() {
		return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not correspond")
	}
	// Storing the tokens spends the code (storeTokens): a code exchanged
	// twice at once gets tokens once.
	resp, err := op.CreateTokenResponse(ctx, authReq, r.Client, s.issuing(r.Client), true, r.Data.Code, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// RefreshToken rotates a refresh token of an authenticated client.
func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	req, err := s.storage.TokenRequestByRefreshToken(ctx, r.Data.RefreshToken)
	if err != nil {
		return nil, refreshError(err)
	}
	if r.Client.GetID() != req.GetClientID() {
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token was issued to another client")
	}
	if err := op.ValidateRefreshTokenScopes(r.Data.Scopes, req); err != nil {
		return nil, err
	}
	resp, err := op.CreateTokenResponse(ctx, req, r.Client, s.issuing(r.Client), true, "", r.Data.RefreshToken)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// issuing is what op issues a client's tokens with: the provider's crypto
// and a storage whose signing key is of the client's ID token algorithm.
func (s *server) issuing(c op.Client) op.TokenCreator {
	alg := jose.RS256
	if client, ok := c.(*Client); ok {
		alg = client.IDTokenAlgorithm()
	}
	return tokenCreator{crypto: s.provider.Crypto(), storage: clientSigning{Storage: s.storage, alg: alg}}
}

type tokenCreator struct {
	crypto  op.Crypto
	storage op.Storage
}

func (t tokenCreator) Storage() op.Storage { return t.storage }
func (t tokenCreator) Crypto() op.Crypto   { return t.crypto }

// clientSigning is the storage as one client's tokens are issued from: its
// ID tokens are signed with the key of the client's algorithm. Everything
// else is the Storage's own.
type clientSigning struct {
	*Storage
	alg jose.SignatureAlgorithm
}

func (c clientSigning) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return c.signingKey(ctx, c.alg)
}

// refreshError is invalid_grant for a token that is not (or no longer)
// good, and the storage's own error otherwise.
func refreshError(err error) error {
	switch {
	case errors.Is(err, op.ErrInvalidRefreshToken):
		return oidc.ErrInvalidGrant().WithDescription("invalid refresh token")
	case errors.Is(err, errRefreshSpent):
		return oidc.ErrInvalidGrant().WithDescription("refresh token already used")
	}
	return err
}

// Introspect answers RFC 7662 introspection to an authenticated client.
// A token that is unknown, expired, revoked or another client's is
// inactive; a storage failure is a server error, not an inactive token.
func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	cc := r.Data.ClientCredentials
	if err := op.AuthorizeClientIDSecret(ctx, cc.ClientID, cc.ClientSecret, s.storage); err != nil {
		return nil, unauthorized(err)
	}
	resp := new(oidc.IntrospectionResponse)
	tokenID, subject, ok := openAccessToken(s.provider.Crypto(), r.Data.Token)
	if !ok {
		return op.NewResponse(resp), nil
	}
	err := s.storage.SetIntrospectionFromToken(ctx, resp, tokenID, subject, cc.ClientID)
	if errors.Is(err, errTokenInactive) {
		return op.NewResponse(new(oidc.IntrospectionResponse)), nil
	}
	if err != nil {
		return nil, err
	}
	resp.Active = true
	return op.NewResponse(resp), nil
}
