package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/downstream/discourse/discoursetest"
	"github.com/coopgate/coopgate/internal/downstream/gitlab/gitlabtest"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
)

// TestDownstreamCheck: the check asks each service about the settings
// that decide whether it takes coopgate's calls, says exactly what to
// change, fails while something must change, and passes once it is.
func TestDownstreamCheck(t *testing.T) {
	masto := mastodontest.NewServer(t, "masto-token")
	forum := discoursetest.NewServer(t, "forum-key", "system")
	git := gitlabtest.NewServer(t, "glpat-test")
	path := filepath.Join(t.TempDir(), "coopgate.yaml")
	yaml := `issuer: http://127.0.0.1:9
database_url: postgres://nowhere.invalid/coopgate
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: test-cookie-secret-0123456789abcdef
coop: {name: Test Co-op}
smtp: {from: id@example.coop, console: true}
downstream:
  mastodon: {enabled: true, base_url: '` + masto.URL + `', token: masto-token}
  discourse: {enabled: true, base_url: '` + forum.URL + `', api_key: forum-key, api_username: system}
  gitlab: {enabled: true, base_url: '` + git.URL + `', token: glpat-test}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	masto.SetTokenScopes("admin:read:accounts")
	git.SetAdminMode(true)

	code, out, errOut := run(t, "downstream", "check", "--config", path)
	for _, want := range []string{
		"CHANGE token: admin:write:accounts = refused: This action is outside the authorized scopes: give coopgate's application the scopes",
		"ok     token: admin:read:accounts",
		"look   role rank",
		"CHANGE token: admin:read:domain_blocks, role with Manage Federation = refused: This action is outside the authorized scopes: give coopgate's application the scopes admin:read:domain_blocks and admin:write:domain_blocks",
		"CHANGE token: admin:write:domain_blocks = refused",
		"CHANGE min_username_length = 3", "CHANGE max_username_length = 20: set the Discourse site settings min_username_length to 1 and max_username_length to 30",
		"CHANGE hide_suspension_reasons = false: turn it on",
		"look   max_new_accounts_per_registration_ip = 3: fine only if coopgate's address is allowed under Admin → Logs → Screened IPs",
		"ok     allow_new_registrations = true",
		"ok     token user is an administrator",
		"CHANGE administrator access (Admin Mode) = refused: GitLab has Admin Mode on",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check said:\n%s\nwant %q", out, want)
		}
	}
	if code != 1 || !strings.Contains(errOut, "7 setting(s) to change") {
		t.Errorf("exit %d, %q; want 1 and the count while something must change", code, errOut)
	}

	masto.SetTokenScopes("admin:read:accounts", "admin:write:accounts", "admin:read:domain_blocks", "admin:write:domain_blocks")
	forum.SetMinUsernameLength(1)
	forum.SetMaxUsernameLength(30)
	forum.SetHideSuspensionReasons(true)
	git.SetTokenScopes("api", "admin_mode")
	if code, out, _ := run(t, "downstream", "check", "--config", path); code != 0 || !strings.Contains(out, "nothing to change") {
		t.Errorf("after the changes: exit %d\n%s", code, out)
	}
	if forum.Users() != 0 || git.Users() != 0 || masto.Accounts() != 0 {
		t.Error("the check changed something")
	}
}
