package cli

import (
	"os"
	"strings"
	"testing"
)

// TestKeysRotateRotatesEachAlgorithmInUse: with a client on ES256 besides
// the RS256 default, `keys rotate` makes a key of each, audited.
func TestKeysRotateRotatesEachAlgorithmInUse(t *testing.T) {
	path, url := testConfig(t)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(`clients:
  - {id: forum, name: Forum, secret: forum-secret-0123456789, auth_method: client_secret_basic,
     redirect_uris: ['https://forum.example.coop/cb'], id_token_signed_response_alg: ES256}
`)
	if cerr := f.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	code, out, errOut := run(t, "keys", "rotate", "--config", path)
	if code != 0 || !strings.Contains(out, "new RS256 signing key") || !strings.Contains(out, "new ES256 signing key") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := countRows(t, url, `SELECT count(DISTINCT algorithm) FROM oidc_signing_keys WHERE published_until IS NULL`); n != 2 {
		t.Errorf("current keys of %d algorithms; want RS256 and ES256", n)
	}
	if n := countRows(t, url, `SELECT count(*) FROM audit_events WHERE action = 'signing_key.rotate' AND actor_label = 'cli'`); n != 2 {
		t.Errorf("%d rotation events; want one per key", n)
	}
}
