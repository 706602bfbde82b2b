package output

import (
	"bufio"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Summary writes one line per indicator, not its records: whether it was
// seen, how many records and distinct rdata values, their types, when it
// was first and last seen, and (in a run of several sources) the same of
// each source. It is the answer to "which of these 32,000 were ever
// seen?": it holds the counts of the answer being written, never its
// records (the distinct rdata are counted by their 64-bit hashes), so its
// memory does not grow with the answers.
//
// Off a terminal it writes JSON lines:
//
//	{"query":"www.threatq.com","seen":true,"records":2,"rdata":2,"types":["A","CNAME"],"time_first":1496995637,"time_last":1561457380}
//
// with "sources" ({"circl":{"records":2,"rdata":2,"types":[...],"time_first":...,"time_last":...}})
// in a run of several, and "error" for an answer that failed (there, or
// at a source: "failed" in its entry). On a terminal, a table.
type Summary struct {
	w      *bufio.Writer
	o      Options
	header bool
	cur    summaryCount
	seed   maphash.Seed
}

// summaryCount is what is known of the answer being written.
type summaryCount struct {
	records     int
	rdata       map[uint64]struct{}
	types       []string
	first, last int64
	sources     []*sourceCount
	err         string
	failed      []string // the sources that failed
}

type sourceCount struct {
	name        string
	records     int
	rdata       map[uint64]struct{}
	types       []string
	first, last int64
}

// NewSummary returns a summary writer to w.
func NewSummary(w io.Writer, o Options) *Summary {
	return &Summary{w: bufio.NewWriterSize(w, 64<<10), o: o, header: o.NoHeader, seed: maphash.MakeSeed(), cur: summaryCount{rdata: map[uint64]struct{}{}}}
}

func (s *Summary) Record(_ pdns.Indicator, r *pdns.Record) error {
	c := &s.cur
	c.records++
	var h maphash.Hash
	h.SetSeed(s.seed)
	for _, v := range r.RData {
		h.WriteString(v)
		h.WriteByte(0)
	}
	sum := h.Sum64()
	c.rdata[sum] = struct{}{}
	if !slices.Contains(c.types, r.RRType) {
		c.types = append(c.types, r.RRType)
	}
	c.first, c.last = earliest(c.first, r.First()), max(c.last, r.Last())
	names := r.Sources
	if names == nil && r.Source != "" {
		names = []string{r.Source}
	}
	for _, name := range names {
		i := slices.IndexFunc(c.sources, func(sc *sourceCount) bool { return sc.name == name })
		if i < 0 {
			i = len(c.sources)
			c.sources = append(c.sources, &sourceCount{name: name, rdata: map[uint64]struct{}{}})
		}
		sc := c.sources[i]
		sc.records++
		sc.rdata[sum] = struct{}{}
		if !slices.Contains(sc.types, r.RRType) {
			sc.types = append(sc.types, r.RRType)
		}
		sc.first, sc.last = earliest(sc.first, r.First()), max(sc.last, r.Last())
	}
	return nil
}

// Failed notes that the answer to q failed (in a run of several, at the
// sources a pdns.SourcesError names): the line says so.
func (s *Summary) Failed(_ pdns.Indicator, err error) {
	s.cur.err = err.Error()
	var se *pdns.SourcesError
	if errors.As(err, &se) {
		for _, f := range se.Failed {
			s.cur.failed = append(s.cur.failed, f.Source)
		}
	}
}

func (s *Summary) End(q pdns.Indicator) error {
	c := &s.cur
	var err error
	if s.o.Terminal {
		err = s.row(q, c)
	} else {
		err = s.line(q, c)
	}
	clear(c.rdata)
	*c = summaryCount{rdata: c.rdata, types: c.types[:0]}
	if err != nil {
		return err
	}
	return s.w.Flush()
}

func (s *Summary) Close() error { return s.w.Flush() }

// line writes the JSON line of an answer.
func (s *Summary) line(q pdns.Indicator, c *summaryCount) error {
	b := []byte(`{"query":`)
	b = appendJSONText(b, q.Value)
	b = append(b, `,"seen":`...)
	switch {
	case c.records > 0:
		b = append(b, "true"...)
	case c.err != "":
		b = append(b, "null"...) // not known: a source failed
	default:
		b = append(b, "false"...)
	}
	b = append(b, `,"records":`...)
	b = strconv.AppendInt(b, int64(c.records), 10)
	b = appendCounts(b, len(c.rdata), c.types, c.first, c.last)
	if s.o.Sources {
		b = append(b, `,"sources":{`...)
		n := 0
		entry := func(name string) {
			if n++; n > 1 {
				b = append(b, ',')
			}
			b = appendJSONText(b, name)
		}
		for _, sc := range c.sources {
			entry(sc.name)
			b = append(b, `:{"records":`...)
			b = strconv.AppendInt(b, int64(sc.records), 10)
			b = appendCounts(b, len(sc.rdata), sc.types, sc.first, sc.last)
			if slices.Contains(c.failed, sc.name) {
				b = append(b, `,"failed":true`...)
			}
			b = append(b, '}')
		}
		for _, name := range c.failed { // failed before any record
			if !slices.ContainsFunc(c.sources, func(sc *sourceCount) bool { return sc.name == name }) {
				entry(name)
				b = append(b, `:{"records":0,"rdata":0,"types":[],"failed":true}`...)
			}
		}
		b = append(b, '}')
	}
	if c.err != "" {
		b = append(b, `,"error":`...)
		b = appendJSONText(b, c.err)
	}
	b = append(b, "}\n"...)
	_, err := s.w.Write(safeJSON(nil, b))
	return err
}

// appendCounts appends "rdata" (distinct values), "types", and the times.
func appendCounts(b []byte, rdata int, types []string, first, last int64) []byte {
	b = append(b, `,"rdata":`...)
	b = strconv.AppendInt(b, int64(rdata), 10)
	b = append(b, `,"types":[`...)
	for i, t := range slices.Sorted(slices.Values(types)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONText(b, t)
	}
	b = append(b, ']')
	return appendTimes(b, first, last)
}

// appendTimes appends "time_first" and "time_last", those known.
func appendTimes(b []byte, first, last int64) []byte {
	if first != 0 {
		b = append(b, `,"time_first":`...)
		b = strconv.AppendInt(b, first, 10)
	}
	if last != 0 {
		b = append(b, `,"time_last":`...)
		b = strconv.AppendInt(b, last, 10)
	}
	return b
}

// appendJSONText appends s as a JSON string.
func appendJSONText(b []byte, s string) []byte {
	return append(b, pdns.JSONString(s)...)
}

// The table: one line an answer from 100 columns; below, two (the
// query and its counts, then its dates, types and sources). A name longer
// than the QUERY column (16 to 40 columns, what the others leave) has its
// line to itself; what is at the end of a line past the width is cut.
const (
	summaryWideFrom = 100
	summaryCounts   = 2 + 4 + 2 + 7 + 2 + 7 // SEEN, RECORDS, RDATA
	summaryDates    = 2 + 10 + 2 + 10       // FIRST SEEN, LAST SEEN
)

// row writes the table row of an answer.
func (s *Summary) row(q pdns.Indicator, c *summaryCount) error {
	width := s.o.Width
	if width <= 0 || s.o.Wide {
		width = 0 // no limit: a file
	}
	stacked := width > 0 && width < summaryWideFrom
	queryW := 32
	switch {
	case stacked:
		queryW = min(max(width-summaryCounts, 16), 40)
	case width > 0:
		queryW = min(max(width-summaryCounts-summaryDates-2-12, 16), 40)
	}
	fit := func(line string) string {
		if width > 0 && runewidth.StringWidth(line) > width {
			return cut(line, width)
		}
		return line
	}
	if !s.header {
		s.header = true
		head := fmt.Sprintf("%-*s  %-4s  %7s  %7s", queryW, "QUERY", "SEEN", "RECORDS", "RDATA")
		rest := fmt.Sprintf("%-10s  %-10s  %-10s", "FIRST SEEN", "LAST SEEN", "TYPES")
		if s.o.Sources {
			rest += "  SOURCES"
		}
		if stacked {
			s.w.WriteString(fit(head) + "\n" + fit("  "+rest) + "\n")
		} else {
			s.w.WriteString(fit(head+"  "+rest) + "\n")
		}
	}
	name := Terminal(q.Value)
	if w := runewidth.StringWidth(name); w > queryW {
		s.w.WriteString(name + "\n")
		name = ""
	}
	seen := "no"
	switch {
	case c.records > 0:
		seen = "yes"
	case c.err != "":
		seen = "?" // not known: a source failed
	}
	types := slices.Sorted(slices.Values(c.types))
	for i, t := range types {
		types[i] = Terminal(t)
	}
	counts := fmt.Sprintf("%-*s  %-4s  %7s  %7s", queryW, name, seen, Grouped(c.records), Grouped(len(c.rdata)))
	rest := fmt.Sprintf("%-10s  %-10s  %-10s", orDash(timeText(c.first, dateLayout)), orDash(timeText(c.last, dateLayout)), strings.Join(types, ","))
	if s.o.Sources {
		var parts []string
		for _, sc := range c.sources {
			parts = append(parts, Terminal(sc.name)+":"+strconv.Itoa(sc.records))
		}
		for _, name := range c.failed {
			parts = append(parts, Terminal(name)+":failed")
		}
		rest += "  " + strings.Join(parts, " ")
	}
	if stacked {
		s.w.WriteString(fit(counts) + "\n" + fit(strings.TrimRight("  "+rest, " ")) + "\n")
	} else {
		s.w.WriteString(fit(strings.TrimRight(counts+"  "+rest, " ")) + "\n")
	}
	return nil
}

// orDash is s, or "-" for none.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
