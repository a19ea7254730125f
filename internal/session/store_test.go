package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
)

func cookieFrom(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cs := rec.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("%d cookies set", len(cs))
	}
	return cs[0]
}

func TestStoreRoundTripAcrossStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	personID := peopletest.Admitted(t, pool, "ann@example.coop").ID
	// Two replicas: same secret, same database, separate processes' stores.
	a, b := newStore(pool, "a-secret-of-at-least-32-characters!", time.Hour, true), newStore(pool, "a-secret-of-at-least-32-characters!", time.Hour, true)

	req := httptest.NewRequest("GET", "/", nil)
	sess, _ := a.New(req, "s")
	sess.Values[personKey] = personID
	rec := httptest.NewRecorder()
	if err := a.Save(req, rec, sess); err != nil {
		t.Fatal(err)
	}
	c := cookieFrom(t, rec)
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie flags: secure=%v httponly=%v samesite=%v", c.Secure, c.HttpOnly, c.SameSite)
	}

	req2 := httptest.NewRequest("GET", "/", nil)
	req2.AddCookie(c)
	got, err := b.New(req2, "s")
	if err != nil || got.IsNew || got.Values[personKey] != personID {
		t.Fatalf("other replica read %v (new=%v, err=%v)", got.Values, got.IsNew, err)
	}

	if err := EndAllFor(ctx, pool, personID); err != nil {
		t.Fatal(err)
	}
	got, _ = b.New(req2, "s")
	if !got.IsNew {
		t.Error("session survived EndAllFor")
	}
}

func TestForgedAndRenewedSessions(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	s := newStore(pool, "a-secret-of-at-least-32-characters!", time.Hour, false)
	forged := httptest.NewRequest("GET", "/", nil)
	forged.AddCookie(&http.Cookie{Name: "s", Value: "not-a-signed-id"})
	if sess, err := s.New(forged, "s"); err != nil || !sess.IsNew {
		t.Fatalf("forged cookie: new=%v err=%v", sess.IsNew, err)
	}

	req := httptest.NewRequest("GET", "/", nil)
	sess, _ := s.New(req, "s")
	sess.Values["x"] = "1"
	rec := httptest.NewRecorder()
	_ = s.Save(req, rec, sess)
	oldCookie := cookieFrom(t, rec)
	oldID := sess.ID
	if err := s.renew(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	_ = s.Save(req, rec, sess)
	if sess.ID == oldID {
		t.Fatal("Renew kept the id")
	}
	stale := httptest.NewRequest("GET", "/", nil)
	stale.AddCookie(oldCookie)
	if got, _ := s.New(stale, "s"); !got.IsNew {
		t.Error("the pre-login session id still works after Renew (fixation)")
	}
}
