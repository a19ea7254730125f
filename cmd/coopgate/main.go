// Command coopgate is the co-op's membership and sign-up gateway and OpenID
// provider. See `coopgate help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/coopgate/coopgate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
