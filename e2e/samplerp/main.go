// Command samplerp runs internal/devrp, the sample relying party, on its own
// for the browser journeys in e2e/: they start it beside a `coopgate serve`
// and log in through it as Mastodon, Discourse or GitLab would. It lives here
// rather than as a coopgate subcommand so the shipped binary carries nothing
// that exists only for tests.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/coopgate/coopgate/internal/devrp"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "samplerp:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("samplerp", flag.ContinueOnError)
	issuer := fs.String("issuer", "", "coopgate's issuer URL (required)")
	clientID := fs.String("client-id", "", "the client id in coopgate's configuration (required)")
	listen := fs.String("listen", "127.0.0.1:0", "address to serve on")
	scopes := fs.String("scopes", "openid,profile,email,groups", "scopes to ask for, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The secret comes from the environment so that it is not on a command
	// line any process listing shows.
	secret := os.Getenv("SAMPLERP_CLIENT_SECRET")
	if *issuer == "" || *clientID == "" || secret == "" {
		return errors.New("--issuer, --client-id and SAMPLERP_CLIENT_SECRET are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	rp := &devrp.RP{Issuer: *issuer, ClientID: *clientID, ClientSecret: secret, BaseURL: base,
		Scopes: strings.Split(*scopes, ",")}
	srv := &http.Server{Handler: rp.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	// The harness waits for this line to know the relying party is up.
	fmt.Printf("sample relying party listening on %s\n", base)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
