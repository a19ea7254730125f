package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
)

// personKey is the session value that names the logged-in person; it is also
// stored in its own column so all of a person's sessions can be ended.
const personKey = "person_id"

// store is a gorilla/sessions store on PostgreSQL: the browser holds only a
// signed session id; the values live in web_sessions.
type store struct {
	pool    *pgxpool.Pool
	codecs  []securecookie.Codec
	options sessions.Options
}

var _ sessions.Store = (*store)(nil)

// newStore makes a store whose cookie is signed and encrypted with keys
// derived from secret, valid for maxAge, Secure when secure.
func newStore(pool *pgxpool.Pool, secret string, maxAge time.Duration, secure bool) *store {
	hashKey, blockKey := derive(secret, "session-hash"), derive(secret, "session-block")
	codec := securecookie.New(hashKey, blockKey)
	codec.MaxAge(int(maxAge.Seconds()))
	return &store{
		pool:   pool,
		codecs: []securecookie.Codec{codec},
		options: sessions.Options{
			Path: "/", MaxAge: int(maxAge.Seconds()), Secure: secure, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, // sent on the top-level GET from a relying party to /authorize
		},
	}
}

func derive(secret, label string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Get returns the request's session, cached per request by gorilla.
func (s *store) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or a new empty one.
// A missing, forged or expired session is not an error: it is a new session.
func (s *store) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := s.options
	sess.Options, sess.IsNew = &opts, true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	var id string
	if securecookie.DecodeMulti(name, c.Value, &id, s.codecs...) != nil {
		return sess, nil
	}
	found, err := s.load(r.Context(), id, sess)
	if err != nil {
		return sess, err
	}
	if found {
		sess.ID, sess.IsNew = id, false
	}
	return sess, nil
}

func (s *store) load(ctx context.Context, id string, sess *sessions.Session) (bool, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM web_sessions WHERE id = $1 AND expires_at > now()`, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("session: %w", err)
	}
	if err := (securecookie.GobEncoder{}).Deserialize(data, &sess.Values); err != nil {
		return false, nil // a session we can no longer read is no session
	}
	return true, nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Save writes the session and its cookie; MaxAge < 0 deletes both.
func (s *store) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE id = $1`, sess.ID); err != nil {
				return fmt.Errorf("session: %w", err)
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if sess.ID == "" {
		sess.ID = idEncoding.EncodeToString(securecookie.GenerateRandomKey(32))
	}
	if err := s.save(ctx, sess); err != nil {
		return err
	}
	encoded, err := securecookie.EncodeMulti(sess.Name(), sess.ID, s.codecs...)
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), encoded, sess.Options))
	return nil
}

func (s *store) save(ctx context.Context, sess *sessions.Session) error {
	data, err := (securecookie.GobEncoder{}).Serialize(sess.Values)
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	person, _ := sess.Values[personKey].(string)
	expires := time.Now().Add(time.Duration(sess.Options.MaxAge) * time.Second)
	_, err = s.pool.Exec(ctx, `
		INSERT INTO web_sessions (id, person_id, data, expires_at) VALUES ($1, nullif($2, '')::uuid, $3, $4)
		ON CONFLICT (id) DO UPDATE SET person_id = excluded.person_id, data = excluded.data,
		    expires_at = excluded.expires_at, updated_at = now()`, sess.ID, person, data, expires)
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// renew gives the session a new id, deleting the old row: called at login so
// an id planted before login (session fixation) is worth nothing after it.
func (s *store) renew(ctx context.Context, sess *sessions.Session) error {
	if sess.ID != "" {
		if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE id = $1`, sess.ID); err != nil {
			return fmt.Errorf("session: %w", err)
		}
	}
	sess.ID = ""
	return nil
}

// EndAllFor deletes every session of a person, in the caller's transaction.
func EndAllFor(ctx context.Context, q database.Querier, personID string) error {
	if _, err := q.Exec(ctx, `DELETE FROM web_sessions WHERE person_id = $1`, personID); err != nil {
		return fmt.Errorf("ending sessions: %w", err)
	}
	return nil
}

// Prune deletes expired sessions.
func Prune(ctx context.Context, q database.Querier) error {
	_, err := q.Exec(ctx, `DELETE FROM web_sessions WHERE expires_at < now()`)
	return err
}
