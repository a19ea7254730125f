package bench

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func validConfig() Config {
	return Config{Target: "peer", Duration: 3 * time.Second, Concurrency: 8, Users: 8, People: 1000,
		Algs: "RS256,ES256", Members: 300, Window: time.Minute}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want []string // substrings, all expected
	}{
		{"valid", func(*Config) {}, nil},
		{"loopback names", func(c *Config) { c.PeerURL = "http://localhost:4011"; c.CoopgateURL = "http://[::1]:8080" }, nil},
		{"off-machine target", func(c *Config) { c.PeerURL = "http://10.0.0.5:4011" }, []string{"-peer-url", "not on loopback"}},
		{"many at once", func(c *Config) { c.Target = "x"; c.Duration = 0; c.Users = 0 },
			[]string{"-target", "-duration", "-users"}},
		{"pid without url", func(c *Config) { c.ServerPID = 42 }, []string{"-server-pid"}},
		{"pid with one url", func(c *Config) { c.ServerPID = 42; c.PeerURL = "http://127.0.0.1:4011" }, nil},
		{"some scenarios", func(c *Config) { c.Scenarios = "userinfo, code" }, nil},
		{"an algorithm the servers do not offer", func(c *Config) { c.Algs = "RS256, HS256" }, []string{`-algs: "HS256"`}},
		{"EdDSA alone", func(c *Config) { c.Algs = "EdDSA" }, nil},
		{"more members than seeded people", func(c *Config) { c.Target = "both"; c.People = 100 },
			[]string{"-members: 300 is more than the 100 -people"}},
		{"no Monday window", func(c *Config) { c.Window = 0; c.Members = 5000 }, []string{"-window", "-members: 5000"}},
		{"unknown scenario and no people", func(c *Config) { c.Scenarios = "userinfo,logn"; c.People = 0 },
			[]string{`-scenarios: "logn"`, "-people"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.edit(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}
