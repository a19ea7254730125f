package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
)

const secret = "a-secret-of-at-least-32-characters!"

// request is a GET carrying the cookies a browser kept.
func request(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// logIn logs p in on a fresh browser and returns its session cookie.
func logIn(t *testing.T, m *Manager, p *people.Person, at time.Time) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := m.LogIn(rec, request(), p, at); err != nil {
		t.Fatal(err)
	}
	return cookieFrom(t, rec)
}

func load(t *testing.T, m *Manager, cookies ...*http.Cookie) Login {
	t.Helper()
	r, err := m.Load(request(cookies...))
	if err != nil {
		t.Fatal(err)
	}
	return FromContext(r.Context())
}

func TestLoadPutsWhoIsLoggedInInTheContext(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	m := NewManager(pool, secret, time.Hour, true)
	ann := peopletest.Admitted(t, pool, "ann@example.coop")

	if l := load(t, m); l.Person != nil || l.PersonID() != "" {
		t.Errorf("a browser without a cookie is %+v; want nobody", l)
	}
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	c := logIn(t, m, ann, at)
	l := load(t, m, c)
	if l.PersonID() != ann.ID || l.Person.Email != ann.Email || !l.AuthTime.Equal(at) {
		t.Errorf("after login: %+v; want %s, logged in at %v", l, ann.ID, at)
	}
	if other := load(t, NewManager(pool, secret, time.Hour, true), c); other.PersonID() != ann.ID {
		t.Error("another replica does not see the session")
	}
	forged := *c
	forged.Value = "not-a-signed-id"
	if l := load(t, m, &forged); l.Person != nil {
		t.Error("a forged cookie logged someone in")
	}
}

// TestLoadDoesNotTakeAFailureForNobody: a session or person that cannot be
// read is an error, which pages answer 503, never as logged out.
func TestLoadDoesNotTakeAFailureForNobody(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	c := logIn(t, NewManager(pool, secret, time.Hour, false), ann, time.Now())

	unreachable, err := pgxpool.New(context.Background(), "postgres://coopgate@127.0.0.1:1/gone?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer unreachable.Close()
	_, err = NewManager(unreachable, secret, time.Hour, false).Load(request(c))
	if !database.Unavailable(err) {
		t.Errorf("Load with the database down: %v; want an outage error", err)
	}

	// The session is there but its person cannot be read.
	if _, err := pool.Exec(context.Background(), `ALTER TABLE people RENAME TO people_elsewhere`); err != nil {
		t.Fatal(err)
	}
	if r, err := NewManager(pool, secret, time.Hour, false).Load(request(c)); err == nil {
		t.Errorf("Load without its person: nobody (%+v); want an error", FromContext(r.Context()))
	}
}

// TestLogOutEndsTheSessionAndItsCookie: the browser is told to drop the
// very cookie login set (a __Host- cookie is dropped only by one with the
// same name, Secure and Path=/), and the session is gone for every replica.
func TestLogOutEndsTheSessionAndItsCookie(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	m := NewManager(pool, secret, time.Hour, true)
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	c := logIn(t, m, ann, time.Now())
	if c.Name != "__Host-coopgate" || !c.Secure || !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", c)
	}

	rec := httptest.NewRecorder()
	if err := m.LogOut(rec, request(c)); err != nil {
		t.Fatal(err)
	}
	gone := cookieFrom(t, rec)
	if gone.Name != c.Name || gone.MaxAge >= 0 || gone.Value != "" || !gone.Secure || gone.Path != "/" ||
		!gone.HttpOnly || gone.SameSite != http.SameSiteLaxMode {
		t.Errorf("logout's cookie %+v does not drop %+v", gone, c)
	}
	if l := load(t, m, c); l.Person != nil {
		t.Error("the session outlived logout")
	}
}

// TestLogInKeepsTheRelyingPartysLogin: the auth request a browser was on
// survives the new session id; what a sign-up left does not.
func TestLogInKeepsTheRelyingPartysLogin(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	m := NewManager(pool, secret, time.Hour, false)
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	rec := httptest.NewRecorder()
	if err := m.BeginSignUp(rec, request(), "the-auth-request", "someone"); err != nil {
		t.Fatal(err)
	}
	before := cookieFrom(t, rec)
	rec = httptest.NewRecorder()
	if err := m.LogIn(rec, request(before), ann, time.Now()); err != nil {
		t.Fatal(err)
	}
	after := cookieFrom(t, rec)
	if flow := m.Flow(request(after)); flow != "the-auth-request" {
		t.Errorf("flow after login = %q", flow)
	}
	if id := m.SignedUpAs(request(after)); id != "" {
		t.Errorf("signed up as %q after logging in", id)
	}
}

func TestListShowsAPersonsLiveSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	m := NewManager(pool, secret, time.Hour, false)
	ann, bob := peopletest.Admitted(t, pool, "ann@example.coop"), peopletest.Admitted(t, pool, "bob@example.coop")
	laptop := logIn(t, m, ann, time.Now())
	logIn(t, m, ann, time.Now())
	logIn(t, m, bob, time.Now())

	list, err := List(ctx, pool, ann.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("ann's sessions: %+v, %v; want 2", list, err)
	}
	if s := list[0]; s.CreatedAt.IsZero() || !s.ExpiresAt.After(time.Now()) || s.LastUsed.Before(s.CreatedAt) {
		t.Errorf("session %+v", s)
	}
	if err := m.LogOut(httptest.NewRecorder(), request(laptop)); err != nil {
		t.Fatal(err)
	}
	if list, err := List(ctx, pool, ann.ID); err != nil || len(list) != 1 {
		t.Errorf("after logging out on one device: %+v, %v; want 1", list, err)
	}
}

// TestLoginsRememberHowTheyWereMade: a password login is "pwd"; a login
// with a second factor gets a new session id and says so.
func TestLoginsRememberHowTheyWereMade(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	m := NewManager(pool, secret, time.Hour, false)
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	pwd := logIn(t, m, ann, time.Now())
	before := load(t, m, pwd)
	if strings.Join(before.Methods, " ") != "pwd" || before.MultiFactor() {
		t.Errorf("a password login: %v", before.Methods)
	}
	rec := httptest.NewRecorder()
	if err := m.LogInWith(rec, request(pwd), ann, time.Now(), []string{"pwd", "otp", "mfa"}); err != nil {
		t.Fatal(err)
	}
	both := cookieFrom(t, rec)
	after := load(t, m, both)
	if !after.MultiFactor() || strings.Join(after.Methods, " ") != "pwd otp mfa" {
		t.Errorf("with a second factor: %v", after.Methods)
	}
	if len(before.ID) < 40 || after.ID == before.ID {
		t.Errorf("login ids %q then %q; want a new random one at each login", before.ID, after.ID)
	}
	if l := load(t, m, pwd); l.Person != nil {
		t.Error("the session kept its id when it gained a factor")
	}
}

// TestAwaitingASecondFactorLogsNobodyIn: after the password, the browser
// is nobody's until the second factor; someone else's login in it ends,
// the person's own (a step-up) stays.
func TestAwaitingASecondFactorLogsNobodyIn(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	m := NewManager(pool, secret, time.Hour, false)
	ann, bob := peopletest.Admitted(t, pool, "ann@example.coop"), peopletest.Admitted(t, pool, "bob@example.coop")
	at := time.Now().Truncate(time.Second)
	await := func(c *http.Cookie, p *people.Person) *http.Cookie {
		rec := httptest.NewRecorder()
		r := request()
		if c != nil {
			r = request(c)
		}
		if err := m.AwaitSecondFactor(rec, r, p, at, []string{"pwd"}); err != nil {
			t.Fatal(err)
		}
		return cookieFrom(t, rec)
	}
	for _, tt := range []struct {
		name   string
		before *http.Cookie
		want   string // who is logged in while ann's second factor is awaited
	}{
		{"a fresh browser", nil, ""},
		{"bob's browser", logIn(t, m, bob, at), ""},
		{"ann's own session", logIn(t, m, ann, at), ann.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := await(tt.before, ann)
			if l := load(t, m, c); l.PersonID() != tt.want {
				t.Errorf("logged in: %q; want %q", l.PersonID(), tt.want)
			}
			a, ok := m.AwaitingSecondFactor(request(c))
			if !ok || a.PersonID != ann.ID || !a.At.Equal(at) || strings.Join(a.Methods, " ") != "pwd" {
				t.Errorf("awaiting %+v %v", a, ok)
			}
			if tt.before != nil {
				if l := load(t, m, tt.before); l.Person != nil {
					t.Error("the session kept its id")
				}
			}
		})
	}
}

// TestCeremonyHandleIsTheSessions: a passkey ceremony's handle lives in
// the browser's session only.
func TestCeremonyHandleIsTheSessions(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	m := NewManager(pool, secret, time.Hour, false)
	rec := httptest.NewRecorder()
	handle, err := m.BeginCeremony(rec, request())
	if err != nil || len(handle) < 40 {
		t.Fatalf("handle %q, %v", handle, err)
	}
	c := cookieFrom(t, rec)
	if got := m.Ceremony(request(c)); got != handle {
		t.Errorf("the session's handle: %q", got)
	}
	if got := m.Ceremony(request()); got != "" {
		t.Errorf("another browser's: %q", got)
	}
	if strings.Contains(c.Value, handle) {
		t.Error("the handle is in the cookie")
	}
}
