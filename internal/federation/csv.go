package federation

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coopgate/coopgate/internal/csvfile"
)

// Mastodon's domain-block CSV, as Admin::ExportDomainBlocksController
// writes it and Admin::Import reads it: a header row naming the columns
// (in any order; #domain is the one that must be there), booleans written
// true and false. A file whose first row names no "#domain" column is
// read, as Mastodon reads one whose first header is not "#domain", as a
// list of domains, one a line, to be suspended.
var csvHeader = []string{"#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"}

// Limits on one import. Mastodon takes up to 20,000 rows; a preview a
// person reads, with a ground and a reference to choose for each row, is
// kept shorter: a longer list is imported in parts.
const (
	MaxImportBytes = 10 << 20
	MaxImportRows  = 2000
	maxRowErrors   = 500
)

// WriteCSV writes decisions (blocks) in Mastodon's export format. With
// public, obfuscated blocks are left out: the file carries real domains,
// and publishing one would undo the obfuscation.
func WriteCSV(w io.Writer, decisions []Decision, public bool) error {
	out := csv.NewWriter(w)
	_ = out.Write(csvHeader)
	for _, d := range decisions {
		if d.Action != Block || (public && d.Obfuscate) {
			continue
		}
		_ = out.Write([]string{d.Domain, string(d.Severity), strconv.FormatBool(d.RejectMedia),
			strconv.FormatBool(d.RejectReports), csvfile.Guard(d.PublicReason), strconv.FormatBool(d.Obfuscate)})
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return fmt.Errorf("federation: writing CSV: %w", err)
	}
	return nil
}

// ImportRow is a row of a domain-block CSV read without problems.
type ImportRow struct {
	Line   int
	Domain string
	Settings
	PublicComment string
}

// RowError is a problem with one row, worded for the moderator.
type RowError struct {
	Line    int
	Column  string // as the header names it; "" for the whole row
	Message string
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Column, e.Message)
}

// Parsed is what ParseCSV read.
type Parsed struct {
	Rows       []ImportRow
	Errors     []RowError
	Headerless bool // a list of domains, not Mastodon's export
}

// FileError is a problem with the whole file; Message is safe to show.
type FileError struct{ Message string }

func (e *FileError) Error() string { return "federation: " + e.Message }

// ParseCSV reads a domain-block file, returning its rows and every problem
// with its line. The error is for a file that cannot be read at all.
func ParseCSV(r io.Reader) (Parsed, error) {
	data, err := csvfile.Read(r, MaxImportBytes)
	var pr *csvfile.Problem
	if errors.As(err, &pr) {
		return Parsed{}, &FileError{Message: pr.Message}
	}
	if err != nil {
		return Parsed{}, fmt.Errorf("federation: %w", err)
	}
	cr := csvfile.NewReader(data)
	p := &csvParser{firstLine: map[string]int{}}
	if err := p.read(cr); err != nil {
		return Parsed{}, err
	}
	if len(p.out.Rows) == 0 && len(p.out.Errors) == 0 {
		return Parsed{}, &FileError{Message: "the file has no domains in it"}
	}
	return p.out, nil
}

type csvParser struct {
	out       Parsed
	columns   map[string]int // header name -> index
	firstLine map[string]int // domain -> line it was first seen on
	rows      int
}

func (p *csvParser) read(cr *csv.Reader) error {
	for len(p.out.Errors) < maxRowErrors {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			p.fail(pe.StartLine, "", "quotes do not match: a cell with a quote must be in double quotes, the quote doubled")
			continue
		}
		if err != nil {
			return fmt.Errorf("federation: reading the file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if err := p.record(line, rec); err != nil {
			return err
		}
	}
	p.fail(p.out.Errors[len(p.out.Errors)-1].Line, "", "too many problems: stopped reading here")
	return nil
}

