// Package csvfile reads and writes the CSV files people move between
// coopgate and spreadsheets: the member register and the co-op's federation
// decisions. It reads an upload whole within a size bound, drops the byte
// order mark spreadsheets write, refuses what is not UTF-8, takes the
// delimiter from the header line (';' where a decimal comma is the locale's),
// and keeps a cell that starts like a formula from running as one.
//
// It knows nothing of what the columns mean: each owner parses its own.
package csvfile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Problem is a whole-file problem, worded for the person who uploaded it.
type Problem struct {
	Message  string
	TooLarge bool
}

func (p *Problem) Error() string { return p.Message }

// Read reads a file of at most maxBytes, without its byte order mark. A file
// that is too large or not UTF-8 is a *Problem.
func Read(r io.Reader, maxBytes int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(maxBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("reading the file: %w", err)
	}
	if len(data) > maxBytes {
		return nil, &Problem{Message: fmt.Sprintf("the file is larger than %d MiB", maxBytes>>20), TooLarge: true}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, &Problem{Message: "the file is not UTF-8 text (in a spreadsheet, save as \"CSV UTF-8\")"}
	}
	return data, nil
}

// NewReader reads data's records, with the delimiter of its header line. A
// short or long row is the row's problem, not the file's.
func NewReader(data []byte) *csv.Reader {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = Delimiter(data)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true // lets `a, "b, c"` through as typed by hand
	return cr
}

// Delimiter is ';' when the header line has more semicolons than commas:
// spreadsheets in locales with a decimal comma save CSV that way.
func Delimiter(data []byte) rune {
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
			return ';'
		}
		break
	}
	return ','
}

// Spreadsheets run a cell that starts with one of these as a formula (CSV
// injection). Guard puts an apostrophe before such a cell, which a
// spreadsheet hides and shows the text; Unguard takes one apostrophe off
// again. Leading apostrophes are looked through so that a value which itself
// starts with "'=" survives the round trip.
const formulaStarts = "=+-@\t\r"

func startsLikeFormula(s string) bool {
	rest := strings.TrimLeft(s, "'")
	return rest != "" && strings.ContainsRune(formulaStarts, rune(rest[0]))
}

// Guard makes a cell safe to open in a spreadsheet.
func Guard(s string) string {
	if startsLikeFormula(s) {
		return "'" + s
	}
	return s
}

// Unguard undoes Guard.
func Unguard(s string) string {
	if strings.HasPrefix(s, "'") && startsLikeFormula(s) {
		return s[1:]
	}
	return s
}
