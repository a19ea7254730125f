// Command coopgate-bench load-tests coopgate and, in the same run, panva's
// oidc-provider as a reference peer, on 127.0.0.1 only. See bench/README.md.
// `coopgate-bench seed` fills coopgate's throwaway database before the load;
// the load runs it itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coopgate/coopgate/internal/bench"
	"github.com/coopgate/coopgate/internal/bench/seed"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "seed" {
		runSeed(os.Args[2:])
		return
	}
	cfg := bench.Config{Stdout: os.Stdout, Log: os.Stderr}
	flag.StringVar(&cfg.Target, "target", "both", "servers to measure: coopgate, peer or both")
	flag.StringVar(&cfg.CoopgateURL, "coopgate-url", "", "issuer URL of an already running coopgate (loopback only); empty: start it")
	flag.StringVar(&cfg.PeerURL, "peer-url", "", "issuer URL of an already running peer (loopback only); empty: start it")
	flag.IntVar(&cfg.ServerPID, "server-pid", 0, "pid of the one server given by URL, to read its RSS")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Second, "timed length of each scenario")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Second, "untimed warm-up before each scenario")
	flag.IntVar(&cfg.Concurrency, "concurrency", 8, "workers per scenario")
	flag.IntVar(&cfg.Users, "users", 8, "people signing in at once in the complete-login scenario")
	flag.StringVar(&cfg.Out, "out", "", "also write the markdown report to this file")
	flag.StringVar(&cfg.PeerDir, "peer-dir", "bench/peer", "directory of the peer's server.mjs")
	flag.BoolVar(&cfg.Pin, "pin", true, "pin servers and load generator to different CPUs when taskset and 2 CPUs exist")
	flag.StringVar(&cfg.CoopgateDir, "coopgate-dir", ".", "module root to build ./cmd/coopgate in, when coopgate is started")
	flag.StringVar(&cfg.CoopgateBin, "coopgate-bin", "", "a coopgate binary to run instead of building one (e.g. to compare two builds)")
	flag.IntVar(&cfg.People, "people", 1000, "admitted people to seed coopgate's database with")
	flag.IntVar(&cfg.Tokens, "tokens", 0, "further live tokens to seed coopgate's database with (half access, half refresh)")
	flag.BoolVar(&cfg.Durable, "pg-durable", false, "run coopgate's PostgreSQL with fsync and synchronous commit on")
	flag.StringVar(&cfg.Scenarios, "scenarios", "", "comma-separated subset of discovery,jwks,userinfo,introspection,refresh,code,login,monday (empty: all)")
	flag.StringVar(&cfg.Algs, "algs", "RS256,ES256", "ID token algorithms (RS256, ES256, EdDSA), comma-separated: each a run of every server with its client set to it")
	flag.IntVar(&cfg.Members, "members", 300, "different people in the Monday morning scenario, each logging in once")
	flag.DurationVar(&cfg.Window, "window", time.Minute, "the Monday morning scenario's members arrive at random within this time")
	flag.StringVar(&cfg.ProfileDir, "profile-dir", "", "save a CPU profile of coopgate for each scenario in this folder (pprof on its metrics listener)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "coopgate-bench:", err)
		stop()
		os.Exit(1)
	}
}

func runSeed(args []string) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := seed.Run(ctx, args, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "coopgate-bench seed:", err)
		stop()
		os.Exit(1)
	}
}
