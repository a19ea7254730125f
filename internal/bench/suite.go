package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// codeBatch is how many codes are minted, untimed, before each timed burst
// of code exchanges. The peer's in-memory adapter keeps only its last
// 1000–2000 entries; a batch of codes plus the two tokens each one
// becomes must fit, or codes vanish before they are used. Codes also
// expire within a minute on both servers, so a pool cannot be minted for
// a whole run ahead.
const codeBatch = 200

// newSuite prepares the scenarios against the server at baseURL, whose
// discovery document said ep.
func newSuite(t Target, alg, baseURL string, ep endpoints, transport http.RoundTripper, cfg Config, cpu *cpuMeter) *suite {
	s := &suite{
		target:    t,
		alg:       alg,
		cpu:       cpu,
		rp:        &relyingParty{http: newHTTPClient(transport), client: t.Client(), ep: ep},
		transport: transport,
		baseURL:   baseURL,
		duration:  cfg.Duration,
		warmup:    cfg.Warmup,
		workers:   cfg.Concurrency,
		users:     cfg.Users,
		members:   cfg.Members,
		window:    cfg.Window,
	}
	for range s.workers {
		s.sessions = append(s.sessions, newBrowser(transport))
	}
	return s
}

// suite runs every scenario against one server.
type suite struct {
	target    Target
	alg       string // what the client's ID tokens must be signed with
	rp        *relyingParty
	transport http.RoundTripper
	baseURL   string
	duration  time.Duration
	warmup    time.Duration
	workers   int
	users     int
	members   int            // Monday morning: how many different people arrive
	window    time.Duration  // ... spread over this long
	sessions  []*http.Client // per worker, a browser that stays signed in
	cpu       *cpuMeter      // the server's CPU time; nil if unknown
}

// scenario is one measured workload; setup failures come back as error,
// operation failures are counted in stats.
type scenario struct {
	key  string // what -scenarios names it
	name string
	run  func(ctx context.Context) (*stats, error)
}

// scenarioKeys are the scenarios in the order they run.
func scenarioKeys() []string {
	return []string{"discovery", "jwks", "userinfo", "introspection", "refresh", "code", "login", "monday"}
}

// mondayName is the Monday morning scenario's name in the report, which
// gives it a table of its own.
const mondayName = "Monday morning"

// scenarios lists those chosen (nil: all), in scenarioKeys' order.
func (s *suite) scenarios(chosen map[string]bool) []scenario {
	all := []scenario{
		{"discovery", "discovery", s.discovery},
		{"jwks", "jwks", s.jwks},
		{"userinfo", "userinfo", s.userinfo},
		{"introspection", "introspection", s.introspection},
		{"refresh", "refresh (rotating chain)", s.refreshChain},
		{"code", "code grant (token exchange)", s.codeGrant},
		{"login", "complete login", s.completeLogin},
		{"monday", mondayName, s.mondayMorning},
	}
	if chosen == nil {
		return all
	}
	return slices.DeleteFunc(all, func(sc scenario) bool { return !chosen[sc.key] })
}

// measure warms the server up with op (its latencies thrown away, its
// errors kept) and then times it.
func (s *suite) measure(ctx context.Context, workers int, do op) *stats {
	var warm *stats
	if s.warmup > 0 {
		warm = runClosedLoop(ctx, workers, s.warmup, do)
	}
	st := s.timed(ctx, workers, s.duration, do)
	if warm != nil {
		st.mergeErrors(warm)
	}
	return st
}

// timed runs the closed loop and notes the server's CPU time meanwhile.
func (s *suite) timed(ctx context.Context, workers int, d time.Duration, do op) *stats {
	before := s.cpu.used()
	st := runClosedLoop(ctx, workers, d, do)
	st.serverCPU = s.cpu.used().minus(before)
	return st
}

func (s *suite) discovery(ctx context.Context) (*stats, error) {
	u := s.baseURL + "/.well-known/openid-configuration"
	return s.measure(ctx, s.workers, func(ctx context.Context, _ int) error {
		return getOK(ctx, s.rp.http, u)
	}), nil
}

func (s *suite) jwks(ctx context.Context) (*stats, error) {
	return s.measure(ctx, s.workers, func(ctx context.Context, _ int) error {
		return getOK(ctx, s.rp.http, s.rp.ep.JWKS)
	}), nil
}

func (s *suite) userinfo(ctx context.Context) (*stats, error) {
	toks, err := s.freshTokens(ctx)
	if err != nil {
		return nil, err
	}
	return s.measure(ctx, s.workers, func(ctx context.Context, w int) error {
		return s.rp.userinfo(ctx, toks[w].AccessToken)
	}), nil
}

