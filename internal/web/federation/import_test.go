package federation_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

const importPage = "/moderation/federation/import"

func uploadBlocks(t *testing.T, g *apptest.Gateway, b *http.Client, name, content string) (*http.Response, string) {
	t.Helper()
	_, page := apptest.Get(t, b, g.URL+importPage)
	return apptest.SubmitMultipart(t, b, g.URL+importPage, page, importPage, nil,
		apptest.Upload{Field: "file", Name: name, Content: content})
}

// TestImportRefusesBadFiles: each bad file gets a clear message, with its
// lines where it has lines, and nothing is kept or recorded.
func TestImportRefusesBadFiles(t *testing.T) {
	g, _ := gateway(t)
	_, b := moderator(t, g, "mo@example.coop", "mo")
	big := "#domain\n" + strings.Repeat("x", 10<<20)
	for _, tc := range []struct {
		name, file string
		wants      []string
	}{
		{"unknown severity", "#domain,#severity\nspam.example,ban\nok.example,suspend\n", []string{"<td>2</td><td>#severity</td>", "&#34;ban&#34; is not a severity"}},
		{"malformed domains", "#domain\n*.wild.example\nspam..example\n", []string{"<td>2</td><td>#domain</td>", "without a wildcard", "<td>3</td>"}},
		{"a cell with a semicolon", "#domain,#severity\nspam.example;suspend,silence\n", []string{"not a valid domain"}},
		{"not UTF-8", "#domain\nsp\xffam.example\n", []string{"not UTF-8 text"}},
		{"over 10 MiB", big, []string{"The file is larger than 10 MiB"}},
		{"empty", "", []string{"The file is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := uploadBlocks(t, g, b, "blocks.csv", tc.file)
			wantStatus(t, tc.name, resp, http.StatusUnprocessableEntity)
			wantContains(t, tc.name, body, tc.wants...)
			wantLacks(t, tc.name, body, "/moderation/federation/import/confirm")
		})
	}
	if n := g.Count(t, `SELECT (SELECT count(*) FROM federation_uploads) + (SELECT count(*) FROM federation_decisions)`); n != 0 {
		t.Errorf("%d rows kept", n)
	}
}

// TestImportPreviewAndConfirm: a spreadsheet's file (byte order mark,
// semicolons) is read as meant; every row needs a ground and a reference
// before anything is recorded; then each row becomes a decision.
func TestImportPreviewAndConfirm(t *testing.T) {
	g, fake := gateway(t)
	_, b := moderator(t, g, "mo@example.coop", "mo")
	file := "\uFEFF#domain;#severity;#reject_media;#public_comment\r\nspam.example;suspend;true;Spam, lots\r\nquiet.example;silence;false;Harassment\r\n"
	resp, body := uploadBlocks(t, g, b, "blocks.csv", file)
	wantStatus(t, "the preview", resp, http.StatusOK)
	wantContains(t, "the preview", body, "spam.example", "Spam, lots", "quiet.example", "<dt>New blocks</dt><dd>2</dd>")

	resp, body = apptest.Submit(t, b, g.URL+importPage, body, "/moderation/federation/import/confirm",
		url.Values{"ground": {""}, "reference": {"https://loomio.example.coop/d/list"}, "ground_3": {"attacks"}})
	wantStatus(t, "a row without a ground", resp, http.StatusUnprocessableEntity)
	wantContains(t, "a row without a ground", body, `id="line-2-error"`, "Choose a ground", `value="https://loomio.example.coop/d/list"`)
	wantLacks(t, "a row without a ground", body, `id="line-3-error"`)
	if n := g.Count(t, `SELECT count(*) FROM federation_decisions`); n != 0 {
		t.Fatalf("%d decisions after the refused import", n)
	}

	resp, _ = apptest.Submit(t, b, g.URL+importPage, body, "/moderation/federation/import/confirm",
		url.Values{"ground": {"spam"}, "reference": {"https://loomio.example.coop/d/list"}, "ground_3": {"attacks"}})
	wantStatus(t, "the import", resp, http.StatusSeeOther)
	if n := g.Count(t, `SELECT count(*) FROM federation_decisions WHERE source = 'import'
		AND ((domain = 'spam.example' AND ground = 'spam' AND reject_media) OR (domain = 'quiet.example' AND ground = 'attacks'))`); n != 2 {
		t.Errorf("%d decisions as imported", n)
	}
	eventually(t, "on Mastodon", func() (bool, string) { return len(fake.DomainBlocks()) == 2, fmt.Sprint(fake.DomainBlocks()) })
	resp, body = apptest.Submit(t, b, g.URL+importPage, body, "/moderation/federation/import/confirm",
		url.Values{"ground": {"spam"}, "reference": {"x"}})
	wantStatus(t, "importing twice", resp, http.StatusConflict)
	wantContains(t, "importing twice", body, "Nothing was imported")
}

// TestImportTakesALargeFile: a file of a few MiB passes the edge's body
// limit, which is raised for this form as for the register's.
func TestImportTakesALargeFile(t *testing.T) {
	g, _ := gateway(t)
	_, b := moderator(t, g, "mo@example.coop", "mo")
	var file strings.Builder
	file.WriteString("#domain,#severity,#public_comment\n")
	for i := range 2000 {
		fmt.Fprintf(&file, "d%d.example,suspend,%s\n", i, strings.Repeat("long comment ", 80))
	}
	if file.Len() < 2<<20 {
		t.Fatalf("the file is only %d bytes", file.Len())
	}
	resp, body := uploadBlocks(t, g, b, "big.csv", file.String())
	wantStatus(t, "a 2 MiB file", resp, http.StatusOK)
	wantContains(t, "a 2 MiB file", body, "<dt>New blocks</dt><dd>2000</dd>")
}
