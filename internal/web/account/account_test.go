package account_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

func TestAccountExport(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	ann := g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	g.AcceptAllPolicies(t, ann.ID)
	browser := apptest.Browser(t)
	resp, body := apptest.Get(t, browser, g.URL+"/login")
	resp, _ = apptest.Submit(t, browser, g.URL+"/login", body, "/login", url.Values{"email": {ann.Email}, "password": {ann.Password}})
	if loc, _ := resp.Location(); loc == nil || loc.Path != "/account" {
		t.Fatalf("login without a relying party went to %v", loc)
	}
	_, body = apptest.Get(t, browser, g.URL+"/account/export.json")
	var x struct {
		Profile struct {
			Sub, Email string
		} `json:"profile"`
		Acceptances []any `json:"policy_acceptances"`
		Sessions    []any `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(body), &x); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, body)
	}
	if x.Profile.Sub != ann.ID || x.Profile.Email != ann.Email || len(x.Acceptances) != 2 || len(x.Sessions) != 1 {
		t.Errorf("export = %+v", x)
	}
	if strings.Contains(body, "argon2id") || strings.Contains(body, ann.Password) {
		t.Error("export contains the password or its hash")
	}
}