func (s *suite) introspection(ctx context.Context) (*stats, error) {
	toks, err := s.freshTokens(ctx)
	if err != nil {
		return nil, err
	}
	return s.measure(ctx, s.workers, func(ctx context.Context, w int) error {
		return s.rp.introspect(ctx, toks[w].AccessToken)
	}), nil
}

// refreshChain has each worker refresh its own token over and over, always
// with the newest refresh token, as rotation demands.
func (s *suite) refreshChain(ctx context.Context) (*stats, error) {
	toks, err := s.freshTokens(ctx)
	if err != nil {
		return nil, err
	}
	return s.measure(ctx, s.workers, func(ctx context.Context, w int) error {
		next, err := s.rp.refresh(ctx, toks[w].RefreshToken)
		if err != nil {
			return err
		}
		toks[w] = next // only worker w touches toks[w]
		return nil
	}), nil
}

// completeLogin has each of the users sign in from a fresh browser, again
// and again: authorize, login form, code, token, userinfo, all timed as one.
func (s *suite) completeLogin(ctx context.Context) (*stats, error) {
	return s.measure(ctx, s.users, func(ctx context.Context, w int) error {
		return s.completeFlow(ctx, newBrowser(s.transport), s.target.Account(w))
	}), nil
}

// completeFlow is one login from browser: authorize, the login form, the
// code, the token and userinfo.
func (s *suite) completeFlow(ctx context.Context, browser *http.Client, who Account) error {
	code, verifier, err := s.rp.signIn(ctx, s.target, browser, who)
	if err != nil {
		return err
	}
	tok, err := s.rp.exchange(ctx, code, verifier)
	if err != nil {
		return err
	}
	return s.rp.userinfo(ctx, tok.AccessToken)
}

// session is worker w's browser; the first authorization through it signs
// in (a real login), later ones ride on the session.
func (s *suite) session(w int) *http.Client { return s.sessions[w] }

// freshTokens gets a new token set for each worker, untimed.
func (s *suite) freshTokens(ctx context.Context) ([]tokens, error) {
	toks := make([]tokens, s.workers)
	for w := range toks {
		code, verifier, err := s.rp.signIn(ctx, s.target, s.session(w), s.target.Account(w))
		if err != nil {
			return nil, fmt.Errorf("setup: sign in: %w", err)
		}
		if toks[w], err = s.rp.exchange(ctx, code, verifier); err != nil {
			return nil, fmt.Errorf("setup: token: %w", err)
		}
	}
	// As a relying party would: the ID token verifies with the published
	// key of the algorithm the client is set to, so that figures said to be
	// of that algorithm are.
	if err := s.rp.verifyIDToken(ctx, toks[0].IDToken, s.alg); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return toks, nil
}

// pendingCode is a code minted for the code grant scenario.
type pendingCode struct {
	code, verifier string
}

// codeGrant times the token exchange alone: codes come from the real
// authorize endpoint through signed-in sessions, minted in untimed batches.
// It has no warm-up of its own: it follows the refresh scenario, which
// warmed the token endpoint.
func (s *suite) codeGrant(ctx context.Context) (*stats, error) {
	total := newStats()
	for total.elapsed < s.duration && ctx.Err() == nil {
		codes, err := s.mintCodes(ctx, codeBatch)
		if err != nil {
			return total, err
		}
		burst := s.timed(ctx, s.workers, s.duration-total.elapsed, func(ctx context.Context, _ int) error {
			select {
			case c := <-codes:
				_, err := s.rp.exchange(ctx, c.code, c.verifier)
				return err
			default:
				return errNoMoreWork
			}
		})
		total.merge(burst)
	}
	return total, nil
}

// mintCodes gets n codes, the workers' sessions sharing the work.
func (s *suite) mintCodes(ctx context.Context, n int) (chan pendingCode, error) {
	codes := make(chan pendingCode, n)
	g, ctx := errgroup.WithContext(ctx)
	for w := range s.workers {
		share := n / s.workers
		if w < n%s.workers {
			share++
		}
		g.Go(func() error {
			for range share {
				code, verifier, err := s.rp.signIn(ctx, s.target, s.session(w), s.target.Account(w))
				if err != nil {
					return fmt.Errorf("setup: mint code: %w", err)
				}
				codes <- pendingCode{code, verifier}
			}
			return nil
		})
	}
	return codes, g.Wait()
}
