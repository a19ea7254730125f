package apptest

import (
	"log/slog"
	"testing"

	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/seal"
	"github.com/coopgate/coopgate/web"
)

// The parts below are for tests that assemble services and job runners
// themselves, below the whole gateway that Start makes.

// Box is a sealing box with a fixed test key.
func Box(t testing.TB) *seal.Box {
	b, err := seal.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// MailRenderer renders the real mail templates for "Test Co-op".
func MailRenderer(t testing.TB) *mail.Renderer {
	r, err := mail.NewRenderer(web.Mail, mail.CoopInfo{Name: "Test Co-op", URL: "http://id.example.coop"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Logger shows logs with -v only when COOPGATE_TEST_LOGS is set.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(logSink(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
