package register

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/csvfile"
)

func date(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

const fullHeader = "membership_number,name,postal_address,emails,class,shares_held,amount_paid,admitted_on,ceased_on,ceased_reason,dues_status\n"

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []Row // Fields are not compared
	}{{
		name: "every column",
		input: fullHeader +
			"12,Ann Smith,\"1 High St\nLeeds\",ann@example.org;Ann@Work.example.com,worker,1,25.00,2021-03-04,,,paid\n",
		want: []Row{{Line: 2, Entry: Entry{
			MembershipNumber: "12", Name: "Ann Smith", PostalAddress: "1 High St\nLeeds",
			Emails: []string{"ann@example.org", "ann@work.example.com"}, Class: "worker", SharesHeld: 1,
			AmountPaidPence: 2500, AdmittedOn: date("2021-03-04"), DuesStatus: DuesPaid, Source: "csv",
		}}},
	}, {
		name:  "BOM, semicolons, CRLF, decimal comma free cells",
		input: "\uFEFFMembership_Number ; Name ;Emails\r\n7;Bob Jones;bob@example.org\r\n",
		want: []Row{{Line: 2, Entry: Entry{
			MembershipNumber: "7", Name: "Bob Jones", Emails: []string{"bob@example.org"},
			DuesStatus: DuesUnknown, Source: "csv",
		}}},
	}, {
		name: "quoted commas and newlines keep line numbers",
		input: "membership_number,name,postal_address\n" +
			"1,\"Smith, Ann\",\"Flat 2,\r\n  3 Mill Lane\n\nYork\"\n" +
			"2,\"Said \"\"Bob\"\" Lee\",\n",
		want: []Row{
			{Line: 2, Entry: Entry{MembershipNumber: "1", Name: "Smith, Ann", PostalAddress: "Flat 2,\n3 Mill Lane\nYork", DuesStatus: DuesUnknown, Source: "csv"}},
			{Line: 6, Entry: Entry{MembershipNumber: "2", Name: `Said "Bob" Lee`, DuesStatus: DuesUnknown, Source: "csv"}},
		},
	}, {
		name:  "UK dates, pound sign, spaced header, email alias, trailing empty cells",
		input: "Membership Number,NAME,email,amount_paid,admitted_on,ceased_on,ceased_reason,,\n9,Cy,, £3.5,4/5/2020,31/12/2023,resigned,,\n",
		want: []Row{{Line: 2, Entry: Entry{
			MembershipNumber: "9", Name: "Cy", AmountPaidPence: 350, AdmittedOn: date("2020-05-04"),
			CeasedOn: date("2023-12-31"), CeasedReason: "resigned", DuesStatus: DuesUnknown, Source: "csv",
		}}},
	}, {
		name:  "formula guard taken off, blank lines and rows skipped",
		input: "\n\nmembership_number,name,class,source\n'-3,'=HYPERLINK(1),'t Hooft,opencollective\n,,,\n\n",
		want: []Row{{Line: 4, Entry: Entry{
			MembershipNumber: "-3", Name: "=HYPERLINK(1)", Class: "'t Hooft", DuesStatus: DuesUnknown, Source: "opencollective",
		}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if res.Format != FormatCSV || len(res.Errors) > 0 {
				t.Fatalf("format %q, errors %v", res.Format, res.Errors)
			}
			for i := range res.Rows {
				res.Rows[i].Fields = nil
			}
			if !reflect.DeepEqual(res.Rows, tt.want) {
				t.Errorf("rows\n got %+v\nwant %+v", res.Rows, tt.want)
			}
		})
	}
}

