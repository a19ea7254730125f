package register

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/coopgate/coopgate/internal/csvfile"
)

// Limits on one file. A society's register is far smaller; these stop a
// wrong upload from holding a request and its memory for long.
const (
	MaxFileBytes = 10 << 20
	MaxRows      = 50_000
	// maxErrors stops the preview at a length a person reads; a file with
	// more problems than this is almost surely the wrong file.
	maxErrors = 1000
)

// Format is the kind of file Parse recognised from its header. Its value is
// also the Source of the entries it produced.
type Format string

// The formats Parse reads.
const (
	FormatCSV            Format = "csv"
	FormatOpenCollective Format = "opencollective"
)

// Row is an entry read from a file without problems.
type Row struct {
	Line  int // where the row starts in the file, counting from 1
	Entry Entry
	// Fields are the register fields the file has columns for. Import updates
	// only these on an entry it already holds, so a file without a
	// postal_address column leaves the addresses alone. Nil means all fields.
	Fields []string
}

// RowError is a problem with one row, worded for the secretary.
type RowError struct {
	Line    int
	Field   string // the column as the file's header names it; "" for the whole row
	Message string
}

func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
}

// Skipped is a row Parse left out on purpose, such as an Open Collective
// follower: shown in the preview, it does not stop an import.
type Skipped struct {
	Line   int
	Reason string
}

// Result is what Parse read from a file.
type Result struct {
	Format  Format
	Rows    []Row // only rows without problems
	Errors  []RowError
	Skipped []Skipped
}

// ErrRowErrors is wrapped by Result.Err.
var ErrRowErrors = errors.New("register: the file has problems")

// Err reports whether the file may be imported. An import is all or nothing,
// so one bad row means the secretary fixes the file and uploads it again.
func (r Result) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d (the first: %s)", ErrRowErrors, len(r.Errors), r.Errors[0])
}

// FileError is a problem with the file as a whole: nothing in it can be
// imported. Its message is written for the secretary and safe to show.
type FileError struct {
	Line    int // 0 when the problem is not on one line
	Message string
	err     error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("register: line %d: %s", e.Line, e.Message)
	}
	return "register: " + e.Message
}

func (e *FileError) Unwrap() error { return e.err }

// Sentinels a FileError may wrap.
var (
	ErrTooLarge    = errors.New("register: file too large")
	ErrTooManyRows = errors.New("register: too many rows")
)

func headerError(line int, msg string) error {
	return &FileError{Line: line, Message: msg}
}

// Parse reads a register file: our CSV or Open Collective's members export,
// told apart by the header. It returns the rows and every problem found, each
// with its line; the error is for a file that cannot be read at all. Parse
// never panics, whatever the input.
func Parse(r io.Reader) (Result, error) {
	data, err := readFile(r)
	if err != nil {
		return Result{}, err
	}
	cr := csvfile.NewReader(data)
	header, line, err := readHeader(cr)
	if err != nil {
		return Result{}, err
	}
	lay, err := detectLayout(header, line)
	if err != nil {
		return Result{}, err
	}
	p := &parser{layout: lay, firstLine: map[string]int{}}
	p.res.Format = lay.format
	if err := p.readRows(cr); err != nil {
		return Result{}, err
	}
	return p.res, nil
}

func readFile(r io.Reader) ([]byte, error) {
	data, err := csvfile.Read(r, MaxFileBytes)
	var p *csvfile.Problem
	switch {
	case errors.As(err, &p) && p.TooLarge:
		return nil, &FileError{Message: p.Message, err: ErrTooLarge}
	case errors.As(err, &p):
		return nil, &FileError{Message: p.Message}
	case err != nil:
		return nil, fmt.Errorf("register: %w", err)
	}
	return data, nil
}

func readHeader(cr *csv.Reader) ([]string, int, error) {
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, &FileError{Message: "the file is empty"}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, 0, headerError(pe.StartLine, "the header row is not valid CSV: "+pe.Err.Error())
	}
	if err != nil {
		return nil, 0, fmt.Errorf("register: reading the header: %w", err)
	}
	line, _ := cr.FieldPos(0)
	return header, line, nil
}

// parser holds the state of one Parse below the header.
type parser struct {
	layout    layout
	res       Result
	rows      int
	firstLine map[string]int // membership number -> line it was first seen on
}

func (p *parser) readRows(cr *csv.Reader) error {
	for len(p.res.Errors) < maxErrors {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, ok, err := p.recordLine(cr, err)
		if err != nil {
			return err
		}
		if ok && isBlank(rec) {
			continue
		}
		if p.rows++; p.rows > MaxRows {
			return &FileError{Message: "the file has more than " + strconv.Itoa(MaxRows) + " rows", err: ErrTooManyRows}
		}
		if ok {
			p.record(line, rec)
		}
	}
	p.res.Errors = p.res.Errors[:maxErrors]
	p.addError(p.lastLine(), "", "too many problems: stopped reading here")
	return nil
}

// recordLine finds where the record just read starts, and whether it is one.
// Bad quoting spoils that record only: it becomes a row error and reading
// goes on.
func (p *parser) recordLine(cr *csv.Reader, err error) (line int, ok bool, _ error) {
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		p.addError(pe.StartLine, "", "quotes do not match: a cell with a quote must be in double quotes, the quote doubled")
		return pe.StartLine, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("register: reading the file: %w", err)
	}
	line, _ = cr.FieldPos(0)
	return line, true, nil
}

func (p *parser) lastLine() int {
	if n := len(p.res.Errors); n > 0 {
		return p.res.Errors[n-1].Line
	}
	return 0
}

func (p *parser) addError(line int, field, msg string) {
	p.res.Errors = append(p.res.Errors, RowError{Line: line, Field: field, Message: msg})
}

func isBlank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
