package bench

import (
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/config"
)

// TestCoopgateConfigSetsTheClientsAlgorithm: the configuration the bench
// gives coopgate is valid, its client signs with the run's algorithm, and
// for RS256 it names none (a build from before the setting takes it).
func TestCoopgateConfigSetsTheClientsAlgorithm(t *testing.T) {
	for _, alg := range idTokenAlgorithms {
		yaml := coopgateConfig("http://127.0.0.1:8080", "127.0.0.1:9090", "postgres://127.0.0.1/coopgate", alg)
		cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if got := cfg.Clients[0].IDTokenSignedResponseAlg; got != alg {
			t.Errorf("client signs with %s; want %s", got, alg)
		}
		if named := strings.Contains(yaml, "id_token_signed_response_alg"); named == (alg == "RS256") {
			t.Errorf("%s: the configuration names the algorithm: %v", alg, named)
		}
	}
}