func TestParseRowErrors(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		wantRows int
		want     []RowError
	}{{
		name:  "bad dates",
		input: "membership_number,name,admitted_on,ceased_on\n1,A,2021-02-30,\n2,B,12/31/2021,\n3,C,2020-01-01,2019-01-01\n4,D,1700-01-01,\n",
		want: []RowError{
			{2, "admitted_on", `"2021-02-30" is not a date (write YYYY-MM-DD or DD/MM/YYYY)`},
			{3, "admitted_on", `"12/31/2021" is not a date (write YYYY-MM-DD or DD/MM/YYYY)`},
			{4, "ceased_on", "is before admitted_on"},
			{5, "admitted_on", "year must be from 1800 to 9999"},
		},
	}, {
		name:     "bad emails",
		input:    "membership_number,name,emails\n1,A,not-an-address\n2,B,Ann <a@example.org>\n3,C,a@localhost\n4,D,ok@example.org; fine@example.net\n",
		wantRows: 1,
		want: []RowError{
			{2, "emails", `"not-an-address" is not an email address`},
			{3, "emails", `"Ann" is not an email address`},
			{4, "emails", `"a@localhost" is not an email address`},
		},
	}, {
		name:     "duplicate numbers: the later line is wrong",
		input:    "membership_number,name\n1,A\n2,B\n 1 ,C\n2,D\n",
		wantRows: 2,
		want: []RowError{
			{4, "membership_number", `"1" is already on line 2`},
			{5, "membership_number", `"2" is already on line 3`},
		},
	}, {
		name:  "several problems in one row, in column order, named as in the header",
		input: "Membership Number,Name,shares_held,amount_paid,dues_status,ceased_reason\n,,-1,1.234,late,expelled\n",
		want: []RowError{
			{2, "Membership Number", "required"},
			{2, "Name", "required"},
			{2, "shares_held", `"-1" is not a whole number of shares`},
			{2, "amount_paid", `"1.234" is not an amount (write pounds and pence, e.g. 25.00)`},
			{2, "ceased_reason", "given without a ceased_on date"},
			{2, "dues_status", "must be paid, unpaid or unknown"},
		},
	}, {
		name:     "cells that do not line up, and bad quoting, spoil only their row",
		input:    "membership_number,name\n1\n2,B,extra\n3,\"C\"x\n4,D,,\n",
		wantRows: 1,
		want: []RowError{
			{2, "", "has 1 cells where the header has 2"},
			{3, "", "has more cells than the header's 2"},
			{4, "", "quotes do not match: a cell with a quote must be in double quotes, the quote doubled"},
		},
	}, {
		name:  "control characters",
		input: "membership_number,name\n1,\"A\x00B\"\n",
		want:  []RowError{{2, "name", "contains a control character"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(res.Errors, tt.want) {
				t.Errorf("errors\n got %q\nwant %q", res.Errors, tt.want)
			}
			if len(res.Rows) != tt.wantRows {
				t.Errorf("got %d rows, want %d", len(res.Rows), tt.wantRows)
			}
			if res.Err() == nil || !errors.Is(res.Err(), ErrRowErrors) {
				t.Errorf("Err() = %v, want ErrRowErrors", res.Err())
			}
		})
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		want   string // in the message
		target error
	}{
		{"empty", "", "the file is empty", nil},
		{"only blank lines", "\n\r\n\n", "the file is empty", nil},
		{"unknown column", "membership_number,name,phone\n", `unknown column "phone"`, nil},
		{"unnamed column", "membership_number,,name\n", "column 2 has no name", nil},
		{"repeated column", "membership_number,name,email,emails\n", `column "emails" repeats the emails column`, nil},
		{"required column", "name,emails\n", "the membership_number column is required", nil},
		{"not UTF-8", "membership_number,name\n1,Ren\xe9\n", "not UTF-8", nil},
		{"bad header quoting", "\"membership_number,name\n", "header row is not valid CSV", nil},
		{"Open Collective without role", "MemberId,name\n", `without a "role" column`, nil},
		{"too large", strings.Repeat("x", MaxFileBytes+1), "larger than 10 MiB", ErrTooLarge},
		{"too many rows", manyRows(MaxRows + 1), "more than 50000 rows", ErrTooManyRows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.input))
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Message, tt.want) {
				t.Fatalf("err = %v, want a FileError containing %q", err, tt.want)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.target)
			}
		})
	}
}

