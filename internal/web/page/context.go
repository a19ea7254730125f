package page

import (
	"context"
	"net/http"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/session"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	clientIPKey
	secondFactorRolesKey
)

// WithRequestID and WithClientIP are set by the server's middleware.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey, ip)
}

// RequestID is the id of the request, as logged.
func RequestID(ctx context.Context) string { s, _ := ctx.Value(requestIDKey).(string); return s }

// ClientIP is the address of the browser (behind trusted proxies, theirs).
func ClientIP(ctx context.Context) string { s, _ := ctx.Value(clientIPKey).(string); return s }

// Me is the logged-in person, as the session manager put them in the
// request's context, or nil.
func Me(ctx context.Context) *people.Person { return session.FromContext(ctx).Person }

// Actor is the audit actor for the request.
func Actor(r *http.Request) audit.Actor {
	a := audit.Actor{IP: ClientIP(r.Context()), RequestID: RequestID(r.Context()), Label: "anonymous"}
	if me := Me(r.Context()); me != nil {
		a.PersonID, a.Label = me.ID, me.Email
	}
	return a
}

// WithSecondFactorRoles is set by the server's middleware: the roles whose
// holders must log in with a second factor (security.require_second_factor).
// It rides in the context because the guards are plain functions every
// area wraps its pages in.
func WithSecondFactorRoles(ctx context.Context, roles []string) context.Context {
	return context.WithValue(ctx, secondFactorRolesKey, roles)
}

// SecondFactorDue reports whether the logged-in person holds a role that
// requires a second factor and their session was opened without one.
func SecondFactorDue(ctx context.Context) bool {
	l := session.FromContext(ctx)
	roles, _ := ctx.Value(secondFactorRolesKey).([]string)
	return l.Person != nil && l.Person.HasAnyRole(roles) && !l.MultiFactor()
}
