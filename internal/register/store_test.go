package register

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/pgtest"
)

func importText(t *testing.T, pool *pgxpool.Pool, text string) Summary {
	t.Helper()
	res, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var sum Summary
	err = database.InTx(context.Background(), pool, func(tx pgx.Tx) error {
		sum, err = Import(context.Background(), tx, res.Rows)
		return err
	})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return sum
}

func exampleFile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/example.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// updatedAt maps membership number to updated_at.
func updatedAt(t *testing.T, pool *pgxpool.Pool) map[string]time.Time {
	t.Helper()
	page, err := List(context.Background(), pool, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]time.Time{}
	for _, e := range page.Entries {
		m[e.MembershipNumber] = e.UpdatedAt
	}
	return m
}

func TestImportTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	file := exampleFile(t)
	if got := importText(t, pool, file); got != (Summary{Added: 3}) {
		t.Fatalf("first import: %+v", got)
	}
	before := updatedAt(t, pool)
	if got := importText(t, pool, file); got != (Summary{Unchanged: 3}) {
		t.Fatalf("second import: %+v", got)
	}
	if after := updatedAt(t, pool); !reflect.DeepEqual(before, after) {
		t.Errorf("updated_at moved: %v -> %v", before, after)
	}
}

func TestImportReportsChangedRows(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	importText(t, pool, exampleFile(t))
	before := updatedAt(t, pool)
	changed := strings.Replace(exampleFile(t), "Carol Patel", "Carol Patel-Jones", 1) +
		"4,Dev Shah,,dev@example.org,worker,1,1.00,2024-02-01,,,paid\r\n"
	if got := importText(t, pool, changed); got != (Summary{Added: 1, Updated: 1, Unchanged: 2}) {
		t.Fatalf("import: %+v", got)
	}
	after := updatedAt(t, pool)
	if !after["3"].After(before["3"]) {
		t.Errorf("updated_at of the changed row did not move: %v -> %v", before["3"], after["3"])
	}
	if !after["1"].Equal(before["1"]) || !after["2"].Equal(before["2"]) {
		t.Errorf("updated_at of unchanged rows moved")
	}
	e, err := GetByNumber(context.Background(), pool, "3")
	if err != nil || e.Name != "Carol Patel-Jones" {
		t.Errorf("GetByNumber(3) = %+v, %v", e, err)
	}
}

// A file without a column must not wipe what the register holds for it.
func TestImportUpdatesOnlyTheFileColumns(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	err := database.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := Upsert(ctx, tx, Entry{MembershipNumber: "oc-8764", Name: "Ann", PostalAddress: "1 High St",
			SharesHeld: 5, Emails: []string{"old@example.org"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := importText(t, pool, ocExport[:strings.Index(ocExport, "\n\"8765\"")]); got != (Summary{Updated: 1}) {
		t.Fatalf("import: %+v", got)
	}
	e, err := GetByNumber(ctx, pool, "oc-8764")
	if err != nil {
		t.Fatal(err)
	}
	if e.PostalAddress != "1 High St" || e.SharesHeld != 5 || e.Name != "Ann Smith" ||
		!reflect.DeepEqual(e.Emails, []string{"ann@example.org"}) || e.Source != "opencollective" {
		t.Errorf("after import: %+v", e)
	}
}

func TestImportRefusesInvalidRowsAndStoresNothing(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	rows := []Row{
		{Line: 2, Entry: Entry{MembershipNumber: "1", Name: "Ann"}},
		{Line: 3, Entry: Entry{MembershipNumber: "2", Name: "Bob", Emails: []string{"not an address"}}},
	}
	err := database.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := Import(ctx, tx, rows)
		return err
	})
	var invalid *InvalidEntryError
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("Import = %v, want an InvalidEntryError on line 3", err)
	}
	if page, _ := List(ctx, pool, Filter{}); page.Total != 0 {
		t.Errorf("%d entries stored", page.Total)
	}
}

