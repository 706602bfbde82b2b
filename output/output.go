// Package output writes query results in the formats circl-pdns offers
// (Formats): JSON lines, a table, dig-like text, CSV, ThreatQ indicator
// objects, a MISP event, a STIX 2.1 bundle, a timeline, a graph for
// Graphviz or Cytoscape.js, and the HTML report. Each format is one Writer,
// in a file of its own; what several share (the aggregation of rows, the
// graph, text helpers, JSON strings, chunked lists) is in files of its own
// too. Text from a record is untrusted: every writer makes sure it cannot
// act on a terminal or a spreadsheet (sanitize.go). It imports query/pdns
// only: it knows nothing of HTTP, databases or flags.
package output

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Writer writes the records of a run, one indicator's answer after another:
// the engine never mixes two answers (with --unordered too), so a writer
// may hold what it writes of the answer being written.
type Writer interface {
	// Record writes (or holds) one record of the answer to q.
	Record(q pdns.Indicator, r *pdns.Record) error
	// End closes the answer to q, which may have had no records at all;
	// q.Hub says whether it is a hub (--pivot).
	// What was written so far reaches the underlying writer, so that a
	// reader at the other end of a pipe sees each answer as it completes.
	End(q pdns.Indicator) error
	// Close writes what is still held. A writer given no answer at all
	// writes nothing (with --new, an answer with nothing new is not given).
	Close() error
}

// ValueWriter is a Writer that can print any output of a jq program, not
// only records.
type ValueWriter interface {
	Writer
	Value(q pdns.Indicator, v any) error
}

// Options are the settings the formats share.
type Options struct {
	NoHeader bool // table and CSV: no header row
	Width    int  // table: the width to fit, in columns; 0 for no limit
	Wide     bool // table: wrap long cells onto more lines rather than cut them
	Terminal bool // the output is a terminal: escape what could act on it
	CRLF     bool // csv: lines end in CRLF, as RFC 4180 says (LF otherwise)
	// Color colours the timeline's bars by record type.
	Color bool
	// Now is the time MISP and STIX say they were made (now when zero).
	Now time.Time
	Raw bool // jsonl: a jq output that is a string is written without quotes (jq -r)
	// Sources: the run asks several sources; table, text and CSV say each
	// record's (Record.Source, or Sources once merged).
	Sources bool
}

// sourceText is where r came from: its source, or its sources joined by
// commas once merged.
func sourceText(r *pdns.Record) string {
	if r.Sources != nil {
		return strings.Join(r.Sources, ",")
	}
	return r.Source
}

// sourceSet names the sources the records of a run came from (in a run
// of several), so that a row, a node or an edge keeps its sources as bits
// of a uint64: each source a bit, the first time it is met (the first 64).
type sourceSet struct{ list []string }

// bits are the bits of r's sources (Record.Source, or Sources merged).
func (s *sourceSet) bits(r *pdns.Record) uint64 {
	names := r.Sources
	if names == nil && r.Source != "" {
		names = []string{r.Source}
	}
	var bits uint64
	for _, name := range names {
		i := slices.Index(s.list, name)
		if i < 0 {
			if len(s.list) == 64 {
				continue
			}
			i = len(s.list)
			s.list = append(s.list, strings.Clone(name))
		}
		bits |= 1 << i
	}
	return bits
}

// names are the names of the sources of bits, in the order they were met.
func (s *sourceSet) names(bits uint64) []string {
	names := []string{}
	for i, name := range s.list {
		if bits&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	return names
}

// any says whether a record came from a named source.
func (s *sourceSet) any() bool { return len(s.list) > 0 }

// Formats are the output formats, for -o.
var Formats = []string{"jsonl", "table", "text", "csv", "threatq", "misp", "stix", "timeline", "dot", "graph", "summary"}

// New returns the writer for format, one of Formats (jsonl for any other).
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
	case "summary":
		return NewSummary(w, o)
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

// TakesValues says whether w writes any output of a jq program, not only
// records.
func TakesValues(w Writer) bool {
	_, ok := w.(ValueWriter)
	return ok
}

// EndWrites says whether a format's End writes the answer out whole,
// flushed: jsonl, table, text, csv and threatq. The others (a MISP event,
// a STIX bundle, a timeline, a graph) are whole only once closed.
func EndWrites(format string) bool {
	switch format {
	case "jsonl", "table", "text", "csv", "threatq", "summary":
		return true
	}
	return false
}

// FailWriter is a Writer that says an answer failed (Summary): told
// before End.
type FailWriter interface {
	Failed(q pdns.Indicator, err error)
}

// Tee writes to a primary writer and to others beside it (the --report).
// It takes the jq outputs that are not records if the primary does, and
// gives them to the primary only.
func Tee(primary Writer, others ...Writer) Writer {
	t := &tee{primary: primary, others: others}
	if vw, ok := primary.(ValueWriter); ok {
		return valueTee{t, vw}
	}
	return t
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

func (t *tee) Record(q pdns.Indicator, r *pdns.Record) error {
	return t.each(func(w Writer) error { return w.Record(q, r) })
}

func (t *tee) End(q pdns.Indicator) error {
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

// valueTee is a tee whose primary takes jq outputs.
type valueTee struct {
	*tee
	primary ValueWriter
}

func (t valueTee) Value(q pdns.Indicator, v any) error { return t.primary.Value(q, v) }

// pivotNote is " (hop 1, via example.com)" for an indicator found by a
// pivot, "" otherwise.
func pivotNote(q pdns.Indicator) string {
	if q.Via == "" {
		return ""
	}
	return fmt.Sprintf(" (hop %d, via %s)", q.Hop, q.Via)
}
