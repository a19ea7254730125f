package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/people"
)

// Session values besides personKey.
const (
	authTimeKey = "auth_time"    // unix seconds of the last password check
	methodsKey  = "amr"          // how the person proved themselves, RFC 8176's names, space-separated
	loginKey    = "login"        // a random id of this login, new at every login
	flowKey     = "auth_request" // the auth request a sign-up or reset continues
	signUpKey   = "signed_up_as" // the id of the sign-up this browser made

	// A login waiting for its second factor: who gave their first, when,
	// and how. Nobody is logged in by it.
	awaitingKey        = "second_factor_person"
	awaitingAtKey      = "second_factor_at"
	awaitingMethodsKey = "second_factor_amr"
	ceremonyKey        = "ceremony" // the handle of the passkey ceremony under way
)

// Manager owns the browser session.
type Manager struct {
	pool  *pgxpool.Pool
	store *store
	name  string // the cookie's
}

// NewManager makes the manager of sessions whose cookie is signed and
// encrypted with keys derived from secret and lasts lifetime; secure (an
// https issuer) makes it Secure and __Host- named.
func NewManager(pool *pgxpool.Pool, secret string, lifetime time.Duration, secure bool) *Manager {
	return &Manager{pool: pool, store: newStore(pool, secret, lifetime, secure), name: cookieName(secure)}
}

// cookieName is __Host- prefixed when secure: the browser then refuses it
// from any subdomain or over http.
func cookieName(secure bool) string {
	if secure {
		return "__Host-coopgate"
	}
	return "coopgate"
}

// Login is who a request's session belongs to.
type Login struct {
	Person   *people.Person // nil when nobody is logged in
	AuthTime time.Time      // when they last proved who they are
	// Methods are how they did (RFC 8176's amr values): "pwd"; with a
	// second factor "otp", "hwk" or "swk" too, and "mfa".
	Methods []string
	// ID is random and new at every login (and every factor it gains): what
	// is granted to one login only is granted to it.
	ID string
}

// MultiFactor is "mfa": the login used two factors.
const MultiFactor = "mfa"

// Password is "pwd": a login by password alone.
const Password = "pwd"

// MultiFactor reports whether the login used a second factor.
func (l Login) MultiFactor() bool { return slices.Contains(l.Methods, MultiFactor) }

// PersonID is the logged-in person's id, or "".
func (l Login) PersonID() string {
	if l.Person == nil {
		return ""
	}
	return l.Person.ID
}

type ctxKey struct{}

// NewContext is ctx carrying l (Load puts the request's there).
func NewContext(ctx context.Context, l Login) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext is the Login Load put in ctx; nobody's if none.
func FromContext(ctx context.Context) Login {
	l, _ := ctx.Value(ctxKey{}).(Login)
	return l
}

// Load reads the request's session and the person it names, once, and
// returns the request with them in its context. A session that names
// nobody, or a person who is not there, is nobody. An error means the
// session could not be read (the database is down): the caller must not
// answer as if nobody were logged in.
func (m *Manager) Load(r *http.Request) (*http.Request, error) {
	sess, err := m.get(r)
	if err != nil {
		return r, err
	}
	l := Login{}
	if id, _ := sess.Values[personKey].(string); id != "" {
		p, err := people.ByID(r.Context(), m.pool, id)
		switch {
		case errors.Is(err, people.ErrNotFound):
		case err != nil:
			return r, fmt.Errorf("session: loading its person: %w", err)
		default:
			at, _ := sess.Values[authTimeKey].(int64)
			id, _ := sess.Values[loginKey].(string)
			l = Login{Person: p, AuthTime: time.Unix(at, 0), Methods: methods(sess.Values[methodsKey]), ID: id}
		}
	}
	return r.WithContext(NewContext(r.Context(), l)), nil
}

// get is the request's session, read from the store once per request
// (gorilla keeps it in the request's registry).
func (m *Manager) get(r *http.Request) (*sessions.Session, error) {
	sess, err := m.store.Get(r, m.name)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return sess, nil
}

// methods reads the stored amr; a session from before they were stored
// was opened with a password.
func methods(v any) []string {
	s, _ := v.(string)
	if s == "" {
		return []string{Password}
	}
	return strings.Fields(s)
}

// LogIn starts a fresh session (new id: no fixation) for p, who entered
// their password at at. The relying party's login the browser was on stays.
func (m *Manager) LogIn(w http.ResponseWriter, r *http.Request, p *people.Person, at time.Time) error {
	return m.LogInWith(w, r, p, at, []string{Password})
}

// LogInWith is LogIn for a login that proved itself by amr (a passkey, a
// password and a second factor). A second factor given later in the same
// session (a step-up) logs in again with both: the session gets a new id
// whenever it gains a factor.
func (m *Manager) LogInWith(w http.ResponseWriter, r *http.Request, p *people.Person, at time.Time, amr []string) error {
	return m.renew(w, r, map[any]any{personKey: p.ID, authTimeKey: at.Unix(), methodsKey: strings.Join(amr, " "),
		loginKey: randomID()})
}

