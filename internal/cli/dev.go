package cli

import "github.com/coopgate/coopgate/internal/dev"

func runDev(e env, args []string) error {
	fs, _ := flags(e, "dev")
	dir := fs.String("data", ".dev", "folder for the demo database and configuration")
	listen := fs.String("listen", "127.0.0.1:8080", "gateway address")
	rpListen := fs.String("rp-listen", "127.0.0.1:8081", "sample relying party address")
	if err := parse(fs, args); err != nil {
		return err
	}
	return dev.Run(e.ctx, dev.Options{DataDir: *dir, Listen: *listen, RPListen: *rpListen, Out: e.stdout})
}
