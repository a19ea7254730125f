package oidc

import (
	"context"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Logout is a validated RP-initiated logout request (OpenID Connect
// RP-Initiated Logout 1.0).
type Logout struct {
	// Params are what a confirmation page carries forward to its form: the
	// client (named, or from the ID token), post_logout_redirect_uri and
	// state. Not the ID token, which would put the person's claims in a page.
	Params url.Values
	// Client is the relying party that asked, if known.
	Client *Client
	// RedirectURI is where the browser goes afterwards: a
	// post_logout_redirect_uri on the client's allow-list (state added), or
	// coopgate's own logged-out page.
	RedirectURI string
	hintFor     string // the subject of a valid, unexpired id_token_hint
}

// ParseLogout validates an end_session request as op validates it: a
// post_logout_redirect_uri only on the allow-list of the client named by
// client_id or the id_token_hint (signed by coopgate, expired or not, as
// Discourse sends it) or, with neither, of the one client whose list holds
// it (Mastodon and GitLab send only the URI).
func (p *Provider) ParseLogout(ctx context.Context, form url.Values) (*Logout, error) {
	req := &oidc.EndSessionRequest{IdTokenHint: form.Get("id_token_hint"), ClientID: form.Get("client_id"),
		PostLogoutRedirectURI: form.Get("post_logout_redirect_uri"), State: form.Get("state")}
	if req.ClientID == "" && req.IdTokenHint == "" && req.PostLogoutRedirectURI != "" {
		req.ClientID = p.clientForLogoutRedirect(req.PostLogoutRedirectURI)
	}
	ctx = op.ContextWithIssuer(ctx, p.issuer)
	session, err := op.ValidateEndSessionRequest(ctx, req, p.Provider)
	if err != nil {
		return nil, err
	}
	l := &Logout{Params: url.Values{}, RedirectURI: session.RedirectURI, Client: p.storage.clients[session.ClientID]}
	for k, v := range map[string]string{"client_id": session.ClientID, "post_logout_redirect_uri": req.PostLogoutRedirectURI, "state": req.State} {
		if v != "" {
			l.Params.Set(k, v)
		}
	}
	if req.IdTokenHint != "" {
		if claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, req.IdTokenHint, p.IDTokenHintVerifier(ctx)); err == nil {
			l.hintFor = claims.Subject
		}
	}
	return l, nil
}

// NeedsConfirmation reports whether ending personID's session must be
// confirmed by them first: unless the request carries a valid, unexpired ID
// token of theirs, a link on any site could log them out (OpenID Connect
// RP-Initiated Logout §2). Someone else's token, or an expired one, is no
// evidence that the person asked.
func (l *Logout) NeedsConfirmation(personID string) bool {
	return personID != "" && l.hintFor != personID
}

// clientForLogoutRedirect is the client whose allow-list holds uri exactly,
// if exactly one does.
func (p *Provider) clientForLogoutRedirect(uri string) string {
	var found string
	for id, c := range p.storage.clients {
		if slices.Contains(c.PostLogoutRedirectURIs(), uri) {
			if found != "" {
				return ""
			}
			found = id
		}
	}
	return found
}
