package oidc

import (
	"errors"
	"net/http"
	"strings"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// userinfo serves the UserInfo endpoint as a protected resource of RFC 6750:
// a missing token gets a bare Bearer challenge, a token that is malformed,
// revoked or expired a 401 with error="invalid_token" (op answers 403 with
// an empty body for the last two), and a storage failure a 500 server_error
// rather than anything a relying party would take for a bad token.
type userinfo struct {
	crypto  op.Crypto
	storage *Storage
}

func (u *userinfo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token, ok := bearerToken(r)
	if !ok {
		challenge(w, "")
		return
	}
	tokenID, subject, ok := openAccessToken(u.crypto, token)
	if !ok {
		challenge(w, "invalid_token")
		return
	}
	info := new(oidc.UserInfo)
	err := u.storage.SetUserinfoFromToken(r.Context(), info, tokenID, subject, "")
	if errors.Is(err, errTokenInactive) {
		challenge(w, "invalid_token")
		return
	}
	if err != nil {
		u.storage.log.ErrorContext(r.Context(), "userinfo", "err", err)
		httphelper.MarshalJSONWithStatus(w, internalError(err), http.StatusInternalServerError)
		return
	}
	httphelper.MarshalJSON(w, info)
}

// bearerToken is the access token of the Authorization header, or of the
// form body's access_token (RFC 6750 §2.2).
func bearerToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		return token, strings.EqualFold(scheme, oidc.BearerToken) && token != ""
	}
	if r.Method == http.MethodPost && r.ParseForm() == nil {
		token := r.PostForm.Get("access_token")
		return token, token != ""
	}
	return "", false
}

// challenge answers 401 with RFC 6750 §3's WWW-Authenticate.
func challenge(w http.ResponseWriter, code string) {
	value := "Bearer"
	if code != "" {
		value += ` error="` + code + `", error_description="The access token is invalid, expired or revoked"`
	}
	w.Header().Set("WWW-Authenticate", value)
	w.WriteHeader(http.StatusUnauthorized)
}
