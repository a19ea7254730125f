package apptest

import (
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
)

// WithSMTP sends the gateway's mail over the wire to srv, a real SMTP server
// on loopback, instead of printing it: tests then read mail as a member would
// get it, links and all.
//
//	srv := mailtest.Start(t)
//	g := apptest.Start(t, apptest.WithSMTP(srv))
//	msg := srv.WaitFor(t, "ann@example.coop", 10*time.Second)
func WithSMTP(srv *mailtest.Server) Option {
	return func(c *config.Config) {
		c.SMTP = config.SMTP{Host: srv.Host(), Port: srv.Port(), From: c.SMTP.From, TLS: "none"}
	}
}