// renew gives the session a new id and values, keeping the relying
// party's login the browser was on.
func (m *Manager) renew(w http.ResponseWriter, r *http.Request, values map[any]any) error {
	sess, err := m.get(r)
	if err != nil {
		return err
	}
	flow := sess.Values[flowKey]
	if err := m.store.renew(r.Context(), sess); err != nil {
		return err
	}
	sess.Values = values
	if flow != nil {
		sess.Values[flowKey] = flow
	}
	return sess.Save(r, w)
}

// Awaiting is a login that gave its first factor and waits for its second.
type Awaiting struct {
	PersonID string
	At       time.Time // when the first factor was given
	Methods  []string  // how
}

// AwaitSecondFactor remembers that p gave a first factor (amr) at at and
// must now give a second. Nobody is logged in by it: the session gets a new
// id and loses any login it had, except p's own (a step-up keeps it).
func (m *Manager) AwaitSecondFactor(w http.ResponseWriter, r *http.Request, p *people.Person, at time.Time, amr []string) error {
	sess, err := m.get(r)
	if err != nil {
		return err
	}
	values := map[any]any{awaitingKey: p.ID, awaitingAtKey: at.Unix(), awaitingMethodsKey: strings.Join(amr, " ")}
	if id, _ := sess.Values[personKey].(string); id == p.ID {
		for _, k := range []string{personKey, authTimeKey, methodsKey, loginKey} {
			values[k] = sess.Values[k]
		}
	}
	return m.renew(w, r, values)
}

// AwaitingSecondFactor is the login AwaitSecondFactor remembered, if any.
func (m *Manager) AwaitingSecondFactor(r *http.Request) (Awaiting, bool) {
	sess, err := m.get(r)
	if err != nil {
		return Awaiting{}, false
	}
	id, _ := sess.Values[awaitingKey].(string)
	at, _ := sess.Values[awaitingAtKey].(int64)
	if id == "" {
		return Awaiting{}, false
	}
	return Awaiting{PersonID: id, At: time.Unix(at, 0), Methods: methods(sess.Values[awaitingMethodsKey])}, true
}

// BeginCeremony gives the session a new random handle for a passkey
// ceremony and returns it: the ceremony's challenge is stored under it, so
// only this browser can finish what it began.
func (m *Manager) BeginCeremony(w http.ResponseWriter, r *http.Request) (string, error) {
	sess, err := m.get(r)
	if err != nil {
		return "", err
	}
	handle := randomID()
	sess.Values[ceremonyKey] = handle
	return handle, sess.Save(r, w)
}

// Ceremony is the handle BeginCeremony gave the session, or "".
func (m *Manager) Ceremony(r *http.Request) string {
	return m.value(r, ceremonyKey)
}

// LogOut ends the request's session, here and on every replica, and tells
// the browser to drop its cookie.
func (m *Manager) LogOut(w http.ResponseWriter, r *http.Request) error {
	sess, err := m.get(r)
	if err != nil {
		return err
	}
	sess.Options.MaxAge = -1
	return sess.Save(r, w)
}

// SetFlow remembers the auth request a sign-up, verification or password
// reset continues, so the relying party's login completes afterwards; ""
// forgets it.
func (m *Manager) SetFlow(w http.ResponseWriter, r *http.Request, authRequestID string) error {
	sess, err := m.get(r)
	if err != nil {
		return err
	}
	if authRequestID == "" {
		delete(sess.Values, flowKey)
	} else {
		sess.Values[flowKey] = authRequestID
	}
	return sess.Save(r, w)
}

// Flow is the auth request remembered by SetFlow, if any.
func (m *Manager) Flow(r *http.Request) string {
	return m.value(r, flowKey)
}

// BeginSignUp remembers, in one save whatever the address turned out to be,
// the auth request a sign-up continues and the id its person will have if
// the address was new: the mailed link, opened in this browser, then logs
// them in (see SignedUpAs). Nobody is logged in by the sign-up itself, so a
// registered address and a new one get the same session and cookie.
func (m *Manager) BeginSignUp(w http.ResponseWriter, r *http.Request, authRequestID, personID string) error {
	sess, err := m.get(r)
	if err != nil {
		return err
	}
	sess.Values[flowKey] = authRequestID
	sess.Values[signUpKey] = personID
	return sess.Save(r, w)
}

// SignedUpAs is the id of the sign-up this browser made, if any (see
// BeginSignUp): a link confirming that sign-up confirms it here with the
// password typed at sign-up; anywhere else it asks for one
// (admission.Proof).
func (m *Manager) SignedUpAs(r *http.Request) string {
	return m.value(r, signUpKey)
}

func (m *Manager) value(r *http.Request, key string) string {
	sess, err := m.get(r)
	if err != nil {
		return ""
	}
	v, _ := sess.Values[key].(string)
	return v
}

// randomID is 256 random bits, URL-safe.
func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
