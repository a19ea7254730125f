package register

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
)

func parseText(t *testing.T, text string) []Row {
	t.Helper()
	res, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res.Rows
}

func preview(t *testing.T, pool *pgxpool.Pool, text string) Plan {
	t.Helper()
	plan, err := Preview(context.Background(), pool, parseText(t, text))
	if err != nil {
		t.Fatalf("Preview: %v", err)
	}
	return plan
}

func lines(ps []Planned) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.Line)
	}
	return out
}

// The preview must say what the import then does, row by row, or the
// secretary confirms something other than what happens.
func TestPreviewAgreesWithImport(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	file := exampleFile(t)
	first := preview(t, pool, file)
	if got := first.Summary(); got != (Summary{Added: 3}) {
		t.Fatalf("preview of an empty register: %+v", got)
	}
	if got := importText(t, pool, file); got != first.Summary() {
		t.Fatalf("import %+v, preview said %+v", got, first.Summary())
	}
	if got := preview(t, pool, file).Summary(); got != (Summary{Unchanged: 3}) {
		t.Fatalf("preview of the same file again: %+v", got)
	}

	changed := strings.Replace(file, "Carol Patel", "Carol Patel-Jones", 1) +
		"4,Dev Shah,,dev@example.org,worker,1,1.00,2024-02-01,,,paid\r\n"
	plan := preview(t, pool, changed)
	if !reflect.DeepEqual(lines(plan.Added), []int{7}) || len(plan.Updated) != 1 || len(plan.Unchanged) != 2 {
		t.Fatalf("plan: added %v updated %v unchanged %v", lines(plan.Added), lines(plan.Updated), lines(plan.Unchanged))
	}
	want := []Change{{Field: "name", From: "Carol Patel", To: "Carol Patel-Jones"}}
	if got := plan.Updated[0].Changes; !reflect.DeepEqual(got, want) {
		t.Errorf("changes = %+v, want %+v", got, want)
	}
	if got := importText(t, pool, changed); got != plan.Summary() {
		t.Errorf("import %+v, preview said %+v", got, plan.Summary())
	}
}

// Values written differently but stored the same (case of emails, a date in
// another layout, amounts without pence) are no change, as for the upsert.
func TestPreviewComparesNormalisedValues(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	importText(t, pool, exampleFile(t))
	respelled := "membership_number,name,emails,amount_paid,admitted_on\n" +
		"1,Ann Smith,ANN@example.org;ann.smith@work.example.com,1,01/04/2019\n"
	plan := preview(t, pool, respelled)
	if got := plan.Summary(); got != (Summary{Unchanged: 1}) {
		t.Fatalf("plan %+v, changes %+v", got, plan.Updated)
	}
	if got := importText(t, pool, respelled); got != (Summary{Unchanged: 1}) {
		t.Errorf("import: %+v", got)
	}
}

func TestPreviewRefusesWhatImportRefuses(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	rows := []Row{{Line: 2, Entry: Entry{MembershipNumber: "1", Name: ""}}}
	_, err := Preview(context.Background(), pool, rows)
	var invalid *InvalidEntryError
	if !errors.As(err, &invalid) {
		t.Fatalf("Preview = %v, want an InvalidEntryError", err)
	}
}

func TestUploadIsTakenOnce(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	secretary := peopletest.Admitted(t, pool, "sec@example.coop", people.RoleSecretary).ID
	id, err := SaveUpload(ctx, pool, secretary, "members.csv", []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	take := func(id, by string, commit bool) (*Upload, error) {
		var u *Upload
		err := database.InTx(ctx, pool, func(tx pgx.Tx) error {
			var err error
			if u, err = TakeUpload(ctx, tx, id, by); err != nil || commit {
				return err
			}
			return errors.New("roll back")
		})
		return u, err
	}
	if _, err := take(id, "00000000-0000-0000-0000-000000000000", true); !errors.Is(err, ErrUploadGone) {
		t.Errorf("someone else's take = %v, want ErrUploadGone", err)
	}
	if _, err := take("not-a-uuid", secretary, true); !errors.Is(err, ErrUploadGone) {
		t.Errorf("take of a bad id = %v, want ErrUploadGone", err)
	}
	if _, err := take(id, secretary, false); err == nil || errors.Is(err, ErrUploadGone) {
		t.Fatalf("rolled-back take = %v", err)
	}
	u, err := take(id, secretary, true)
	if err != nil || string(u.Data) != "data" || u.FileName != "members.csv" {
		t.Fatalf("take after a rollback = %+v, %v", u, err)
	}
	if _, err := take(id, secretary, true); !errors.Is(err, ErrUploadGone) {
		t.Errorf("second take = %v, want ErrUploadGone", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE register_uploads SET created_at = now() - interval '2 days'`); err != nil {
		t.Fatal(err)
	}
	old, _ := SaveUpload(ctx, pool, secretary, "a.csv", []byte("a"))
	if _, err := pool.Exec(ctx, `UPDATE register_uploads SET created_at = now() - interval '2 days' WHERE id = $1`, old); err != nil {
		t.Fatal(err)
	}
	if _, err := take(old, secretary, true); !errors.Is(err, ErrUploadGone) {
		t.Errorf("take of an expired upload = %v, want ErrUploadGone", err)
	}
	if _, err := SaveUpload(ctx, pool, secretary, "b.csv", []byte("b")); err != nil {
		t.Fatal(err)
	}
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM register_uploads`).Scan(&n)
	if n != 1 {
		t.Errorf("%d uploads kept, want only the fresh one (expired ones are deleted)", n)
	}
}