func TestFindActiveByEmail(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	today := dateOf(time.Now().UTC())
	// Two days either side of today, so that the server's time zone cannot matter.
	past, future := today.AddDate(0, 0, -2), today.AddDate(0, 0, 2)
	admitted := date("2020-01-01")
	entries := []Entry{
		{MembershipNumber: "1", Name: "Ann", Emails: []string{"ann@example.org", "ann@work.example.com"}},
		{MembershipNumber: "2", Name: "Bob", Emails: []string{"bob@example.org"}, AdmittedOn: admitted, CeasedOn: &past},
		{MembershipNumber: "3", Name: "Cy", Emails: []string{"cy@example.org"}, AdmittedOn: admitted, CeasedOn: &future},
		{MembershipNumber: "OC-4", Name: "Di (former)", Emails: []string{"home@example.org"}, AdmittedOn: date("2010-01-01"), CeasedOn: &past},
		{MembershipNumber: "5", Name: "Di", Emails: []string{"home@example.org"}, AdmittedOn: date("2021-01-01")},
		{MembershipNumber: "6", Name: "Ed", Emails: []string{"home@example.org"}, AdmittedOn: date("2022-01-01")},
	}
	upsertAll(t, pool, entries)
	tests := []struct {
		email, number string
		want          string // membership number; "" for ErrNotFound
	}{
		{" Ann@Work.Example.com ", "", "1"},
		{"ann@example.org", "", "1"},
		{"bob@example.org", "", ""},
		{"cy@example.org", "", "3"},
		{"home@example.org", "", "5"}, // the earliest admitted active entry
		{"nobody@example.org", "", ""},
		{"", "", ""},
		{"ann@example.org", "1", "1"},
		{"ann@example.org", "3", ""},
		{"home@example.org", "6", "6"},
		{"home@example.org", "oc-4", ""}, // ceased
		{"bob@example.org", "2", ""},
	}
	for _, tt := range tests {
		var got *Entry
		var err error
		if tt.number == "" {
			got, err = FindActiveByEmail(ctx, pool, tt.email)
		} else {
			got, err = FindActiveByEmailAndNumber(ctx, pool, tt.email, tt.number)
		}
		switch {
		case tt.want == "" && !errors.Is(err, ErrNotFound):
			t.Errorf("%q %q: got %+v, %v, want ErrNotFound", tt.email, tt.number, got, err)
		case tt.want != "" && (err != nil || got.MembershipNumber != tt.want || got.ID == 0):
			t.Errorf("%q %q: got %+v, %v, want entry %s", tt.email, tt.number, got, err, tt.want)
		}
	}
}

func TestFindActiveByNumberIgnoresCase(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	upsertAll(t, pool, []Entry{{MembershipNumber: "OC-77", Name: "X", Emails: []string{"x@example.org"}}})
	got, err := FindActiveByEmailAndNumber(context.Background(), pool, "x@example.org", " oc-77 ")
	if err != nil || got.MembershipNumber != "OC-77" {
		t.Errorf("got %+v, %v", got, err)
	}
}

