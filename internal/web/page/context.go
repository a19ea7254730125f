package page

import (
	"context"
	"net/http"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	clientIPKey
	personKey
	sessionIDKey
)

// WithRequestID, WithClientIP and WithPerson are set by the server's middleware.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey, ip)
}

func WithPerson(ctx context.Context, p *people.Person) context.Context {
	return context.WithValue(ctx, personKey, p)
}

// RequestID is the id of the request, as logged.
func RequestID(ctx context.Context) string { s, _ := ctx.Value(requestIDKey).(string); return s }

// ClientIP is the address of the browser (behind trusted proxies, theirs).
func ClientIP(ctx context.Context) string { s, _ := ctx.Value(clientIPKey).(string); return s }

// Me is the logged-in person, or nil.
func Me(ctx context.Context) *people.Person { p, _ := ctx.Value(personKey).(*people.Person); return p }

// Actor is the audit actor for the request.
func Actor(r *http.Request) audit.Actor {
	a := audit.Actor{IP: ClientIP(r.Context()), RequestID: RequestID(r.Context()), Label: "anonymous"}
	if me := Me(r.Context()); me != nil {
		a.PersonID, a.Label = me.ID, me.Email
	}
	return a
}
