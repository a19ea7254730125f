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
	"sort"
	"strings"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
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
		"users":        {"users create --email E --name N --username U --role member|secretary [--password-stdin]", runUsers},
		"keys":         {"keys rotate: add a signing key (published now, signing after keys.publish_lead)", runKeys},
		"members":      {"members import FILE [--dry-run]: import the member register from CSV", runMembers},
		"healthcheck":  {"exit 0 if the gateway at --url is ready (for container health checks)", runHealthcheck},
		"downstream":   {"downstream sync [--dry-run] [--service NAME]: bring every account on Mastodon, Discourse, GitLab in step; downstream check: what to change in their settings", runDownstream},
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
