package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

// reply is an answer from one of the provider's endpoints, read off the wire.
type reply struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func (r reply) errorCode() string { s, _ := r.json["error"].(string); return s }

// call sends a request to the gateway with the client's credentials in Basic
// auth (when id is set) and reads the answer, not following redirects.
func call(t testing.TB, method, u string, form url.Values, id, secret string) reply {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		u += "?" + form.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) reply {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	_ = json.Unmarshal(b, &r.json)
	return r
}

// userinfo calls userinfo with a Bearer token.
func userinfo(t testing.TB, g *apptest.Gateway, token string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.URL+"/userinfo", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}
