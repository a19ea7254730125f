package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/register"
)

const cleanRegister = "membership_number,name,emails,class,shares_held,admitted_on\n" +
	"1,Ann Smith,ann@example.org,worker,1,2019-04-01\n" +
	"2,\"Jones, Bob\",bob@example.org,user,1,15/06/2020\n" +
	"3,Carol Patel,carol@example.net,investor,250,2020-07-01\n"

const brokenRegister = "membership_number,name,emails,shares_held\n" +
	"1,Ann Smith,ann@example.org,1\n" +
	"2,Bob Jones,not-an-address,1\n" +
	"3,Carol Patel,carol@example.net,lots\n"

// upload posts a file with the import form of page, as a browser does.
func upload(t *testing.T, b *http.Client, g *apptest.Gateway, page, name, content string) (*http.Response, string) {
	t.Helper()
	return apptest.SubmitMultipart(t, b, g.URL+"/admin/register/import", page, "/admin/register/import", nil,
		apptest.Upload{Field: "file", Name: name, Content: content})
}

func registerSize(t *testing.T, g *apptest.Gateway) int {
	return count(t, g, `SELECT count(*) FROM register_entries`)
}

func imports(t *testing.T, g *apptest.Gateway) int {
	return count(t, g, `SELECT count(*) FROM audit_events WHERE action = 'register.import'`)
}

func TestRegisterImportWithProblemsIsRefused(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	sec, b := secretary(t, g, "sec@example.coop", "sec")
	importURL := g.URL + "/admin/register/import"
	_, page := apptest.Get(t, b, importURL)

	resp, body := upload(t, b, g, page, "broken.csv", brokenRegister)
	wantStatus(t, "preview of a broken file", resp, http.StatusUnprocessableEntity)
	wantContains(t, "preview of a broken file", body, "<td>3</td><td>emails</td>", "is not an email address",
		"<td>4</td><td>shares_held</td>", "is not a whole number of shares", "Nothing can be imported")
	if strings.Contains(body, "/admin/register/import/confirm") {
		t.Error("a file with problems is offered for confirmation")
	}

	t.Run("no file", func(t *testing.T) {
		resp, body := upload(t, b, g, page, "empty.csv", "")
		wantStatus(t, "empty upload", resp, http.StatusUnprocessableEntity)
		wantContains(t, "empty upload", body, `id="file-error"`)
	})

	// The confirmation parses the stored file again and refuses it: stored
	// here directly, since the page offers no confirmation for it.
	id, err := register.SaveUpload(context.Background(), g.App.Pool, sec.ID, "broken.csv", []byte(brokenRegister))
	if err != nil {
		t.Fatal(err)
	}
	confirm := `<form action="/admin/register/import/confirm"><input name="csrf_token" value="` +
		formToken(t, page, "/admin/register/import") + `"><input name="upload" value="` + id + `"></form>`
	resp, body = apptest.Submit(t, b, importURL, confirm, "/admin/register/import/confirm", nil)
	wantStatus(t, "confirming a broken file", resp, http.StatusUnprocessableEntity)
	wantContains(t, "confirming a broken file", body, "Nothing was imported")
	if n := registerSize(t, g); n != 0 {
		t.Errorf("%d entries stored from a file with problems", n)
	}
	if n := imports(t, g); n != 0 {
		t.Errorf("%d register.import events", n)
	}
}

func formToken(t *testing.T, page, action string) string {
	t.Helper()
	f, err := apptest.FindForm(page, action)
	if err != nil {
		t.Fatal(err)
	}
	return f.Values.Get("csrf_token")
}

func TestRegisterImportAndReimport(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, b := secretary(t, g, "sec@example.coop", "sec")
	importURL := g.URL + "/admin/register/import"
	_, page := apptest.Get(t, b, importURL)

	resp, preview := upload(t, b, g, page, "register.csv", cleanRegister)
	wantStatus(t, "preview", resp, http.StatusOK)
	wantContains(t, "preview", preview, "<dt>To add</dt><dd>3</dd>", "<dt>Unchanged</dt><dd>0</dd>", "Jones, Bob", "Confirm import")
	if n := registerSize(t, g); n != 0 {
		t.Fatalf("the preview stored %d entries", n)
	}

	resp, body := apptest.Submit(t, b, importURL, preview, "/admin/register/import/confirm", nil)
	wantStatus(t, "confirm", resp, http.StatusSeeOther)
	_, body = apptest.Follow(t, b, g.URL, resp, body)
	wantContains(t, "after the import", body, "Imported: 3 added, 0 updated, 0 unchanged.", "Carol Patel")
	if n := registerSize(t, g); n != 3 {
		t.Errorf("%d entries stored, want 3", n)
	}
	if n := count(t, g, `SELECT count(*) FROM audit_events WHERE action = 'register.import' AND (after->>'added')::int = 3`); n != 1 {
		t.Errorf("%d register.import events with 3 added, want 1", n)
	}

	t.Run("confirming twice imports once", func(t *testing.T) {
		resp, body := apptest.Submit(t, b, importURL, preview, "/admin/register/import/confirm", nil)
		wantStatus(t, "second confirm", resp, http.StatusConflict)
		wantContains(t, "second confirm", body, "imported already")
		if n := imports(t, g); n != 1 {
			t.Errorf("%d register.import events, want 1", n)
		}
	})

	resp, preview = upload(t, b, g, page, "register.csv", cleanRegister)
	wantStatus(t, "preview again", resp, http.StatusOK)
	wantContains(t, "preview again", preview, "<dt>To add</dt><dd>0</dd>", "<dt>To update</dt><dd>0</dd>", "<dt>Unchanged</dt><dd>3</dd>")
	resp, body = apptest.Submit(t, b, importURL, preview, "/admin/register/import/confirm", nil)
	_, body = apptest.Follow(t, b, g.URL, resp, body)
	wantContains(t, "re-import", body, "Imported: 0 added, 0 updated, 3 unchanged.")

	changed := strings.Replace(cleanRegister, "Carol Patel", "Carol Patel-Jones", 1)
	_, preview = upload(t, b, g, page, "register.csv", changed)
	wantContains(t, "preview of a change", preview, "<dt>To update</dt><dd>1</dd>", "<del>Carol Patel</del> → <ins>Carol Patel-Jones</ins>")

	t.Run("list filters", func(t *testing.T) {
		_, body := apptest.Get(t, b, g.URL+"/admin/register?q="+url.QueryEscape("jones"))
		wantContains(t, "search", body, "Jones, Bob", "1 entry.")
		if strings.Contains(body, "Ann Smith") {
			t.Error("search for jones lists Ann Smith")
		}
	})
}
