package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/people"
)

// Session values besides personKey.
const (
	authTimeKey = "auth_time"    // unix seconds of the last password check
	flowKey     = "auth_request" // the auth request a sign-up or reset continues
	signUpKey   = "signed_up_as" // the id a sign-up in this browser would give its person
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
	AuthTime time.Time      // when they last entered their password
}

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
			l = Login{Person: p, AuthTime: time.Unix(at, 0)}
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

// LogIn starts a fresh session (new id: no fixation) for p, who entered
// their password at at. The relying party's login the browser was on stays.
func (m *Manager) LogIn(w http.ResponseWriter, r *http.Request, p *people.Person, at time.Time) error {
	sess, err := m.get(r)
	if err != nil {
		return err
	}
	flow := sess.Values[flowKey]
	if err := m.store.renew(r.Context(), sess); err != nil {
		return err
	}
	sess.Values = map[any]any{personKey: p.ID, authTimeKey: at.Unix()}
	if flow != nil {
		sess.Values[flowKey] = flow
	}
	return sess.Save(r, w)
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

// SignedUpAs is the id of the person a sign-up in this browser made, if it
// made one (see BeginSignUp).
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
