// Package cli is coopgate's command line: it parses a subcommand and its
// flags and calls into the packages that do the work. Nothing here holds
// product logic.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/coopgate/coopgate/internal/app"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/jackc/pgx/v5/pgxpool"
)

// env is what a command runs with.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	summary string
	run     func(e env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":        {"run the gateway (applies migrations first unless --no-migrate)", runServe},
		"migrate":      {"apply the database migrations and exit", runMigrate},
		"dev":          {"run a demo gateway with its own PostgreSQL, mail to the console", runDev},
		"check-config": {"validate a configuration file and report every problem", runCheckConfig},
		"users":        {"users create --email E --name N --username U --role member|secretary|moderator [--password-stdin]", runUsers},
		"keys":         {"keys rotate: add a signing key (published now, signing after keys.publish_lead)", runKeys},
		"members":      {"members import FILE [--dry-run]: import the member register from CSV", runMembers},
		"healthcheck":  {"exit 0 if the gateway at --url is ready (for container health checks)", runHealthcheck},
		"downstream":   {"downstream sync [--dry-run] [--service NAME]: bring every account on Mastodon, Discourse, GitLab in step; downstream check: what to change in their settings", runDownstream},
		"federation":   {"federation sync [--dry-run]: bring Mastodon's domain blocks in step with the co-op's federation decisions", runFederation},
	}
}

// errUsage marks an error whose message is the usage text.
var errUsage = errors.New("usage")

// Run runs the command in args and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "coopgate: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := cmd.run(e, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "coopgate %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: coopgate <command> [--config FILE] [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		if cmds[n].summary != "" { // no summary: a hidden command
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, cmds[n].summary)
	}
}

// flags makes a flag set with the --config flag every command takes.
func flags(e env, name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("coopgate "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	path := fs.String("config", "coopgate.yaml", "configuration file")
	return fs, path
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments: %s", errUsage, strings.Join(fs.Args(), " "))
	}
	return nil
}

func loadConfig(path string) (*config.Config, error) {
	return config.Load(path)
}

func runCheckConfig(e env, args []string) error {
	fs, path := flags(e, "check-config")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := loadConfig(*path); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", *path)
	return nil
}

// openDatabase loads the configuration and connects to its database, for
// the commands that work on the database directly. The caller closes the pool.
func openDatabase(e env, path string) (*config.Config, *pgxpool.Pool, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	pool, err := database.Open(e.ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	return cfg, pool, nil
}

// opened is what a command that enqueues jobs works with: the configuration,
// the pool, the configured logger and a job inserter on the pool (what fails
// for now gets a job, which the server works with its usual retries).
type opened struct {
	cfg      *config.Config
	pool     *pgxpool.Pool
	log      *slog.Logger
	inserter *jobs.Client
}

// openForJobs is openDatabase for such a command; the caller closes pool.
func openForJobs(e env, path string) (*opened, error) {
	cfg, pool, err := openDatabase(e, path)
	if err != nil {
		return nil, err
	}
	o := &opened{cfg: cfg, pool: pool, log: app.NewLogger(cfg.Log)}
	if o.inserter, err = jobs.NewInserter(pool, o.log); err != nil {
		pool.Close()
		return nil, err
	}
	return o, nil
}
