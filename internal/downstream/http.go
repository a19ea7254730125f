package downstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one call to a service when the caller brings no
// client of its own; a hung service must not hold a job forever.
const DefaultTimeout = 30 * time.Second

// UserAgent names coopgate in the services' logs.
const UserAgent = "coopgate"

// HTTPClient returns a copy of hc (a client with DefaultTimeout when hc is
// nil) that does not follow redirects. Go forwards custom headers such as
// Api-Key and PRIVATE-TOKEN to wherever a redirect points, so a redirect
// becomes an error that tells the sysadmin base_url is wrong.
func HTTPClient(hc *http.Client) *http.Client {
	out := http.Client{Timeout: DefaultTimeout}
	if hc != nil {
		out = *hc
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}

// ParseBaseURL checks a service's base URL (absolute http or https, no query
// or fragment) and drops a trailing slash, so paths can be joined onto it.
// The error names the problem, not the value, which may be long or odd.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return nil, fmt.Errorf("base_url is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("base_url must start with https:// (or http://)")
	case u.Host == "":
		return nil, fmt.Errorf("base_url has no host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("base_url must not have credentials, a query or a fragment")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// CallJSON sends body (if any) as JSON to u with the service's auth headers
// and decodes the answer into out (if any), classifying failures as *Error.
func CallJSON(ctx context.Context, hc *http.Client, service, op, method string, u *url.URL, auth http.Header, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: %s: %w", service, op, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(payload))
	if err != nil {
		return NetworkError(service, op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	for k, v := range auth {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return NetworkError(service, op, err)
	}
	return ReadJSON(service, op, resp, out)
}
