package page

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/session"
)

// Session values besides session.PersonKey.
const (
	authTimeKey = "auth_time"    // unix seconds of the last password check
	flowKey     = "auth_request" // the auth request a sign-up or reset continues
	signUpKey   = "signed_up_as" // the id a sign-up in this browser would give its person
)

// Sessions logs people in and out of the browser session.
type Sessions struct {
	Store *session.Store
	Name  string // the cookie name
}

// CookieName is __Host- prefixed when secure: the browser then refuses it
// from any subdomain or over http.
func CookieName(secure bool) string {
	if secure {
		return "__Host-coopgate"
	}
	return "coopgate"
}

func (s *Sessions) get(r *http.Request) (*sessions.Session, error) {
	sess, err := s.Store.Get(r, s.Name)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return sess, nil
}

// PersonID is the logged-in person's id and when they entered their password.
func (s *Sessions) PersonID(r *http.Request) (id string, authTime time.Time, err error) {
	sess, err := s.get(r)
	if err != nil {
		return "", time.Time{}, err
	}
	id, _ = sess.Values[session.PersonKey].(string)
	at, _ := sess.Values[authTimeKey].(int64)
	return id, time.Unix(at, 0), nil
}

// LogIn starts a fresh session (new id: no fixation) for p.
func (s *Sessions) LogIn(w http.ResponseWriter, r *http.Request, p *people.Person, at time.Time) error {
	sess, err := s.get(r)
	if err != nil {
		return err
	}
	flow := sess.Values[flowKey]
	if err := s.Store.Renew(r.Context(), sess); err != nil {
		return err
	}
	sess.Values = map[any]any{session.PersonKey: p.ID, authTimeKey: at.Unix()}
	if flow != nil {
		sess.Values[flowKey] = flow
	}
	return sess.Save(r, w)
}

// LogOut ends the session, here and on every replica.
func (s *Sessions) LogOut(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.get(r)
	if err != nil {
		return err
	}
	sess.Options.MaxAge = -1
	return sess.Save(r, w)
}

// EndFromContext ends the session of the request whose id middleware put in
// ctx: RP-initiated logout reaches the storage without the request.
func (s *Sessions) EndFromContext(ctx context.Context) error {
	id, _ := ctx.Value(sessionIDKey).(string)
	if id == "" {
		return nil
	}
	return s.Store.Delete(ctx, id)
}

// WithSessionID puts the request's session id in its context (see EndFromContext).
func (s *Sessions) WithSessionID(r *http.Request) *http.Request {
	sess, err := s.get(r)
	if err != nil || sess.IsNew {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), sessionIDKey, sess.ID))
}

// SetFlow remembers the auth request a sign-up, verification or password
// reset continues, so the relying party's login completes afterwards.
func (s *Sessions) SetFlow(w http.ResponseWriter, r *http.Request, authRequestID string) error {
	sess, err := s.get(r)
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

// BeginSignUp remembers, in one save whatever the address turned out to be,
// the auth request a sign-up continues and the id its person will have if
// the address was new: the mailed link, opened in this browser, then logs
// them in (see SignedUpAs). Nobody is logged in by the sign-up itself, so a
// registered address and a new one get the same session and cookie.
func (s *Sessions) BeginSignUp(w http.ResponseWriter, r *http.Request, authRequestID, personID string) error {
	sess, err := s.get(r)
	if err != nil {
		return err
	}
	sess.Values[flowKey] = authRequestID
	sess.Values[signUpKey] = personID
	return sess.Save(r, w)
}

// SignedUpAs is the id of the person a sign-up in this browser made, if it
// made one (see BeginSignUp).
func (s *Sessions) SignedUpAs(r *http.Request) string {
	sess, err := s.get(r)
	if err != nil {
		return ""
	}
	id, _ := sess.Values[signUpKey].(string)
	return id
}

// Flow is the auth request remembered by SetFlow, if any.
func (s *Sessions) Flow(r *http.Request) string {
	sess, err := s.get(r)
	if err != nil {
		return ""
	}
	id, _ := sess.Values[flowKey].(string)
	return id
}
