package register

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that every line it reports is in
// the input, that rows are already in canonical form, and that what Parse
// accepts survives an export and a second parse unchanged. More seeds live in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		fullHeader + "1,Ann,\"1 High St\nLeeds\",ann@example.org;b@example.org,worker,1,25.00,2021-03-04,2023-01-01,resigned,paid\n",
		"\uFEFFmembership_number;name;emails\r\n2;Bob;bob@example.org\r\n",
		"membership_number,name,source\n'=1,'@x,admin\n1,\"a\"\"b\",\n",
		"membership_number,name,admitted_on\n1,A,31/12/2020\n1,B,2020-13-01\n",
		"membership_number,name\n1,\"A\n2,B\n",
		ocExport,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data))
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("structural error is not a *FileError: %v", err)
			}
			return
		}
		checkLines(t, res, bytes.Count(data, []byte("\n"))+1)
		checkCanonical(t, res)
		checkRoundTrip(t, res)
	})
}

func checkLines(t *testing.T, res Result, lines int) {
	t.Helper()
	check := func(kind string, line int) {
		if line < 1 || line > lines {
			t.Fatalf("%s on line %d of a %d-line input", kind, line, lines)
		}
	}
	for _, r := range res.Rows {
		check("row", r.Line)
	}
	for _, e := range res.Errors {
		check("error", e.Line)
	}
	for _, s := range res.Skipped {
		check("skip", s.Line)
	}
}

func checkCanonical(t *testing.T, res Result) {
	t.Helper()
	for _, r := range res.Rows {
		again, probs := normalise(r.Entry)
		if len(probs) > 0 || !reflect.DeepEqual(again, r.Entry) {
			t.Fatalf("line %d: row not canonical: %+v -> %+v %v", r.Line, r.Entry, again, probs)
		}
	}
}

func checkRoundTrip(t *testing.T, res Result) {
	t.Helper()
	entries := make([]Entry, len(res.Rows))
	for i, r := range res.Rows {
		entries[i] = r.Entry
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, entries); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	back, err := Parse(bytes.NewReader(buf.Bytes()))
	if err != nil || len(back.Errors) > 0 || len(back.Skipped) > 0 || len(back.Rows) != len(entries) {
		t.Fatalf("Parse(export) = %d rows, %v, %v\n%q", len(back.Rows), back.Errors, err, buf.String())
	}
	for i, r := range back.Rows {
		if !reflect.DeepEqual(r.Entry, entries[i]) {
			t.Fatalf("round trip changed a row\n got %+v\nwant %+v", r.Entry, entries[i])
		}
	}
}
