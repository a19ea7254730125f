package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestOutageStopsAndStartsWithItsData(t *testing.T) {
	o := NewOutage(t)
	ctx := context.Background()
	if err := exec(ctx, o.URL, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	o.Stop()
	if err := exec(ctx, o.URL, "SELECT 1"); err == nil {
		t.Fatal("a query succeeded while the server was stopped")
	}
	o.Start(t)
	conn, err := pgx.Connect(ctx, o.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err != nil || n != 7 {
		t.Fatalf("after restart: n=%d err=%v, want 7", n, err)
	}
}
