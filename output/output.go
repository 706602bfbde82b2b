// Package output writes query results in the formats circl-pdns offers:
// JSON lines, a table, dig-like text, CSV, and ThreatQ indicator objects.
// Each format is one Writer. Text from the service is untrusted: every
// writer makes sure it cannot act on a terminal or a spreadsheet. It knows
// nothing of HTTP or flags.
package output

import (
	"fmt"
	"io"
	"time"

	"github.com/circl-pdns/circl-pdns/query"
)

// Writer writes the records of a run, one indicator's answer after another.
type Writer interface {
	// Record writes (or holds) one record of the answer to q.
	Record(q query.Indicator, r *query.Record) error
	// End closes the answer to q, which may have had no records at all.
	// What was written so far reaches the underlying writer, so that a
	// reader at the other end of a pipe sees each answer as it completes.
	End(q query.Indicator) error
	// Close writes what is still held. A writer given no answer at all
	// writes nothing (with --new, an answer with nothing new is not given).
	Close() error
}

// ValueWriter is a Writer that can print any output of a jq program, not
// only records.
type ValueWriter interface {
	Writer
	Value(q query.Indicator, v any) error
}

// Options are the settings the formats share.
type Options struct {
	NoHeader bool // table and CSV: no header row
	Width    int  // table: the width to fit, in columns; 0 for no limit
	Wide     bool // table: wrap long cells onto more lines rather than cut them
	Terminal bool // the output is a terminal: escape what could act on it
	CRLF     bool // csv: lines end in CRLF, as RFC 4180 says (LF otherwise)
	// HubOver marks, in a graph, the indicators whose answer has more
	// records than this (--max-fanout): hubs, not followed.
	HubOver int
	// Color colours the timeline's bars by record type.
	Color bool
	// Now is the time MISP and STIX say they were made (now when zero).
	Now time.Time
	Raw bool // jsonl: a jq output that is a string is written without quotes (jq -r)
}

// New returns the writer for format: jsonl, table, text, csv, threatq, dot
// or graph.
func New(format string, w io.Writer, o Options) Writer {
	switch format {
	case "table":
		return NewTable(w, o)
	case "csv":
		return NewCSV(w, o)
	case "threatq":
		return NewThreatQ(w)
	case "text":
		return NewText(w, o)
	case "timeline":
		return NewTimeline(w, o)
	case "misp":
		return NewMISP(w, o)
	case "stix":
		return NewSTIX(w, o)
	case "dot":
		return NewDot(w, o)
	case "graph":
		return NewCytoscape(w, o)
	}
	return NewJSONL(w, o)
}

// HoldsRun says whether a format holds what it draws until the run ends
// (one time axis, one graph, a bundle's names), as the report does, rather
// than streaming it.
func HoldsRun(format string) bool {
	switch format {
	case "timeline", "stix", "dot", "graph":
		return true
	}
	return false
}

// Tee writes to a primary writer and to others beside it (the --report):
// jq outputs that are not records go to the primary only.
func Tee(primary Writer, others ...Writer) Writer {
	return &tee{primary: primary, others: others}
}

type tee struct {
	primary Writer
	others  []Writer
}

// each does f to the others, then to the primary, until an error.
func (t *tee) each(f func(Writer) error) error {
	for _, w := range t.others {
		if err := f(w); err != nil {
			return err
		}
	}
	return f(t.primary)
}

func (t *tee) Record(q query.Indicator, r *query.Record) error {
	return t.each(func(w Writer) error { return w.Record(q, r) })
}

func (t *tee) End(q query.Indicator) error {
	return t.each(func(w Writer) error { return w.End(q) })
}

func (t *tee) Close() error {
	err := t.primary.Close()
	for _, w := range t.others {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Value is a jq output: for the primary writer, if it takes any.
func (t *tee) Value(q query.Indicator, v any) error {
	if vw, ok := t.primary.(ValueWriter); ok {
		return vw.Value(q, v)
	}
	r, err := query.RecordFromValue(v)
	if err != nil {
		return err
	}
	return t.Record(q, &r)
}

// pivotNote is " (hop 1, via example.com)" for an indicator found by a
// pivot, "" otherwise.
func pivotNote(q query.Indicator) string {
	if q.Via == "" {
		return ""
	}
	return fmt.Sprintf(" (hop %d, via %s)", q.Hop, q.Via)
}

func timeText(epoch int64, layout string) string {
	if epoch == 0 {
		return ""
	}
	return time.Unix(epoch, 0).UTC().Format(layout)
}
