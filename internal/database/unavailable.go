package database

import (
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unavailable reports whether err means PostgreSQL could not be reached or
// went away (refused connections, a server shutting down or starting, a
// broken socket), rather than that a query was wrong. Callers answer such
// errors as their own temporary trouble (503, temporarily_unavailable),
// never as the client's fault.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if class := pgErr.Code[:min(2, len(pgErr.Code))]; class == "08" || class == "53" {
			return true // connection exception; insufficient resources (too many connections)
		}
		// admin_shutdown, crash_shutdown, cannot_connect_now (starting up or in recovery)
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.ErrUnexpectedEOF)
}
