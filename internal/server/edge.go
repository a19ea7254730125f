package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/coopgate/coopgate/internal/web/page"
)

// Bounds on what a request may carry, in bytes. PostgreSQL refuses NUL and
// invalid UTF-8 in text (SQLSTATE 22021), and nothing coopgate stores or
// echoes needs more than these; refusing at the edge means no handler can
// forget to check, and no over-long state is echoed into a redirect.
const (
	maxParam     = 2 << 10  // a query parameter, an OAuth parameter, the path
	maxFormField = 8 << 10  // a page's form field: reasons and notes are up to 2000 characters
	maxToken     = 16 << 10 // the JWTs and tokens OAuth clients send back
	maxName      = 256      // a parameter's name
)

// longParams carry JWTs or tokens that legitimately exceed maxParam (an ID
// token with many groups, a client assertion).
var longParams = map[string]bool{
	"id_token_hint": true, "client_assertion": true, "request": true, "token": true, "refresh_token": true,
}

// oauthPaths answer a refusal as RFC 6749 §5.2 does, in JSON: their callers
// are relying parties' code, not people. /authorize is not one of them: a
// person's browser is there.
var oauthPaths = []string{"/oauth/token", "/oauth/introspect", "/revoke", "/userinfo", "/end_session"}

// authorizePath keeps its bad text for the provider, which answers the
// relying party by redirect with invalid_request when the client and its
// redirect URI check out (RFC 6749 §4.1.2.1), and a page otherwise. Its
// lengths are bounded here all the same, so that no over-long state is
// echoed into a Location.
const authorizePath = "/authorize"

func isOAuthPath(path string) bool {
	for _, p := range oauthPaths {
		if path == p {
			return true
		}
	}
	return false
}

// badText is a request refused at the edge; Error says what and where, never
// the value itself.
type badText struct {
	status int
	what   string
}

func (e *badText) Error() string { return e.what }

// validText refuses a request whose path, query or form (urlencoded, or the
// one multipart upload) holds text that is not valid UTF-8, holds NUL, or is
// over its bound. It parses the form once, so handlers read it from r.Form
// (and r.MultipartForm) as usual. The User-Agent, which
// acceptances record, is made valid rather than refused.
func validText(render *page.Renderer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequest(r); err != nil {
			refuse(w, r, render, err)
			return
		}
		if ua := r.Header.Get("User-Agent"); !cleanText(ua) {
			r.Header.Set("User-Agent", strings.ToValidUTF8(strings.ReplaceAll(ua, "\x00", ""), "\uFFFD"))
		}
		next.ServeHTTP(w, r)
	})
}

func checkRequest(r *http.Request) error {
	if len(r.URL.Path) > maxParam || !cleanText(r.URL.Path) {
		return &badText{http.StatusBadRequest, "the address (path) is too long or is not valid text"}
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return &badText{http.StatusBadRequest, "the address's query string could not be read"}
	}
	if err := checkValues(query, maxParam, r.URL.Path != authorizePath); err != nil {
		return err
	}
	switch formType(r) {
	case urlEncoded:
		return checkURLEncoded(r)
	case multipartForm:
		return checkMultipart(r)
	}
	return nil
}

// Kinds of form body that Go's Request reads into r.Form (ParseForm,
// ParseMultipartForm, FormValue, gorilla/csrf's token lookup).
const (
	urlEncoded    = "application/x-www-form-urlencoded"
	multipartForm = "multipart/form-data"
)

// formType is the kind of form r's body is read as. Go reads an urlencoded
// body only for POST, PUT and PATCH, but a multipart one whatever the method.
func formType(r *http.Request) string {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == multipartForm || r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		return ct
	}
	return ""
}

func checkURLEncoded(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err, "the form is too large")
	}
	limit := maxFormField
	if isOAuthPath(r.URL.Path) {
		limit = maxParam
	}
	return checkValues(r.PostForm, limit, r.URL.Path != authorizePath)
}

// uploadPaths are the forms that take a file (the member register's CSV and
// the federation decisions' import), and so the only places a multipart
// body is read. Anywhere else it is refused: nothing else needs it, and
// reading it would hand handlers text no one has checked.
var uploadPaths = map[string]bool{"/admin/register/import": true, "/moderation/federation/import": true}

// uploadMemory keeps a whole upload in memory: bodyLimit bounds it to 11 MiB.
const uploadMemory = 16 << 20

// checkMultipart reads an upload once, as the handler would, and checks
// every field and every file's name like urlencoded text; the file's bytes
// are the handler's to judge (register.Parse).
func checkMultipart(r *http.Request) error {
	if !uploadPaths[r.URL.Path] || r.Method != http.MethodPost {
		return &badText{http.StatusUnsupportedMediaType, "this address takes forms sent as " + urlEncoded + " only"}
	}
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		return formError(err, "the upload is larger than 10 MiB")
	}
	if err := checkValues(r.MultipartForm.Value, maxFormField, true); err != nil {
		return err
	}
	for field, files := range r.MultipartForm.File {
		if len(field) > maxName || !cleanText(field) {
			return &badText{http.StatusBadRequest, "a parameter's name is too long or is not valid text"}
		}
		for _, f := range files {
			if len(f.Filename) > maxParam || !cleanText(f.Filename) {
				return &badText{http.StatusBadRequest, "the file's name is too long or is not valid text; rename the file and try again"}
			}
		}
	}
	return nil
}

func formError(err error, tooLarge string) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &badText{http.StatusRequestEntityTooLarge, tooLarge}
	}
	return &badText{http.StatusBadRequest, "the form could not be read"}
}

// checkValues checks every name and value; limit bounds ordinary values.
// Without checkText it checks only lengths.
func checkValues(values url.Values, limit int, checkText bool) error {
	for name, vs := range values {
		if len(name) > maxName || (checkText && !cleanText(name)) {
			return &badText{http.StatusBadRequest, "a parameter's name is too long or is not valid text"}
		}
		bound := limit
		if longParams[name] {
			bound = maxToken
		}
		for _, v := range vs {
			switch {
			case len(v) > bound:
				return &badText{http.StatusBadRequest, fmt.Sprintf("%s is longer than %d bytes", quoted(name), bound)}
			case checkText && !cleanText(v):
				return &badText{http.StatusBadRequest, quoted(name) + " holds characters that are not valid text (invalid UTF-8 or NUL)"}
			}
		}
	}
	return nil
}

// cleanText is valid UTF-8 without NUL: what a PostgreSQL text column takes.
func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// quoted names a parameter in a message; its name passed cleanText and the
// length bound, but may still be unprintable, so only plain names are shown.
func quoted(name string) string {
	if len(name) > 40 {
		return "a parameter"
	}
	for _, c := range name {
		if c < ' ' || c > '~' {
			return "a parameter"
		}
	}
	return "parameter " + name
}

// refuse answers an OAuth endpoint's caller with RFC 6749's JSON error, and a
// person with an error page.
func refuse(w http.ResponseWriter, r *http.Request, render *page.Renderer, err error) {
	var bt *badText
	if !errors.As(err, &bt) {
		bt = &badText{http.StatusBadRequest, "the request could not be read"}
	}
	if isOAuthPath(r.URL.Path) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(bt.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": bt.what})
		return
	}
	render.Fail(w, r, &page.Error{Status: bt.status, Err: err,
		Message: "We couldn't accept this request: " + bt.what + ". Go back, check what you typed and try again."})
}