func (p *csvParser) record(line int, rec []string) error {
	if p.columns == nil {
		return p.header(line, rec)
	}
	if blank(rec) {
		return nil
	}
	if p.rows++; p.rows > MaxImportRows {
		return &FileError{Message: fmt.Sprintf("the file has more than %d rows: import it in parts", MaxImportRows)}
	}
	p.row(line, rec)
	return nil
}

// header reads the column names, or takes the file as a list of domains.
func (p *csvParser) header(line int, rec []string) error {
	if blank(rec) {
		return nil
	}
	if !slices.ContainsFunc(rec, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), "#domain") }) {
		p.columns, p.out.Headerless = map[string]int{"#domain": 0}, true
		return p.record(line, rec)
	}
	p.columns = map[string]int{}
	for i, name := range rec {
		name = strings.ToLower(strings.TrimSpace(name))
		if _, dup := p.columns[name]; dup && name != "" {
			return &FileError{Message: fmt.Sprintf("line %d: the column %s is there twice", line, name)}
		}
		p.columns[name] = i
	}
	return nil
}

func (p *csvParser) fail(line int, column, msg string) {
	p.out.Errors = append(p.out.Errors, RowError{Line: line, Column: column, Message: msg})
}

// cell is the trimmed value of column in rec; "" when the file has no such column.
func (p *csvParser) cell(rec []string, column string) string {
	i, ok := p.columns[column]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

func (p *csvParser) row(line int, rec []string) {
	if slices.ContainsFunc(rec, func(c string) bool { return strings.ContainsRune(c, 0) }) {
		p.fail(line, "", "the row holds a NUL character: is this a text file?")
		return
	}
	row := ImportRow{Line: line}
	ok := p.domain(&row, rec)
	ok = p.severity(&row, rec) && ok
	for _, b := range []struct {
		column string
		field  *bool
	}{{"#reject_media", &row.RejectMedia}, {"#reject_reports", &row.RejectReports}, {"#obfuscate", &row.Obfuscate}} {
		ok = p.boolean(line, rec, b.column, b.field) && ok
	}
	row.PublicComment = csvfile.Unguard(p.cell(rec, "#public_comment"))
	if utf8.RuneCountInString(row.PublicComment) > maxText {
		p.fail(line, "#public_comment", "is too long (at most 2000 characters)")
		ok = false
	}
	if ok {
		p.out.Rows = append(p.out.Rows, row)
	}
}

func (p *csvParser) domain(row *ImportRow, rec []string) bool {
	raw := p.cell(rec, "#domain")
	domain, err := NormalizeDomain(raw)
	var de *DomainError
	if errors.As(err, &de) {
		p.fail(row.Line, "#domain", quote(raw)+": "+de.Message)
		return false
	}
	if first, seen := p.firstLine[domain]; seen {
		p.fail(row.Line, "#domain", fmt.Sprintf("%s is in the file already, on line %d", domain, first))
		return false
	}
	p.firstLine[domain], row.Domain = row.Line, domain
	return true
}

func (p *csvParser) severity(row *ImportRow, rec []string) bool {
	s := strings.ToLower(p.cell(rec, "#severity"))
	if s == "" {
		s = string(Suspend) // Admin::ExportDomainBlocksController#import's default
	}
	row.Severity = Severity(s)
	if !validSeverity(row.Severity) {
		p.fail(row.Line, "#severity", quote(s)+" is not a severity: write suspend, silence or noop")
		return false
	}
	return true
}

// boolean reads a cell as ActiveModel's boolean cast does for the values
// people write; anything else is a problem rather than a silent true.
func (p *csvParser) boolean(line int, rec []string, column string, into *bool) bool {
	switch v := strings.ToLower(p.cell(rec, column)); v {
	case "", "false", "f", "0", "no", "off":
		*into = false
	case "true", "t", "1", "yes", "on":
		*into = true
	default:
		p.fail(line, column, quote(v)+" is neither true nor false")
		return false
	}
	return true
}

func blank(rec []string) bool {
	return !slices.ContainsFunc(rec, func(c string) bool { return strings.TrimSpace(c) != "" })
}

// quote shows a cell in a message, cut short.
func quote(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}
