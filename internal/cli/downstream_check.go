package cli

import (
	"fmt"
	"io"

	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
)

// runDownstreamCheck asks each enabled service about the settings that
// decide whether it takes coopgate's calls, changes nothing, and prints
// what to change. It needs no database. It fails when something must
// change or a service could not be asked.
func runDownstreamCheck(e env, args []string) error {
	fs, path := flags(e, "downstream check")
	only := fs.String("service", "", "check only this service: mastodon, discourse or gitlab")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	enabled, err := provisioning.Services(cfg.Downstream, nil)
	if err != nil {
		return err
	}
	services, err := chooseServices(enabled, *only)
	if err != nil {
		return err
	}
	changes, failed := 0, 0
	for _, svc := range services {
		n, err := checkService(e, svc)
		changes += n
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "  could not check: %v\n", err)
		}
	}
	if changes > 0 || failed > 0 {
		return fmt.Errorf("%d setting(s) to change, %d service(s) not checked; see above", changes, failed)
	}
	fmt.Fprintln(e.stdout, "nothing to change")
	return nil
}

// checkService prints one service's findings and counts those to change.
func checkService(e env, svc downstream.Service) (int, error) {
	fmt.Fprintln(e.stdout, svc.Name())
	c, ok := svc.(downstream.Checker)
	if !ok {
		fmt.Fprintln(e.stdout, "  (no check for this service)")
		return 0, nil
	}
	findings, err := c.Check(e.ctx)
	if err != nil {
		return 0, err
	}
	changes := 0
	for _, f := range findings {
		if f.Verdict == downstream.Change {
			changes++
		}
		printFinding(e.stdout, f)
	}
	return changes, nil
}

func printFinding(w io.Writer, f downstream.Finding) {
	label := map[downstream.Verdict]string{downstream.Fine: "ok", downstream.Change: "CHANGE", downstream.Look: "look"}[f.Verdict]
	line := "  " + fmt.Sprintf("%-7s", label) + f.Setting
	if f.Value != "" {
		line += " = " + f.Value
	}
	if f.Note != "" {
		line += ": " + f.Note
	}
	fmt.Fprintln(w, line)
}
