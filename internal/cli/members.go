package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/app"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/register"
	"github.com/coopgate/coopgate/internal/seal"
)

const membersUsage = "coopgate members import FILE [--whole] [--dry-run] [--config FILE]"

// runMembers imports a member register file, as the admin pages do: every
// problem listed with its line, nothing stored unless the whole file is
// clean, and the import recorded in the audit log in its transaction with
// the membership changes it causes (internal/membership), which wait for
// the secretary unless the co-op applies them automatically.
func runMembers(e env, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return fmt.Errorf("%w: %s", errUsage, membersUsage)
	}
	fs, path := flags(e, "members import")
	dryRun := fs.Bool("dry-run", false, "only report what the import would change")
	whole := fs.Bool("whole", false, "the file is the whole register: list linked members it leaves out for the secretary")
	file, err := parseWithFile(fs, args[1:])
	if err != nil {
		return err
	}
	data, res, err := readRegisterFile(e, file)
	if err != nil {
		return err
	}
	cfg, pool, err := openDatabase(e, *path)
	if err != nil {
		return err
	}
	defer pool.Close()
	if *dryRun {
		return dryRunImport(e, pool, res, *whole)
	}
	done, err := importRegister(e, cfg, pool, file, data, res, *whole)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported: %d added, %d updated, %d unchanged\n", done.Added, done.Updated, done.Unchanged)
	if done.Queued > 0 || done.Applied > 0 {
		fmt.Fprintf(e.stdout, "membership changes: %d waiting for the secretary (%s/admin/membership/changes), %d applied\n",
			done.Queued, cfg.Issuer, done.Applied)
	}
	return nil
}

func dryRunImport(e env, pool *pgxpool.Pool, res register.Result, whole bool) error {
	plan, err := register.Preview(e.ctx, pool, res.Rows)
	if err != nil {
		return err
	}
	printPlan(e.stdout, plan)
	if whole {
		missing, err := membership.Missing(e.ctx, pool, res.Rows)
		if err != nil {
			return err
		}
		for _, p := range missing {
			fmt.Fprintf(e.stdout, "  not in the file, would be listed for the secretary: %s (%s)\n", p.Name, p.Email)
		}
	}
	fmt.Fprintln(e.stdout, "dry run: nothing was imported")
	return nil
}

// parseWithFile parses flags given before or after the one FILE argument.
func parseWithFile(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", flagError(err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return "", fmt.Errorf("%w: %s", errUsage, membersUsage)
	}
	file := rest[0]
	if err := fs.Parse(rest[1:]); err != nil {
		return "", flagError(err)
	}
	if len(fs.Args()) > 0 {
		return "", fmt.Errorf("%w: one FILE only: %s", errUsage, membersUsage)
	}
	return file, nil
}

// flagError is a flag parsing error as parse returns it.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}

// readRegisterFile reads and parses file, reporting its problems on stderr.
// A file with any problem is an error: an import is all or nothing.
func readRegisterFile(e env, file string) ([]byte, register.Result, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, register.Result{}, err
	}
	res, err := register.Parse(bytes.NewReader(data))
	var fe *register.FileError
	if errors.As(err, &fe) {
		return nil, register.Result{}, fmt.Errorf("%s: %s", file, fe.Message)
	}
	if err != nil {
		return nil, register.Result{}, err
	}
	fmt.Fprintf(e.stdout, "%s: %s format, %d rows, %d skipped, %d problems\n", file, res.Format, len(res.Rows), len(res.Skipped), len(res.Errors))
	for _, s := range res.Skipped {
		fmt.Fprintf(e.stdout, "  skipped line %d: %s\n", s.Line, s.Reason)
	}
	for _, re := range res.Errors {
		fmt.Fprintf(e.stderr, "%s: %s\n", file, re.Error())
	}
	if len(res.Errors) > 0 {
		return nil, register.Result{}, fmt.Errorf("%d problems in %s: nothing was imported", len(res.Errors), file)
	}
	return data, res, nil
}

func printPlan(w io.Writer, plan register.Plan) {
	sum := plan.Summary()
	fmt.Fprintf(w, "would add %d, update %d, leave %d unchanged\n", sum.Added, sum.Updated, sum.Unchanged)
	for _, p := range plan.Added {
		fmt.Fprintf(w, "  add    line %d: %s %s\n", p.Line, p.Entry.MembershipNumber, p.Entry.Name)
	}
	for _, p := range plan.Updated {
		for _, c := range p.Changes {
			fmt.Fprintf(w, "  update line %d: %s %s: %q -> %q\n", p.Line, p.Entry.MembershipNumber, c.Field, c.From, c.To)
		}
	}
}

// importRegister stores the rows, the membership changes they cause and
// the audit event in one transaction.
func importRegister(e env, cfg *config.Config, pool *pgxpool.Pool, file string, data []byte, res register.Result, whole bool) (membership.ImportResult, error) {
	svc, err := membershipService(cfg, pool)
	if err != nil {
		return membership.ImportResult{}, err
	}
	var done membership.ImportResult
	sum := sha256.Sum256(data)
	digest, actor := hex.EncodeToString(sum[:]), audit.Actor{Label: "cli"}
	err = database.InTx(e.ctx, pool, func(tx pgx.Tx) error {
		var err error
		imp := membership.Import{Rows: res.Rows, FileName: filepath.Base(file), Digest: digest, Whole: whole}
		if done, err = svc.Import(e.ctx, tx, imp, actor); err != nil {
			return err
		}
		return audit.Record(e.ctx, tx, actor, audit.Event{Action: "register.import", SubjectType: "register",
			SubjectID: digest, After: map[string]any{"file": filepath.Base(file), "format": res.Format, "whole": whole,
				"rows": len(res.Rows), "skipped": len(res.Skipped), "added": done.Added, "updated": done.Updated,
				"unchanged": done.Unchanged, "changes_queued": done.Queued, "changes_applied": done.Applied}})
	})
	return done, err
}

// membershipService is the server's membership service, for a command: its
// mail and account jobs are queued for the server's workers.
func membershipService(cfg *config.Config, pool *pgxpool.Pool) (*membership.Service, error) {
	box, err := seal.New(cfg.Key())
	if err != nil {
		return nil, err
	}
	render, err := app.NewMailRenderer(cfg)
	if err != nil {
		return nil, err
	}
	s, err := app.NewServices(cfg, pool, box, render, app.NewLogger(cfg.Log), nil)
	return s.Membership, err
}