func upsertAll(t *testing.T, pool *pgxpool.Pool, entries []Entry) {
	t.Helper()
	ctx := context.Background()
	err := database.InTx(ctx, pool, func(tx pgx.Tx) error {
		for _, e := range entries {
			if _, err := Upsert(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExportParseRoundTrip(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	importText(t, pool, exampleFile(t))
	importText(t, pool, ocExport[:strings.Index(ocExport, "\n\"8768\"")])
	upsertAll(t, pool, []Entry{{
		MembershipNumber: "=HYPERLINK(\"x\")", Name: "'=odd, \"quoted\"", PostalAddress: "line 1\n-line 2",
		Emails: []string{"+tag@example.org"}, Class: "@investor", SharesHeld: 2147483647,
		AmountPaidPence: 99999999999999 % maxPence, AdmittedOn: date("1844-12-21"), CeasedOn: date("9999-12-31"),
		CeasedReason: "expelled", DuesStatus: DuesUnpaid, PaidUntil: date("2025-12-31"),
	}})
	var buf bytes.Buffer
	if err := ExportCSV(ctx, pool, &buf); err != nil {
		t.Fatal(err)
	}
	res, err := Parse(bytes.NewReader(buf.Bytes()))
	if err != nil || res.Err() != nil {
		t.Fatalf("Parse(export): %v %v", err, res.Errors)
	}
	page, err := List(ctx, pool, Filter{Limit: MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(page.Entries) || len(res.Rows) != 7 {
		t.Fatalf("exported %d rows of %d entries", len(res.Rows), len(page.Entries))
	}
	for i, r := range res.Rows {
		stored := page.Entries[i]
		stored.ID, stored.CreatedAt, stored.UpdatedAt = 0, time.Time{}, time.Time{}
		if !reflect.DeepEqual(r.Entry, stored) {
			t.Errorf("row %d\n parsed %+v\n stored %+v", i, r.Entry, stored)
		}
	}
	if got := importText(t, pool, buf.String()); got != (Summary{Unchanged: 7}) {
		t.Errorf("re-importing the export: %+v", got)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	past := date("2023-01-01")
	upsertAll(t, pool, []Entry{
		{MembershipNumber: "10", Name: "Ann Smith", Emails: []string{"ann@example.org"}},
		{MembershipNumber: "9", Name: "Bob 100% Jones", Emails: []string{"bob@smith.example.com"}},
		{MembershipNumber: "11", Name: "Cy", CeasedOn: past, CeasedReason: "resigned"},
		{MembershipNumber: "A_1", Name: "Di"},
	})
	tests := []struct {
		filter Filter
		want   []string
		total  int
	}{
		{Filter{}, []string{"9", "10", "11", "A_1"}, 4},
		{Filter{Search: "SMITH"}, []string{"9", "10"}, 2},
		{Filter{Search: "ann@"}, []string{"10"}, 1},
		{Filter{Search: "100%"}, []string{"9"}, 1},
		{Filter{Search: "A_"}, []string{"A_1"}, 1},
		{Filter{Search: "1"}, []string{"9", "10", "11", "A_1"}, 4},
		{Filter{Standing: StandingCeased}, []string{"11"}, 1},
		{Filter{Standing: StandingActive, Limit: 2}, []string{"9", "10"}, 3},
		{Filter{Standing: StandingActive, Limit: 2, Offset: 2}, []string{"A_1"}, 3},
		{Filter{Offset: 10}, nil, 4},
	}
	for _, tt := range tests {
		page, err := List(ctx, pool, tt.filter)
		if err != nil {
			t.Fatalf("%+v: %v", tt.filter, err)
		}
		var got []string
		for _, e := range page.Entries {
			got = append(got, e.MembershipNumber)
		}
		if !reflect.DeepEqual(got, tt.want) || page.Total != tt.total {
			t.Errorf("%+v: got %v of %d, want %v of %d", tt.filter, got, page.Total, tt.want, tt.total)
		}
	}
	if _, err := List(ctx, pool, Filter{Standing: "lapsed"}); err == nil {
		t.Error("unknown standing accepted")
	}
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	var first, again *Entry
	err := database.InTx(ctx, pool, func(tx pgx.Tx) (err error) {
		first, err = Upsert(ctx, tx, Entry{MembershipNumber: " 7 ", Name: "Ann", AmountPaidPence: 1234567, Emails: []string{"A@Example.org"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == 0 || first.Source != "admin" || first.AmountPaidPence != 1234567 || first.DuesStatus != DuesUnknown ||
		!reflect.DeepEqual(first.Emails, []string{"a@example.org"}) {
		t.Errorf("stored %+v", first)
	}
	err = database.InTx(ctx, pool, func(tx pgx.Tx) (err error) {
		again, err = Upsert(ctx, tx, Entry{MembershipNumber: "7", Name: "Ann", AmountPaidPence: 1234567, Emails: []string{"a@example.org"}})
		return err
	})
	if err != nil || again.ID != first.ID || !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Errorf("unchanged upsert: %+v, %v (first %+v)", again, err, first)
	}
	got, err := Get(ctx, pool, first.ID)
	if err != nil || got.MembershipNumber != "7" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := Get(ctx, pool, first.ID+1); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}
	err = database.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := Upsert(ctx, tx, Entry{MembershipNumber: "8", DuesStatus: "late"})
		return err
	})
	var invalid *InvalidEntryError
	if !errors.As(err, &invalid) || len(invalid.Problems) != 2 {
		t.Errorf("invalid upsert: %v", err)
	}
}
