package federation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/coopgate/coopgate/internal/federation"
)

// TestImport: each row that changes the ledger becomes a decision with the
// ground and reference chosen (a row's own, else the one for every row);
// a row already decided just so records nothing; the upload is used once.
func TestImport(t *testing.T) {
	h := newHarness(t, noWorkers)
	ctx := context.Background()
	mo, mod := h.moderator(t, "mo@example.coop")
	h.record(t, spamBlock("same.example", federation.Suspend), mod)
	h.record(t, spamBlock("changed.example", federation.Suspend), mod)
	file := "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n" +
		"new.example,silence,false,false,Harassment,false\n" + // line 2
		"same.example,suspend,false,false,Floods of spam,false\n" + // line 3: as decided
		"changed.example,noop,true,false,Media only now,false\n" // line 4
	id, err := federation.SaveUpload(ctx, h.pool, mo.ID, "blocks.csv", []byte(file))
	if err != nil {
		t.Fatal(err)
	}

	_, err = h.svc.Import(ctx, id, federation.Choice{}, map[int]federation.Choice{2: {Ground: federation.Attacks, Reference: "r"}}, mod)
	var p federation.Problems
	if !errors.As(err, &p) || p["line 4"] == "" || p["line 2"] != "" || p["line 3"] != "" {
		t.Fatalf("err %v; want line 4 (no ground, no reference) only", err)
	}
	if n := h.count(t, `SELECT count(*) FROM federation_decisions`); n != 2 {
		t.Fatalf("%d decisions after the refused import", n)
	}

	every := federation.Choice{Ground: federation.Spam, Reference: "https://loomio.example.coop/d/list"}
	sum, err := h.svc.Import(ctx, id, every, map[int]federation.Choice{2: {Ground: federation.Attacks}}, mod)
	if err != nil || sum.Recorded != 2 || sum.Unchanged != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	latest, _ := federation.LatestFor(ctx, h.pool, "new.example")
	if latest.Ground != federation.Attacks || latest.Reference != every.Reference || latest.Source != federation.FromImport || latest.Severity != federation.Silence {
		t.Errorf("new.example: %+v", latest)
	}
	latest, _ = federation.LatestFor(ctx, h.pool, "changed.example")
	if latest.Severity != federation.Noop || !latest.RejectMedia || latest.Ground != federation.Spam {
		t.Errorf("changed.example: %+v", latest)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_events WHERE action = 'federation.import'`); n != 1 {
		t.Errorf("%d import events", n)
	}
	if _, err := h.svc.Import(ctx, id, every, nil, mod); !errors.Is(err, federation.ErrUploadGone) {
		t.Errorf("importing twice: %v", err)
	}
}

// TestImportIsTheUploadersOwn: another moderator cannot confirm it.
func TestImportIsTheUploadersOwn(t *testing.T) {
	h := newHarness(t, noWorkers)
	ctx := context.Background()
	mo, _ := h.moderator(t, "mo@example.coop")
	_, other := h.moderator(t, "other@example.coop")
	id, _ := federation.SaveUpload(ctx, h.pool, mo.ID, "blocks.csv", []byte("#domain\nx.example\n"))
	if _, err := h.svc.Import(ctx, id, federation.Choice{Ground: federation.Spam, Reference: "r"}, nil, other); !errors.Is(err, federation.ErrUploadGone) {
		t.Errorf("err %v", err)
	}
	if _, err := h.svc.Import(ctx, "not-an-id", federation.Choice{}, nil, other); !errors.Is(err, federation.ErrUploadGone) {
		t.Errorf("err %v", err)
	}
}
