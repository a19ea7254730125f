package oidc

import (
	"testing"
	"time"
)

// TestAcceptsLogin: which existing login may answer an authorization
// request without the password being asked for.
func TestAcceptsLogin(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 30, 500e6, time.UTC)
	now := created.Add(time.Minute)
	earlier := created.Add(-time.Hour)
	during := created.Add(10 * time.Second)
	zero, hour := int32(0), int32(3600)
	tests := []struct {
		name     string
		req      AuthRequest
		authTime time.Time
		want     bool
	}{
		{"nothing asked", AuthRequest{}, earlier, true},
		{"prompt=login, logged in before", AuthRequest{Prompt: []string{"login"}}, earlier, false},
		{"prompt=login, logged in for it", AuthRequest{Prompt: []string{"login"}}, during, true},
		{"prompt=login, in the same second (the session keeps seconds)", AuthRequest{Prompt: []string{"login"}}, created.Truncate(time.Second), true},
		{"max_age=0, logged in before", AuthRequest{MaxAge: &zero}, earlier, false},
		{"max_age=0, logged in for it", AuthRequest{MaxAge: &zero}, during, true},
		{"max_age not passed", AuthRequest{MaxAge: &hour}, created.Add(-time.Minute), true},
		{"max_age passed", AuthRequest{MaxAge: &hour}, earlier.Add(-time.Second), false},
		{"hint names the person", AuthRequest{HintSubject: "kim"}, earlier, true},
		{"hint names someone else", AuthRequest{HintSubject: "jack"}, earlier, false},
		{"hint names someone else, who logged in for it", AuthRequest{HintSubject: "jack"}, during, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.CreatedAt = created
			if got := tt.req.AcceptsLogin("kim", tt.authTime, now); got != tt.want {
				t.Errorf("AcceptsLogin = %v, want %v", got, tt.want)
			}
		})
	}
}
