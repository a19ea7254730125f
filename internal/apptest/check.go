package apptest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// WantStatus stops the test when resp's status is not want.
func WantStatus(t testing.TB, what string, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d", what, resp.StatusCode, want)
	}
}

// WantContains reports each of wants missing from the page body.
func WantContains(t testing.TB, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: no %q in the page", what, w)
		}
	}
}

// WantLacks reports each of unwanted found in the page body.
func WantLacks(t testing.TB, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s: %q should not be in the page", what, w)
		}
	}
}

// Eventually waits up to 30s for check to pass, as jobs run in the
// background; check says what it saw, for the failure message.
func Eventually(t testing.TB, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var saw string
	for time.Now().Before(deadline) {
		var ok bool
		if ok, saw = check(); ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: gave up waiting; last saw %s", what, saw)
}
