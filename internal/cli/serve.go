package cli

import (
	"log/slog"

	"github.com/coopgate/coopgate/internal/app"
	"github.com/coopgate/coopgate/internal/database"
)

func runServe(e env, args []string) error {
	fs, path := flags(e, "serve")
	noMigrate := fs.Bool("no-migrate", false, "do not apply migrations at start")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg.Log)
	slog.SetDefault(log) // op logs through slog's default logger: one stream, one format
	a, err := app.New(e.ctx, cfg, log, app.Options{SkipMigrate: *noMigrate})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(e.ctx, nil)
}

func runMigrate(e env, args []string) error {
	fs, path := flags(e, "migrate")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, pool, err := openDatabase(e, *path)
	if err != nil {
		return err
	}
	defer pool.Close()
	log := app.NewLogger(cfg.Log)
	if err := database.Migrate(e.ctx, pool, log); err != nil {
		return err
	}
	log.Info("database schema is current")
	return nil
}
