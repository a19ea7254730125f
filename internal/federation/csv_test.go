package federation

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const mastodonExport = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n" +
	"spam.example,suspend,true,false,Spam flood,false\n" +
	"quiet.example,silence,false,false,\"Harassment, repeatedly\",false\n" +
	"media.example,noop,true,true,,true\n"

func TestParseCSVReadsMastodonsExport(t *testing.T) {
	p, err := ParseCSV(strings.NewReader(mastodonExport))
	if err != nil || len(p.Errors) > 0 {
		t.Fatalf("%v %v", err, p.Errors)
	}
	want := []ImportRow{
		{Line: 2, Domain: "spam.example", Settings: Settings{Severity: Suspend, RejectMedia: true}, PublicComment: "Spam flood"},
		{Line: 3, Domain: "quiet.example", Settings: Settings{Severity: Silence}, PublicComment: "Harassment, repeatedly"},
		{Line: 4, Domain: "media.example", Settings: Settings{Severity: Noop, RejectMedia: true, RejectReports: true, Obfuscate: true}},
	}
	if fmt.Sprint(p.Rows) != fmt.Sprint(want) || p.Headerless {
		t.Errorf("rows %+v\nwant %+v", p.Rows, want)
	}
}

// TestParseCSVVariants: what spreadsheets and other servers write is read
// as meant: a byte order mark, semicolons, CRLF, columns in another order,
// a missing column, or a bare list of domains.
func TestParseCSVVariants(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       string // the rows as domain/severity/media
		headerless bool
	}{
		{"byte order mark", "\uFEFF#domain,#severity\nspam.example,silence\n", "spam.example/silence/false", false},
		{"semicolons", "#domain;#severity;#reject_media;#public_comment\nspam.example;suspend;true;a, b\n", "spam.example/suspend/true", false},
		{"CRLF", "#domain,#severity\r\nspam.example,noop\r\n", "spam.example/noop/false", false},
		{"other order, capitals", "#Severity,#Public_Comment,#Domain\nSilence,x,Spam.Example\n", "spam.example/silence/false", false},
		{"no severity column: suspend", "#domain\nspam.example\n", "spam.example/suspend/false", false},
		{"a list of domains", "spam.example\nother.example\n", "spam.example/suspend/false other.example/suspend/false", true},
		{"blank lines", "#domain,#severity\n\nspam.example,silence\n,\n", "spam.example/silence/false", false},
		{"formula guard taken off", "#domain,#public_comment\nspam.example,'=not a formula\n", "spam.example/suspend/false", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseCSV(strings.NewReader(tc.file))
			if err != nil || len(p.Errors) > 0 {
				t.Fatalf("%v %v", err, p.Errors)
			}
			var got []string
			for _, r := range p.Rows {
				got = append(got, fmt.Sprintf("%s/%s/%v", r.Domain, r.Severity, r.RejectMedia))
			}
			if strings.Join(got, " ") != tc.want || p.Headerless != tc.headerless {
				t.Errorf("got %q (headerless %v), want %q", got, p.Headerless, tc.want)
			}
		})
	}
}

func TestParseCSVCommentUnguarded(t *testing.T) {
	p, _ := ParseCSV(strings.NewReader("#domain,#public_comment\nspam.example,'=not a formula\n"))
	if p.Rows[0].PublicComment != "=not a formula" {
		t.Errorf("comment %q", p.Rows[0].PublicComment)
	}
}

// TestParseCSVRowProblems: every bad row is named with its line and column,
// and the good rows around it are still read.
func TestParseCSVRowProblems(t *testing.T) {
	file := "#domain,#severity,#reject_media,#public_comment\n" +
		"*.wild.example,suspend,false,x\n" + // 2
		"ok.example,banana,false,x\n" + // 3
		"fine.example,silence,maybe,x\n" + // 4
		"Fine.Example.,suspend,false,x\n" + // 5: the same domain again
		"https://url.example/,suspend,false,x\n" + // 6
		"good.example,suspend,false,\"bad \"quote\n" + // 7: quotes do not match
		"well.example,silence,true,fine\n" // 8
	p, err := ParseCSV(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Error())
	}
	for _, want := range []string{
		`line 2: #domain: "*.wild.example": Enter the domain without a wildcard`,
		`line 3: #severity: "banana" is not a severity: write suspend, silence or noop`,
		`line 4: #reject_media: "maybe" is neither true nor false`,
		`line 5: #domain: fine.example is in the file already, on line 4`,
		`line 6: #domain: "https://url.example/": Enter the domain only`,
		`line 7: quotes do not match`,
	} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("problems:\n%s\nwant %q", strings.Join(got, "\n"), want)
		}
	}
	if len(p.Rows) != 1 || p.Rows[0].Domain != "well.example" || p.Rows[0].Line != 8 {
		t.Errorf("rows %+v; want line 8's only", p.Rows)
	}
}

func TestParseCSVFileProblems(t *testing.T) {
	big := strings.Repeat("x", MaxImportBytes+1)
	var many strings.Builder
	many.WriteString("#domain\n")
	for i := range MaxImportRows + 1 {
		fmt.Fprintf(&many, "d%d.example\n", i)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"too large", big, "larger than 10 MiB"},
		{"too many rows", many.String(), "more than 2000 rows"},
		{"not UTF-8", "#domain\nsp\xffam.example\n", "not UTF-8"},
		{"empty", "", "no domains"},
		{"only a header", "#domain,#severity\n", "no domains"},
		{"a column twice", "#domain,#severity,#severity\nx.example,suspend,silence\n", "#severity is there twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tc.file))
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Message, tc.want) {
				t.Errorf("err %v; want a FileError saying %q", err, tc.want)
			}
		})
	}
}

func TestParseCSVRefusesNUL(t *testing.T) {
	p, err := ParseCSV(strings.NewReader("#domain,#public_comment\nspam.example,a\x00b\n"))
	if err != nil || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "NUL") || len(p.Rows) != 0 {
		t.Errorf("%v %+v", err, p)
	}
}

// TestWriteCSV: Mastodon's export format, which ParseCSV (and Mastodon's
// import) read back; the public file leaves obfuscated blocks out.
func TestWriteCSV(t *testing.T) {
	decisions := []Decision{
		{Domain: "spam.example", Action: Block, Settings: Settings{Severity: Suspend, RejectMedia: true}, PublicReason: "Spam, lots"},
		{Domain: "slur.example", Action: Block, Settings: Settings{Severity: Suspend, Obfuscate: true}, PublicReason: "Hate"},
		{Domain: "formula.example", Action: Block, Settings: Settings{Severity: Silence}, PublicReason: "=1+1"},
	}
	var all, public bytes.Buffer
	if err := WriteCSV(&all, decisions, false); err != nil {
		t.Fatal(err)
	}
	_ = WriteCSV(&public, decisions, true)
	want := "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n" +
		"spam.example,suspend,true,false,\"Spam, lots\",false\n" +
		"slur.example,suspend,false,false,Hate,true\n" +
		"formula.example,silence,false,false,'=1+1,false\n"
	if all.String() != want {
		t.Errorf("got\n%s\nwant\n%s", all.String(), want)
	}
	if strings.Contains(public.String(), "slur.example") || !strings.Contains(public.String(), "spam.example") {
		t.Errorf("public file:\n%s", public.String())
	}
	p, err := ParseCSV(&all)
	if err != nil || len(p.Rows) != 3 || p.Rows[2].PublicComment != "=1+1" || !p.Rows[1].Obfuscate {
		t.Errorf("read back: %v %+v", err, p)
	}
}
