package mastodon

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/downstream"
)

// refusingTransport turns every error answer (and redirect) into a *downstream.Error before
// go-mastodon sees it. go-mastodon v0.0.13 sleeps and retries a 429 itself,
// for up to an hour and ignoring the server's reset time, which would hold a
// job and hide the rate limit from the job runner; and its own error type
// drops the headers. Returning the error from the transport ends the call at
// once with the status and the wait Mastodon asked for.
type refusingTransport struct{ next http.RoundTripper }

func (t refusingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 300 {
		return resp, err
	}
	return nil, downstream.FromResponse(name, "", resp)
}

// withRefusals returns a copy of hc whose transport refuses error answers.
func withRefusals(hc *http.Client) *http.Client {
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out := *hc
	out.Transport = refusingTransport{next: next}
	return &out
}
