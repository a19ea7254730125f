// Package seed fills a throwaway database for the benchmark:
// `coopgate-bench seed`, which internal/bench runs (pinned like the server)
// after `coopgate migrate` and before `coopgate serve`. It is the one part
// of cmd/coopgate-bench that links coopgate's own packages, and it runs
// before any clock: the load in internal/bench sees coopgate only through
// HTTP. It also times coopgate's password check on the server's CPU for the
// report.
//
// Like a test fixture, it copies rows straight into other packages' tables
// (people, policy acceptances, OIDC tokens): that is what makes 100 000
// people and a million tokens take seconds. It refuses any database that
// holds a person of its own, so it cannot pollute a real one, and it is not
// in the shipped coopgate binary.
package seed

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/app"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/policy"
)

// Bench people are benchN@bench.test (N from 0), username benchN, all with
// benchPassword. internal/bench signs in as them.
const (
	benchDomain   = "@bench.test"
	benchPassword = "bench-password-0123456789"
	benchClientID = "bench"
)

// ErrUsage is a command line that cannot be run; the message says why.
var ErrUsage = errors.New("usage")

type env struct {
	ctx            context.Context
	stdout, stderr io.Writer
}

// Run seeds the database that --config names: admitted people who accepted
// every policy, and optionally a mass of live tokens, so the benchmark can
// show whether the cost per request grows with the tables.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coopgate-bench seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "coopgate.yaml", "the configuration of the coopgate to seed")
	n := fs.Int("people", 1000, "admitted people benchN@bench.test to create")
	tokens := fs.Int("tokens", 0, "live tokens to store besides (half access, half refresh tokens), spread over the people")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 10_000_000 || *tokens < 0 || *tokens > 100_000_000 || fs.NArg() > 0 {
		return fmt.Errorf("%w: --people within [1, 10M], --tokens within [0, 100M], no other arguments", ErrUsage)
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	pool, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	e := env{ctx: ctx, stdout: stdout, stderr: stderr}
	if err := fill(e, pool, cfg, *n, *tokens); err != nil {
		return err
	}
	return timePasswordCheck(e)
}

func fill(e env, pool *pgxpool.Pool, cfg *config.Config, n, tokens int) error {
	if err := refuseRealPeople(e.ctx, pool); err != nil {
		return err
	}
	// The server syncs policies at start; doing it here too lets the
	// acceptances be written before the server first runs.
	loaded, err := policy.Load(app.PolicyFS(cfg))
	if err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	if err := policy.Sync(e.ctx, pool, loaded); err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	start := time.Now()
	ids, err := seedPeople(e.ctx, pool, n)
	if err != nil {
		return err
	}
	if err := seedTokens(e.ctx, pool, ids, tokens); err != nil {
		return err
	}
	seeded := []string{"people", "policy_versions", "policy_acceptances"}
	if tokens > 1 {
		seeded = append(seeded, "oidc_access_tokens", "oidc_refresh_tokens")
	}
	if err := settle(e, pool, seeded); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "seeded %d people and %d tokens in %v\n", n, tokens, time.Since(start).Round(time.Millisecond))
	return nil
}

// Password checks timePasswordCheck makes: a few first to warm the heap
// (the first 64 MiB blocks come fresh from the kernel), then the timed ones.
const (
	warmChecks  = 2
	timedChecks = 16
)

