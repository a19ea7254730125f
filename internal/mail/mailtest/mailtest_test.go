package mailtest_test

import (
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/mail/mailtest"
)

const nested = "From: id@coop.example\r\n" +
	"To: zoe@example.org\r\n" +
	"Subject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Hello Zo=C3=AB, open https://id.coop.example/verify?t=a=3Db soon=\r\n" +
	" please.\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+SGVsbG8gPGEgaHJlZj0iaHR0cHM6Ly9pZC5jb29wLmV4YW1wbGUvdmVy\r\n" +
	"aWZ5P3Q9YSZhbXA7dT0xIj5saW5rPC9hPjwvcD4=\r\n" +
	"--inner--\r\n" +
	"--outer--\r\n"

func send(t *testing.T, srv *mailtest.Server, to, body string) error {
	t.Helper()
	return smtp.SendMail(srv.Addr(), nil, "id@coop.example", []string{to}, []byte(body))
}

func TestServerParsesNestedMultipart(t *testing.T) {
	srv := mailtest.Start(t)
	if err := send(t, srv, "zoe@example.org", nested); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "ZOE@example.org", 5*time.Second)
	if got.Subject != "Grüße" {
		t.Errorf("Subject = %q", got.Subject)
	}
	if got.Text != "Hello Zoë, open https://id.coop.example/verify?t=a=b soon please." {
		t.Errorf("Text = %q", got.Text)
	}
	if got.HTML != `<p>Hello <a href="https://id.coop.example/verify?t=a&amp;u=1">link</a></p>` {
		t.Errorf("HTML = %q", got.HTML)
	}
	if got.From != "id@coop.example" || len(got.To) != 1 || got.Header.Get("To") != "zoe@example.org" {
		t.Errorf("envelope %q → %q, To header %q", got.From, got.To, got.Header.Get("To"))
	}
}

func TestWaitForReturnsEachMessageOnce(t *testing.T) {
	srv := mailtest.Start(t)
	for _, subject := range []string{"first", "second"} {
		if err := send(t, srv, "zoe@example.org", "Subject: "+subject+"\r\n\r\nbody\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := srv.WaitFor(t, "zoe@example.org", time.Second), srv.WaitFor(t, "zoe@example.org", time.Second); a.Subject != "first" || b.Subject != "second" {
		t.Errorf("WaitFor gave %q then %q", a.Subject, b.Subject)
	}
	if len(srv.Messages()) != 2 {
		t.Errorf("Messages = %d, want 2 (WaitFor does not remove them)", len(srv.Messages()))
	}
}

func TestRefuseNextAndDown(t *testing.T) {
	srv := mailtest.Start(t)
	srv.RefuseNext(2, 451)
	for i := 0; i < 2; i++ {
		var reply *textproto.Error
		if err := send(t, srv, "zoe@example.org", "Subject: x\r\n\r\nx\r\n"); !errors.As(err, &reply) || reply.Code != 451 {
			t.Fatalf("attempt %d: %v, want a 451 reply", i+1, err)
		}
	}
	srv.SetDown(true)
	if err := send(t, srv, "zoe@example.org", "Subject: x\r\n\r\nx\r\n"); err == nil {
		t.Fatal("a down server accepted mail")
	}
	srv.SetDown(false)
	if err := send(t, srv, "zoe@example.org", "Subject: x\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	if srv.Attempts() != 3 || srv.Refusals() != 2 || len(srv.Messages()) != 1 {
		t.Errorf("attempts %d, refusals %d, messages %d; want 3, 2, 1", srv.Attempts(), srv.Refusals(), len(srv.Messages()))
	}
}

func TestFindLink(t *testing.T) {
	tests := []struct{ body, prefix, want string }{
		{"Open https://x.example/verify?t=abc to confirm.", "https://x.example/verify", "https://x.example/verify?t=abc"},
		{"Open this link:\nhttps://x.example/verify?t=abc.\n", "https://x.example/verify", "https://x.example/verify?t=abc"},
		{`<a href="https://x.example/r?a=1&amp;b=2">go</a>`, "https://x.example/r", "https://x.example/r?a=1&b=2"},
		{`<a href="https://x.example/r?a=1&amp;b=2">go</a>`, "https://x.example/r?a=1&b", "https://x.example/r?a=1&b=2"},
		{"no link here", "https://x.example/", ""},
	}
	for _, tt := range tests {
		if got := mailtest.FindLink(tt.body, tt.prefix); got != tt.want {
			t.Errorf("FindLink(%q, %q) = %q, want %q", tt.body, tt.prefix, got, tt.want)
		}
	}
}

func TestWaitForFailsWhenNothingArrives(t *testing.T) {
	srv := mailtest.Start(t)
	ft := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.WaitFor(ft, "nobody@example.org", 50*time.Millisecond)
	}()
	<-done
	if !strings.Contains(ft.fatal, "no mail to nobody@example.org") {
		t.Errorf("WaitFor did not fail the test: %q", ft.fatal)
	}
}

// fakeT records a Fatalf instead of ending the real test.
type fakeT struct {
	testing.TB
	fatal string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
