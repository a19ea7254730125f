package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeLoginServer imitates the provisional coopgate login page: a POST
// form with email, password and the hidden csrf_token and id.
func fakeLoginServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "csrf", Value: "tok"})
		http.Redirect(w, r, "/login?id=req1&state="+r.URL.Query().Get("state"), http.StatusFound)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html><body><form method="post" action="/login">
<input type="hidden" name="csrf_token" value="tok"><input type="hidden" name="id" value="req1">
<input type="hidden" name="state" value="%s">
<input type="email" name="email"><input type="password" name="password">
<input type="checkbox" name="remember"><button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel">Cancel</button></form></body></html>`, r.URL.Query().Get("state"))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("csrf")
		ok := err == nil && r.Header.Get("Origin") != "" && strings.HasPrefix(r.Referer(), "http://"+r.Host+"/login") &&
			c.Value == r.FormValue("csrf_token") && r.FormValue("id") == "req1" &&
			r.FormValue("action") == "sign-in" && !r.Form.Has("remember") &&
			r.FormValue("email") == "a@bench.test" && r.FormValue("password") == "right"
		if !ok {
			http.Redirect(w, r, "/login?id=req1", http.StatusSeeOther) // shown again
			return
		}
		http.Redirect(w, r, "http://127.0.0.1:9/cb?code=c1&state="+r.FormValue("state"), http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowseSignsInThroughAForm(t *testing.T) {
	srv := fakeLoginServer(t)
	f := loginForm{UsernameField: "email", PasswordField: "password"}
	for _, tc := range []struct {
		name, password string
		wantErr        string
	}{
		{"right password", "right", ""},
		{"wrong password", "wrong", "form shown again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := browse(context.Background(), newBrowser(srv.Client().Transport),
				srv.URL+"/authorize?state=s1", f, Account{Username: "a@bench.test", Password: tc.password})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.String(); got != "http://127.0.0.1:9/cb?code=c1&state=s1" {
				t.Errorf("left the server for %s", got)
			}
		})
	}
}

func TestCodeFromChecksRedirectAndState(t *testing.T) {
	rp := &relyingParty{client: benchClient()}
	ar := authRequest{State: "s1"}
	for _, tc := range []struct {
		loc, want, wantErr string
	}{
		{"http://127.0.0.1:9/cb?code=c1&state=s1", "c1", ""},
		{"http://127.0.0.1:9/cb?code=c1&state=s2", "", "state"},
		{"http://127.0.0.1:9/cb?error=access_denied&state=s1", "", "access_denied"},
		{"http://127.0.0.1:9/elsewhere?code=c1&state=s1", "", "not the redirect URI"},
	} {
		u := mustParse(t, tc.loc)
		got, err := rp.codeFrom(ar, u)
		if got != tc.want || (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("codeFrom(%s) = %q, %v; want %q, %q", tc.loc, got, err, tc.want, tc.wantErr)
		}
	}
}