// timePasswordCheck reports what one password check costs here, for the
// benchmark's bound on logins per second (CPUs ÷ this time). It gives the
// median wall time and the mean CPU time: other work on the machine
// stretches the one and hardly moves the other.
func timePasswordCheck(e env) error {
	hash, err := password.Hash(e.ctx, benchPassword)
	if err != nil {
		return err
	}
	check := func() error {
		if ok, err := password.Check(e.ctx, benchPassword, hash); err != nil || !ok {
			return fmt.Errorf("password check: ok %v, %w", ok, err)
		}
		return nil
	}
	for range warmChecks {
		if err := check(); err != nil {
			return err
		}
	}
	walls := make([]time.Duration, timedChecks)
	cpu0 := processCPU()
	for i := range walls {
		start := time.Now()
		if err := check(); err != nil {
			return err
		}
		walls[i] = time.Since(start)
	}
	cpu := (processCPU() - cpu0) / timedChecks
	slices.Sort(walls)
	fmt.Fprintf(e.stdout, "bench-note: argon2id password check (internal/password): %.1f ms wall (median), %.1f ms CPU (mean) each, of %d after %d untimed; GOMAXPROCS=%d\n",
		ms(walls[timedChecks/2]), ms(cpu), timedChecks, warmChecks, runtime.GOMAXPROCS(0))
	return nil
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// settle does now the upkeep a bulk load leaves for later (vacuum, fresh
// statistics, writing dirty pages out), which would otherwise run during the
// measurement and be counted as the cost of its requests.
//
// Only the tables it filled: a table analyzed while empty is taken for
// empty, and the plans the server's connections cache for their statements
// then scan it from end to end however far it grows, until autovacuum
// analyzes it again (a minute or more later). A table never analyzed is
// estimated from its size instead, as a live server's tables are, with
// statistics of what they hold.
func settle(e env, pool *pgxpool.Pool, tables []string) error {
	if _, err := pool.Exec(e.ctx, "VACUUM (ANALYZE) "+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	if _, err := pool.Exec(e.ctx, "CHECKPOINT"); err != nil { // needs a superuser: a private cluster's
		fmt.Fprintf(e.stderr, "seed: checkpoint skipped: %v\n", err)
	}
	return nil
}

func refuseRealPeople(ctx context.Context, pool *pgxpool.Pool) error {
	var others, bench int
	err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE email NOT LIKE '%'||$1), count(*) FILTER (WHERE email LIKE '%'||$1)
		FROM people`, benchDomain).Scan(&others, &bench)
	switch {
	case err != nil:
		return fmt.Errorf("counting people: %w", err)
	case others > 0:
		return fmt.Errorf("this database holds %d people who are not benchmark accounts: coopgate-bench seed only fills a throwaway database", others)
	case bench > 0:
		return errors.New("this database is seeded already")
	}
	return nil
}

// seedPeople copies n admitted people in, every one with the same password
// hash (argon2id costs ~50 ms, computed once), and their acceptance of every
// stored policy version. It returns their ids, benchN at index N.
func seedPeople(ctx context.Context, pool *pgxpool.Pool, n int) ([]uuid.UUID, error) {
	hash, err := password.Hash(ctx, benchPassword)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
	}
	now := time.Now()
	err = database.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"people"},
			[]string{"id", "email", "email_verified_at", "name", "username", "password_hash", "status", "roles", "admitted_at"},
			pgx.CopyFromSlice(n, func(i int) ([]any, error) {
				num := strconv.Itoa(i)
				return []any{ids[i], "bench" + num + benchDomain, now, "Bench Person " + num, "bench" + num, hash,
					"admitted", []string{}, now}, nil
			}))
		if err != nil {
			return fmt.Errorf("copying people: %w", err)
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO policy_acceptances (person_id, policy_id, version, sha256, ip, user_agent)
			SELECT p.id, v.policy_id, v.version, v.sha256, '127.0.0.1', 'coopgate-bench seed'
			FROM people p CROSS JOIN policy_versions v`)
		if err != nil {
			return fmt.Errorf("accepting policies: %w", err)
		}
		return nil
	})
	return ids, err
}

// seedTokens stores live tokens as the code grant leaves them: pairs of an
// access token and a refresh token of one family, for random people.
func seedTokens(ctx context.Context, pool *pgxpool.Pool, people []uuid.UUID, n int) error {
	pairs := n / 2
	if pairs == 0 {
		return nil
	}
	family := make([]uuid.UUID, pairs)
	owner := make([]uuid.UUID, pairs)
	for i := range family {
		family[i], owner[i] = uuid.New(), people[rand.IntN(len(people))]
	}
	now := time.Now()
	scopes := []string{"openid", "profile", "email", "offline_access"}
	audience := []string{benchClientID}
	access := pgx.CopyFromSlice(pairs, func(i int) ([]any, error) {
		return []any{uuid.New(), owner[i], benchClientID, scopes, audience, family[i], now.Add(time.Hour)}, nil
	})
	refresh := pgx.CopyFromSlice(pairs, func(i int) ([]any, error) {
		hash := uuid.New() // 16 random bytes stand in for a SHA-256: never presented
		return []any{uuid.New(), hash[:], family[i], owner[i], benchClientID, scopes, audience, []string{"pwd"}, now,
			now.Add(30 * 24 * time.Hour)}, nil
	})
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"oidc_access_tokens"},
		[]string{"id", "person_id", "client_id", "scopes", "audience", "auth_request_id", "expires_at"}, access); err != nil {
		return fmt.Errorf("copying access tokens: %w", err)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"oidc_refresh_tokens"},
		[]string{"id", "token_hash", "family_id", "person_id", "client_id", "scopes", "audience", "amr", "auth_time", "expires_at"},
		refresh); err != nil {
		return fmt.Errorf("copying refresh tokens: %w", err)
	}
	return nil
}
