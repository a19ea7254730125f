package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
)

const downstreamUsage = "coopgate downstream sync [--dry-run] [--service mastodon|discourse|gitlab] [--config FILE]\n" +
	"       coopgate downstream check [--service mastodon|discourse|gitlab] [--config FILE]"

func runDownstream(e env, args []string) error {
	switch {
	case len(args) > 0 && args[0] == "sync":
		return runDownstreamSync(e, args[1:])
	case len(args) > 0 && args[0] == "check":
		return runDownstreamCheck(e, args[1:])
	}
	return fmt.Errorf("%w: %s", errUsage, downstreamUsage)
}

// runDownstreamSync reconciles every member's and former member's accounts on
// the enabled services once, here and now, printing a line per account.
// It is for a first rollout (linking accounts that existed before coopgate)
// and for checking up; day to day the server's jobs keep accounts in step.
func runDownstreamSync(e env, args []string) error {
	fs, path := flags(e, "downstream sync")
	dryRun := fs.Bool("dry-run", false, "only report what a sync would change; change nothing")
	only := fs.String("service", "", "sync only this service: mastodon, discourse or gitlab")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, err := openForJobs(e, *path)
	if err != nil {
		return err
	}
	defer o.pool.Close()
	p, err := provisioning.FromConfig(o.pool, o.cfg.Downstream, o.inserter, o.log)
	if err != nil {
		return err
	}
	services, err := chooseServices(p.Services, *only)
	if err != nil {
		return err
	}
	return reconcile(e, p, services, *dryRun)
}

func chooseServices(enabled []downstream.Service, only string) ([]downstream.Service, error) {
	var names []string
	for _, s := range enabled {
		names = append(names, s.Name())
	}
	switch {
	case len(enabled) == 0:
		return nil, fmt.Errorf("no downstream service is enabled in the configuration")
	case only == "":
		return enabled, nil
	case !slices.Contains(names, only):
		return nil, fmt.Errorf("%w: --service %q is not enabled (enabled: %s)", errUsage, only, strings.Join(names, ", "))
	}
	return slices.DeleteFunc(slices.Clone(enabled), func(s downstream.Service) bool { return s.Name() != only }), nil
}

func reconcile(e env, p *provisioning.Provisioner, services []downstream.Service, dryRun bool) error {
	var total, failed int
	err := p.Reconcile(e.ctx, services, dryRun, func(r provisioning.Report) {
		total++
		if r.Err != nil {
			failed++
		}
		printReport(e.stdout, r, dryRun)
	})
	if err != nil {
		return err
	}
	switch {
	case dryRun:
		fmt.Fprintf(e.stdout, "dry run: %d accounts looked at, %d could not be; nothing was changed\n", total, failed)
	case failed > 0:
		return fmt.Errorf("%d of %d accounts did not sync; see above", failed, total)
	default:
		fmt.Fprintf(e.stdout, "synced %d accounts\n", total)
	}
	return nil
}

func printReport(w io.Writer, r provisioning.Report, dryRun bool) {
	head := fmt.Sprintf("%s (%s) %s %s: ", r.Username, r.Status, r.Service, r.Action)
	switch {
	case r.Err != nil && r.Retrying:
		fmt.Fprintf(w, "%serror: %v (a job will keep trying)\n", head, r.Err)
	case r.Err != nil:
		fmt.Fprintf(w, "%serror: %v\n", head, r.Err)
	case dryRun:
		fmt.Fprintf(w, "%s%s\n", head, r.Plan)
	case r.Outcome.Skipped != "":
		fmt.Fprintf(w, "%sskipped: %s\n", head, r.Outcome.Skipped)
	default:
		a := r.Outcome.Account
		id := ""
		if a.RemoteID != "" {
			id = " (id " + a.RemoteID + ")"
		}
		fmt.Fprintf(w, "%s%s%s\n", head, a.State, id)
	}
}
