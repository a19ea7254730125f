package login_test

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/policies"
)

// TestTermsInterstitialBlocksTheLoginUntilAccepted: a member who has not
// accepted the current policies is stopped before any code is issued.
func TestTermsInterstitialBlocksTheLoginUntilAccepted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g, "openid", "profile", "coop")
	ann := g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted) // has accepted nothing
	browser := apptest.Browser(t)
	f := apptest.NewFlow()

	resp := apptest.LogIn(t, browser, g.URL, r.AuthURL(f), ann.Email, ann.Password)
	if resp.Request.URL.Path != "/terms" || resp.StatusCode != http.StatusOK {
		t.Fatalf("login ended at %s (%d); want the terms page", resp.Request.URL, resp.StatusCode)
	}
	page := resp.Request.URL.String()
	_, body := apptest.Get(t, browser, page)
	if n := g.Count(t, "SELECT count(*) FROM oidc_auth_requests WHERE code_hash IS NOT NULL"); n != 0 {
		t.Fatalf("%d codes issued before the terms were accepted", n)
	}

	// Ticking nothing is refused, with a message per policy.
	resp, body2 := apptest.Submit(t, browser, page, body, "/terms", nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body2, "Tick this box") {
		t.Fatalf("accepting nothing: %d", resp.StatusCode)
	}
	form, err := apptest.FindForm(body, "/terms")
	if err != nil {
		t.Fatal(err)
	}
	var accept []string
	for _, v := range checkboxValues(body) {
		accept = append(accept, v)
	}
	form.Values["accept"] = accept
	resp, body = apptest.Submit(t, browser, page, body, "/terms", form.Values)
	resp, _ = apptest.Follow(t, browser, g.URL, resp, body)
	loc, _ := resp.Location()
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("after accepting: %d %v; want a code at the relying party", resp.StatusCode, loc)
	}
	tok, err := r.OAuth.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt := r.VerifyIDToken(t, tok, f.Nonce)
	var claims struct {
		Terms map[string]string `json:"terms"`
	}
	_ = idt.Claims(&claims)
	if claims.Terms["free-speech"] == "" || claims.Terms["no-hate-speech"] == "" {
		t.Errorf("terms claim = %v; want both accepted versions", claims.Terms)
	}
	if n := g.Count(t, "SELECT count(*) FROM policy_acceptances WHERE person_id = $1", ann.ID); n != len(accept) {
		t.Errorf("%d acceptance records; want exactly %d", n, len(accept))
	}
}

func TestDecliningTermsIssuesNothing(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	browser := apptest.Browser(t)
	resp := apptest.LogIn(t, browser, g.URL, r.AuthURL(apptest.NewFlow()), ann.Email, ann.Password)
	page := resp.Request.URL.String()
	_, body := apptest.Get(t, browser, page)
	resp, body = apptest.Submit(t, browser, page, body, "/terms/decline", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "declined") {
		t.Fatalf("decline: %d", resp.StatusCode)
	}
	if n := g.Count(t, "SELECT count(*) FROM oidc_auth_requests WHERE done"); n != 0 {
		t.Errorf("%d auth requests completed after declining", n)
	}
	resp, _ = apptest.Get(t, browser, g.URL+"/account")
	if loc, _ := resp.Location(); loc == nil || loc.Path != "/login" {
		t.Errorf("still logged in after declining: %d %v", resp.StatusCode, loc)
	}
}

// TestNewPolicyVersionIsAcceptedBeforeTheNextLogin: a policy edited with a
// new version stops the next login at a page that shows what changed.
func TestNewPolicyVersionIsAcceptedBeforeTheNextLogin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyPolicies(t, dir)
	g := apptest.Start(t, func(c *config.Config) { c.Policies.Dir = dir })
	ann := g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	g.AcceptAllPolicies(t, ann.ID)

	bumpPolicy(t, filepath.Join(dir, "no-hate-speech.md"))
	g2 := g.Replica(t)
	r := apptest.NewRP(t, g2)
	browser := apptest.Browser(t)
	resp := apptest.LogIn(t, browser, g2.URL, r.AuthURL(apptest.NewFlow()), ann.Email, ann.Password)
	if resp.Request.URL.Path != "/terms" {
		t.Fatalf("login ended at %s; want /terms", resp.Request.URL)
	}
	_, body := apptest.Get(t, browser, resp.Request.URL.String())
	if !strings.Contains(body, "You accepted version 1") || !strings.Contains(body, "Reports are read within two days") {
		t.Errorf("terms page does not show what changed:\n%s", body)
	}
	if strings.Contains(body, `value="free-speech@`) {
		t.Error("an unchanged policy was asked again")
	}
}

// copyPolicies writes the built-in policies into dir, for a test to edit.
func copyPolicies(t *testing.T, dir string) {
	t.Helper()
	files, _ := fs.Glob(policies.FS, "*.md")
	for _, f := range files {
		b, err := fs.ReadFile(policies.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func bumpPolicy(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `version: "1"`, `version: "2"`, 1)
	if s == string(b) {
		t.Fatalf("%s has no version \"1\" line to bump", path)
	}
	s += "\nReports are read within two days.\n"
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkboxValues(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `name="accept" value="`)[1:] {
		out = append(out, part[:strings.IndexByte(part, '"')])
	}
	return out
}
