package register

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/csvfile"
)

// csvExporter writes entries in our CSV format: UTF-8 with a byte-order mark
// (without it Excel misreads accents), comma-separated, CRLF line ends, every
// column, cells that a spreadsheet would run as a formula guarded.
type csvExporter struct {
	w   *csv.Writer
	err error
}

func newCSVExporter(w io.Writer) *csvExporter {
	x := &csvExporter{w: csv.NewWriter(w)}
	x.w.UseCRLF = true
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		x.err = fmt.Errorf("register: export: %w", err)
		return x
	}
	x.write(fieldColumns())
	return x
}

func (x *csvExporter) write(record []string) {
	if x.err == nil {
		if err := x.w.Write(record); err != nil {
			x.err = fmt.Errorf("register: export: %w", err)
		}
	}
}

func (x *csvExporter) entry(e Entry) {
	x.write(exportRecord(e))
}

func (x *csvExporter) close() error {
	if x.err != nil {
		return x.err
	}
	x.w.Flush()
	if err := x.w.Error(); err != nil {
		return fmt.Errorf("register: export: %w", err)
	}
	return nil
}

// WriteCSV writes entries in our CSV format, which Parse reads back to the
// same entries.
func WriteCSV(w io.Writer, entries []Entry) error {
	x := newCSVExporter(w)
	for _, e := range entries {
		x.entry(e)
	}
	return x.close()
}

// exportRecord is e's cells in fieldColumns order.
func exportRecord(e Entry) []string {
	rec := []string{
		e.MembershipNumber,
		e.Name,
		e.PostalAddress,
		strings.Join(e.Emails, ";"),
		e.Class,
		strconv.Itoa(e.SharesHeld),
		formatPence(e.AmountPaidPence),
		formatDate(e.AdmittedOn),
		formatDate(e.CeasedOn),
		e.CeasedReason,
		string(e.DuesStatus),
		formatDate(e.PaidUntil),
		e.Source,
	}
	for i, cell := range rec {
		rec[i] = csvfile.Guard(cell)
	}
	return rec
}

func formatDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}