func TestParseStopsAfterManyErrors(t *testing.T) {
	input := "membership_number,name\n" + strings.Repeat("1,\n", 2*maxErrors)
	res, err := Parse(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	last := res.Errors[len(res.Errors)-1]
	if len(res.Errors) != maxErrors+1 || !strings.Contains(last.Message, "stopped reading") {
		t.Errorf("got %d errors ending %v", len(res.Errors), last)
	}
}

// ocExport is shaped as Open Collective's REST service writes it: every cell
// quoted, "\n" line ends, no newline at the end, newlines in text replaced.
const ocExport = `"MemberId","createdAt","type","role","tier","isActive","totalAmountDonated","currency","lastTransactionAt","lastTransactionAmount","profile","name","company","description","image","email","newsletterOptIn","twitter","github","website"
"8764","2017-11-03 09:36","USER","BACKER","Member","true","25","GBP","2024-11-03 09:36","5","https://opencollective.com/ann","Ann Smith","","Likes  bread","","Ann@Example.org","true","","",""
"8765","2018-01-10 12:00","ORGANIZATION","BACKER","Supporter","false","100","GBP","2019-01-03 10:00","50","https://opencollective.com/acme","Acme Ltd","Acme","","","","","","",""
"8766","2019-05-05 08:00","USER","FOLLOWER","","true","0","","2019-05-05 08:00","0","https://opencollective.com/fan","A Fan","","","","fan@example.org","","","",""
"8767","2020-02-02 20:20","USER","MEMBER","","","0","","","0","https://opencollective.com/core","Core Person","","","","core@example.org","","","",""
"8768","2020-02-03 20:20","USER","BACKER","Member","yes","0","","","0","https://opencollective.com/x","X","","","","x@example.org","","","",""`

func TestParseOpenCollective(t *testing.T) {
	res, err := Parse(strings.NewReader(ocExport))
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatOpenCollective {
		t.Errorf("format %q", res.Format)
	}
	want := []Entry{{
		MembershipNumber: "oc-8764", Name: "Ann Smith", Emails: []string{"ann@example.org"}, Class: "Member",
		DuesStatus: DuesPaid, AdmittedOn: date("2017-11-03"), PaidUntil: date("2025-11-03"), Source: "opencollective",
	}, {
		MembershipNumber: "oc-8765", Name: "Acme Ltd", Class: "Supporter",
		DuesStatus: DuesUnpaid, AdmittedOn: date("2018-01-10"), PaidUntil: date("2019-01-03"), Source: "opencollective",
	}, {
		MembershipNumber: "oc-8767", Name: "Core Person", Emails: []string{"core@example.org"},
		DuesStatus: DuesUnknown, AdmittedOn: date("2020-02-02"), Source: "opencollective",
	}}
	var got []Entry
	for _, r := range res.Rows {
		got = append(got, r.Entry)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries\n got %+v\nwant %+v", got, want)
	}
	wantFields := []string{"membership_number", "admitted_on", "class", "dues_status", "name", "emails", "source", "paid_until"}
	if !reflect.DeepEqual(res.Rows[0].Fields, wantFields) {
		t.Errorf("fields %v, want %v", res.Rows[0].Fields, wantFields)
	}
	if want := []Skipped{{4, `role "FOLLOWER" is not a membership`}}; !reflect.DeepEqual(res.Skipped, want) {
		t.Errorf("skipped %v, want %v", res.Skipped, want)
	}
	if want := []RowError{{6, "isActive", `"yes" is neither true nor false`}}; !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("errors %v, want %v", res.Errors, want)
	}
}

