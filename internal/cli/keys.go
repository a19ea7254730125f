package cli

import (
	"fmt"
	"time"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/seal"
)

func runKeys(e env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return fmt.Errorf("%w: coopgate keys rotate [--config FILE]", errUsage)
	}
	fs, path := flags(e, "keys rotate")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cfg, pool, err := openDatabase(e, *path)
	if err != nil {
		return err
	}
	defer pool.Close()
	box, err := seal.New(cfg.Key())
	if err != nil {
		return err
	}
	ring := oidc.NewKeyring(pool, box, cfg.Keys.PublishLead, cfg.Keys.RetiredFor, oidc.AlgorithmsInUse(cfg.Clients))
	keys, from, err := ring.Rotate(e.ctx, audit.Actor{Label: "cli"})
	if err != nil {
		return err
	}
	for _, k := range keys {
		fmt.Fprintf(e.stdout, "new %s signing key %s: published now, signs from %s\n", k.Algorithm, k.ID, from.UTC().Format(time.RFC3339))
	}
	return nil
}
