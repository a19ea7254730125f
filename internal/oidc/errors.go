package oidc

import (
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// internalError is what a client is told when coopgate cannot do its part
// (the database is down, say): a server_error, which no relying party takes
// for its own mistake, with a description that gives nothing away. op
// otherwise turns an error into a server_error whose description is the
// error's text, database messages and all; it logs the parent at ERROR.
func internalError(err error) *oidc.Error {
	return oidc.ErrServerError().WithDescription("the request could not be completed; try again shortly").WithParent(err)
}

// errUnknownClient answers a client_id no relying party in the
// configuration has: the client's mistake, logged as such.
func errUnknownClient() *oidc.Error {
	return oidc.ErrInvalidClient().WithDescription("unknown client")
}

// validText reports whether s can be stored as PostgreSQL text: valid UTF-8
// without NUL. Anything else is the client's mistake (invalid_request), not
// a database error to be answered with server_error.
func validText(values ...string) bool {
	for _, s := range values {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// openAccessToken opens a bearer access token into its token id and
// subject, both UUIDs; ok is false for anything coopgate did not seal. The
// check matters: op's decrypter for tokens of its older format
// (unauthenticated AES) opens any input of the right length into bytes,
// which would otherwise reach PostgreSQL as text.
func openAccessToken(crypto op.Crypto, token string) (tokenID, subject string, ok bool) {
	plain, err := crypto.Decrypt(token)
	if err != nil {
		return "", "", false
	}
	tokenID, subject, ok = strings.Cut(plain, ":")
	return tokenID, subject, ok && uuid.Validate(tokenID) == nil && uuid.Validate(subject) == nil
}