// Open Collective's export has no paid-until date: it is worked out from
// the last payment and isActive, as docs/register.md describes.
func TestParseOpenCollectivePaidUntil(t *testing.T) {
	header := `"MemberId","role","name","isActive","lastTransactionAt","lastTransactionAmount"` + "\n"
	tests := []struct {
		name, row string
		want      *time.Time
		problem   string
	}{
		{"active: a year after the last payment", `"1","BACKER","A","true","2024-02-29 10:00","5"`, date("2025-03-01"), ""},
		{"no longer active: the day of the last payment", `"1","BACKER","A","false","2024-03-01 10:00","5"`, date("2024-03-01"), ""},
		{"isActive empty, as older exports write false", `"1","BACKER","A","","2024-03-01 10:00","5"`, date("2024-03-01"), ""},
		{"never paid: the export's own time is no payment", `"1","MEMBER","A","true","2025-06-01 12:00","0"`, nil, ""},
		{"no amount at all", `"1","MEMBER","A","true","2025-06-01 12:00",""`, nil, ""},
		{"not a date", `"1","BACKER","A","true","yesterday","5"`, nil, `"yesterday" is not a date and time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(header + tt.row))
			if err != nil {
				t.Fatal(err)
			}
			if tt.problem != "" {
				if len(res.Errors) != 1 || res.Errors[0].Field != "paid_until" || res.Errors[0].Message != tt.problem {
					t.Fatalf("errors %v, want paid_until: %s", res.Errors, tt.problem)
				}
				return
			}
			if len(res.Rows) != 1 || !reflect.DeepEqual(res.Rows[0].Entry.PaidUntil, tt.want) {
				t.Fatalf("rows %+v errors %v; want paid_until %v", res.Rows, res.Errors, tt.want)
			}
		})
	}
	// Without lastTransactionAt the file says nothing of paid_until, so an
	// import leaves the register's date alone.
	res, _ := Parse(strings.NewReader(`"MemberId","role","name"` + "\n" + `"1","BACKER","A"`))
	if slices.Contains(res.Rows[0].Fields, "paid_until") {
		t.Errorf("fields %v name paid_until without a lastTransactionAt column", res.Rows[0].Fields)
	}
}

func TestWriteCSVRoundTrip(t *testing.T) {
	entries := []Entry{{
		MembershipNumber: "=1+1", Name: "'=already quoted", PostalAddress: "1 High St\n@Leeds",
		Emails: []string{"-a@example.org", "b@example.org"}, Class: "+investor", SharesHeld: 3,
		AmountPaidPence: 1234567, AdmittedOn: date("1844-12-21"), CeasedOn: date("2024-01-31"),
		CeasedReason: "unpaid subscription", DuesStatus: DuesUnpaid, PaidUntil: date("2023-12-31"), Source: "admin",
	}, {
		MembershipNumber: "2", Name: "Zoë Ñandú, \"Z\"", DuesStatus: DuesUnknown, Source: "opencollective",
	}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, entries); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, guarded := range []string{`'=1+1,`, `''=already quoted`, `'-a@example.org;b@example.org`, `'+investor`} {
		if !strings.Contains(out, guarded) {
			t.Errorf("export lacks %q:\n%s", guarded, out)
		}
	}
	res, err := Parse(strings.NewReader(out))
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("Parse(export): %v %v", err, res.Errors)
	}
	for i, r := range res.Rows {
		if !reflect.DeepEqual(r.Entry, entries[i]) {
			t.Errorf("row %d\n got %+v\nwant %+v", i, r.Entry, entries[i])
		}
	}
}

func TestNormaliseIsIdempotent(t *testing.T) {
	e := Entry{MembershipNumber: " 1 ", Name: " Ann\t Smith ", PostalAddress: "\r\n a \r b\n\n",
		Emails: []string{" A@Example.org", "a@example.org", ""}, DuesStatus: "PAID", Source: " CSV "}
	once, probs := normalise(e)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	twice, _ := normalise(once)
	if !reflect.DeepEqual(once, twice) {
		t.Errorf("once %+v, twice %+v", once, twice)
	}
	want := Entry{MembershipNumber: "1", Name: "Ann Smith", PostalAddress: "a\nb",
		Emails: []string{"a@example.org"}, DuesStatus: DuesPaid, Source: "csv"}
	if !reflect.DeepEqual(once, want) {
		t.Errorf("got %+v, want %+v", once, want)
	}
}

func TestFormulaGuard(t *testing.T) {
	for _, s := range []string{"", "'", "''", "=", "'=", "''=x", "a=b", "'t Hart", "@x", "-", "\t"} {
		if got := csvfile.Unguard(csvfile.Guard(s)); got != s {
			t.Errorf("unguard(guard(%q)) = %q", s, got)
		}
	}
}

func TestActive(t *testing.T) {
	day := time.Date(2024, 6, 1, 23, 30, 0, 0, time.FixedZone("BST", 3600))
	tests := []struct {
		ceased *time.Time
		want   bool
	}{{nil, true}, {date("2024-06-02"), true}, {date("2024-06-01"), false}, {date("2020-01-01"), false}}
	for _, tt := range tests {
		if got := (Entry{CeasedOn: tt.ceased}).Active(day); got != tt.want {
			t.Errorf("ceased %v: Active = %v, want %v", tt.ceased, got, tt.want)
		}
	}
}

func manyRows(n int) string {
	var b strings.Builder
	b.WriteString("membership_number,name\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,A\n", i)
	}
	return b.String()
}

// The example in docs/register.md.
func TestParseExampleFile(t *testing.T) {
	f, err := os.Open("testdata/example.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Parse(f)
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("Parse: %v %v", err, res.Errors)
	}
	var lines []int
	for _, r := range res.Rows {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{2, 4, 6}) {
		t.Errorf("rows on lines %v, want 2, 4, 6", lines)
	}
	if got := res.Rows[1].Entry; got.Name != "Jones, Bob" || !got.AdmittedOn.Equal(*date("2020-06-15")) {
		t.Errorf("row 2 = %+v", got)
	}
}
