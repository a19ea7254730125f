package cli

import (
	"fmt"
	"io"

	"github.com/coopgate/coopgate/internal/app"
	"github.com/coopgate/coopgate/internal/federation"
)

const federationUsage = "coopgate federation sync [--dry-run] [--config FILE]"

func runFederation(e env, args []string) error {
	if len(args) > 0 && args[0] == "sync" {
		return runFederationSync(e, args[1:])
	}
	return fmt.Errorf("%w: %s", errUsage, federationUsage)
}

// runFederationSync compares Mastodon's domain blocks with the co-op's
// decisions here and now and, unless --dry-run, puts right toward the
// decisions what differs, printing a line per domain. Blocks made in
// Mastodon that were never decided here are printed and left alone.
func runFederationSync(e env, args []string) error {
	fs, path := flags(e, "federation sync")
	dryRun := fs.Bool("dry-run", false, "only report what a sync would change; change nothing on Mastodon")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, err := openForJobs(e, *path)
	if err != nil {
		return err
	}
	defer o.pool.Close()
	s, err := app.NewFederation(o.pool, o.cfg, o.inserter, nil, o.log)
	if err != nil {
		return err
	}
	var total, failed, left int
	err = s.Sync(e.ctx, *dryRun, func(l federation.SyncLine) {
		total++
		switch {
		case l.Err != nil:
			failed++
		case !l.Fixable():
			left++
		}
		printSyncLine(e.stdout, l, *dryRun)
	})
	if err != nil {
		return err
	}
	return syncSummary(e.stdout, total, failed, left, *dryRun)
}

func printSyncLine(w io.Writer, l federation.SyncLine, dryRun bool) {
	switch {
	case l.Err != nil:
		fmt.Fprintf(w, "%s: error: %v (a job will keep trying)\n", l.Domain, l.Err)
	case dryRun || !l.Fixable() || l.Outcome == nil:
		fmt.Fprintf(w, "%s: %s\n", l.Domain, l.Plan())
	default:
		fmt.Fprintf(w, "%s: %s\n", l.Domain, l.Outcome.Note)
	}
}

func syncSummary(w io.Writer, total, failed, left int, dryRun bool) error {
	switch {
	case total == 0:
		fmt.Fprintln(w, "Mastodon's domain blocks are in step with the co-op's decisions")
	case dryRun:
		fmt.Fprintf(w, "dry run: %d domains differ, %d of them not decided here; nothing was changed\n", total, left)
	case failed > 0:
		return fmt.Errorf("%d of %d domains did not sync; see above", failed, total-left)
	default:
		fmt.Fprintf(w, "synced %d domains; %d blocks not decided here were left alone\n", total-left, left)
	}
	return nil
}
