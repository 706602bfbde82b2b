package output

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Table writes records for people: one header line for the run, then for
// each indicator a heading ("www.threatq.com: 2 records") and its rows,
// RRNAME, TYPE, RDATA, COUNT, FIRST SEEN, LAST SEEN (UTC). Text is
// sanitised with Terminal.
//
// It never writes a line wider than Options.Width and never splits a name
// or an address across lines: the columns are set once for the run, from
// the width alone, so that every answer lines up with the first; a name
// longer than its column takes a line of its own, and a cell of text
// longer than its column is cut with "…" (with Options.Wide, wrapped at
// its spaces instead, onto more lines). Dates alone below 120 columns,
// date-times from there; COUNT is right-aligned, on a second line below
// 72 columns; below 40, each record is a block of "field: value" lines.
// Without a width (not a terminal: a file, a pipe) it is laid out for 120
// columns and nothing is cut: long text is wrapped.
//
// The rows are rendered here rather than by tablewriter: its rendering
// cost grows with the square of a cell's length (17 s for a 1 MB rdata)
// and is some 26 µs a row (5 s for 200,000), and its streaming mode fixes
// the widths from the first row without cutting what is longer. Rendering
// a row here is one pass over each cell's first Width columns.
type Table struct {
	w    io.Writer
	o    Options
	cols []column // set by the first block of the run
	buf  bytes.Buffer

	// the answer being written
	q       pdns.Indicator
	rows    []tableRow
	count   int  // records of the answer so far
	started bool // its heading is out
	answers int
}

// tableRow is a record's cells, sanitised, before the columns are known.
type tableRow struct {
	rrname, rrtype string
	source         string // with Options.Sources
	rdata          []string
	count          string
	first, last    int64
}

type column struct {
	name   string
	line   int // 0, or 1 for the second line of a stacked record
	offset int // display columns from the line's start
	width  int
	right  bool
	keep   bool // never cut: names, addresses, dates
	rdata  bool // the RDATA column, whose cells are the record's values
	cell   func(*tableRow) string
}

// tableBlock is how many rows are held before a long answer is written
// out: memory stays bounded, and the first rows show early.
const tableBlock = 1000

const (
	colGap  = 2
	sourceW = 10 // a source's name (longer ones are cut)
	// sourcesOneLineFrom: with a SOURCE column, a record takes two lines
	// below this width (on one, at 80 columns, names had 12 and ran over)
	sourcesOneLineFrom = 100
	wideFrom           = 120 // date-times from this width
	countFrom          = 72  // a COUNT column from this width
	blockBelow         = 40  // one block a record below this width
	minNameWidth       = 16  // www.example.com
	maxNameWidth       = 40
	// fileWidth is the layout off a terminal (a file, a pipe): that of a
	// terminal this wide, with long text wrapped rather than cut (Wide).
	fileWidth = 120
)

// NewTable returns a table writer to w; without a width (not a terminal),
// laid out for fileWidth columns, nothing cut.
func NewTable(w io.Writer, o Options) *Table {
	if o.Width <= 0 {
		o.Width, o.Wide = fileWidth, true
	}
	return &Table{w: w, o: o}
}

func (t *Table) Record(q pdns.Indicator, r *pdns.Record) error {
	row := tableRow{rrname: Terminal(r.RRName), rrtype: Terminal(r.RRType), first: r.First(), last: r.Last()}
	if t.o.Sources {
		row.source = Terminal(sourceText(r))
	}
	for _, v := range r.RData {
		row.rdata = append(row.rdata, Terminal(v))
	}
	if len(row.rdata) == 0 {
		row.rdata = []string{""}
	}
	if r.Count != 0 {
		row.count = strconv.FormatInt(r.Count, 10)
		if t.o.Width > 0 { // columns are counted: a count never widens the table
			row.count = CountCell(r.Count)
		}
	}
	t.q = q
	t.rows = append(t.rows, row)
	t.count++
	if len(t.rows) >= tableBlock {
		return t.flush(false)
	}
	return nil
}

func (t *Table) End(q pdns.Indicator) error {
	t.q = q
	err := t.flush(true)
	if err == nil && t.count > tableBlock { // a long answer: its size at its end
		fmt.Fprintf(&t.buf, "%s: %s\n", q.Value, Plural(t.count, "record"))
		err = t.out()
	}
	t.rows, t.count, t.started = t.rows[:0], 0, false
	return err
}

func (t *Table) Close() error { return nil }

// flush writes the rows held, after the answer's heading; the first rows
// of the run set the columns, and the header line goes above them.
func (t *Table) flush(end bool) error {
	if len(t.rows) == 0 && !end {
		return nil
	}
	if !t.started {
		t.started = true
		if t.answers > 0 {
			t.buf.WriteByte('\n')
		}
		t.answers++
		size := Plural(t.count, "record")
		switch {
		case t.count == 0:
			size = "no records"
		case !end:
			size = Grouped(t.count) + " records and more"
		}
		fmt.Fprintf(&t.buf, "%s: %s%s\n", t.q.Value, size, pivotNote(t.q))
	}
	blocks := t.o.Width > 0 && t.o.Width < blockBelow
	if t.cols == nil && len(t.rows) > 0 && !blocks {
		t.cols = t.columns()
		if !t.o.NoHeader {
			t.headerRow()
		}
	}
	for i := range t.rows {
		if blocks {
			t.block(&t.rows[i])
		} else {
			t.row(&t.rows[i])
		}
	}
	t.rows = t.rows[:0]
	return t.out()
}

func (t *Table) out() error {
	_, err := t.w.Write(t.buf.Bytes())
	t.buf.Reset()
	return err
}

// columns sets the columns for the run, from the width alone (never from
// the rows, which would fit the first answer and not the next): one line
// a record, or from countFrom down two (the names, then the times and the
// count), so that names and addresses keep their room. RRNAME and RDATA
// share what the fixed columns leave: two fifths for names (16 to 40
// columns), the rest for rdata, which is most often the longer.
func (t *Table) columns() []column {
	dates := timeLayout
	if t.o.Width < wideFrom {
		dates = dateLayout
	}
	const typeW = len("DNSKEY") // longer types run over, into the gap after them
	countW := maxCountCell
	dateW := len(dates)
	stacked := t.o.Width < countFrom || t.o.Sources && t.o.Width < sourcesOneLineFrom
	fixed := typeW + 2*colGap
	if !stacked {
		fixed += countW + 2*dateW + 3*colGap
		if t.o.Sources {
			fixed += sourceW + colGap
		}
	}
	rest := t.o.Width - fixed // for RRNAME and RDATA
	nameW := min(max(rest*2/5, min(minNameWidth, rest/2)), maxNameWidth)
	rdataW := rest - nameW
	date := func(epoch int64) string { return timeText(epoch, dates) }
	cols := []column{
		{name: "RRNAME", width: nameW, keep: true, cell: func(r *tableRow) string { return r.rrname }},
		{name: "TYPE", width: typeW, keep: true, cell: func(r *tableRow) string { return r.rrtype }},
		{name: "RDATA", width: rdataW, rdata: true},
	}
	if stacked { // the second line: "  2017-06-09 .. 2017-07-13      6"
		span := 2*dateW + len(" .. ")
		cols = append(cols,
			column{name: "FIRST SEEN .. LAST SEEN", line: 1, offset: colGap, width: span, keep: true, cell: func(r *tableRow) string {
				return date(r.first) + " .. " + date(r.last)
			}},
			column{name: "COUNT", line: 1, offset: colGap + span + colGap, width: countW, right: true, keep: true, cell: func(r *tableRow) string { return r.count }},
		)
		if t.o.Sources {
			cols = append(cols, column{name: "SOURCE", line: 1, offset: colGap + span + colGap + countW + colGap, width: sourceW, cell: func(r *tableRow) string { return r.source }})
		}
	} else {
		cols = append(cols,
			column{name: "COUNT", width: countW, right: true, keep: true, cell: func(r *tableRow) string { return r.count }},
			column{name: "FIRST SEEN", width: dateW, keep: true, cell: func(r *tableRow) string { return date(r.first) }},
			column{name: "LAST SEEN", width: dateW, keep: true, cell: func(r *tableRow) string { return date(r.last) }},
		)
		if t.o.Sources {
			cols = append(cols, column{name: "SOURCE", width: sourceW, cell: func(r *tableRow) string { return r.source }})
		}
	}
	offset := 0
	for i := range cols {
		if cols[i].line == 0 {
			cols[i].offset = offset
			offset += cols[i].width + colGap
		}
	}
	return cols
}

// nameTypes are the types whose rdata is names or addresses: never cut.
var nameTypes = map[string]bool{"A": true, "AAAA": true, "CNAME": true, "NS": true, "PTR": true, "MX": true, "DNAME": true, "SRV": true}

func (t *Table) headerRow() {
	var l lineBuilder
	line := 0
	for _, c := range t.cols {
		if c.line != line {
			t.buf.Write(l.done())
			line = c.line
		}
		l.place(c.offset, c.width, c.right, c.name)
	}
	t.buf.Write(l.done())
}

// row writes one record: its lines, and more for several rdata values, for
// a name or an address too long for its column (written whole, the rest
// of the row going on below), or for text wrapped with Wide. What follows
// the first rdata value goes right under it.
func (t *Table) row(r *tableRow) {
	var l lineBuilder
	line := 0
	var below []string // lines of wrapped text, under the RDATA column
	rdataCol := 0
	under := func() { // the rest of the rdata, under its first value
		for _, s := range below {
			l.place(rdataCol, 0, false, s)
			t.buf.Write(l.done())
		}
		below = nil
		if len(r.rdata) > 1 {
			rest := *r
			for _, v := range r.rdata[1:] {
				rest.rdata = []string{v}
				t.more(&rest, rdataCol)
			}
		}
	}
	values := make([]string, len(t.cols))
	for i, c := range t.cols {
		if c.rdata {
			values[i], rdataCol = r.rdata[0], c.offset
		} else {
			values[i] = c.cell(r)
		}
	}
	for i, c := range t.cols {
		if c.line != line {
			if l.width > 0 { // not after a name that took its line
				t.buf.Write(l.done())
			}
			under()
			line = c.line
		}
		value := values[i]
		keep := c.keep || c.rdata && nameTypes[r.rrtype]
		w := runewidth.StringWidth(value)
		switch {
		case t.o.Width <= 0 || w <= c.width || keep && l.width <= c.offset && c.offset+w <= t.room(i, values):
			l.place(c.offset, c.width, c.right, value)
		case keep:
			start := c.offset
			if start+w > t.o.Width {
				start = max(t.o.Width-w, 0)
			}
			if start < l.width+1 && l.width > 0 {
				t.buf.Write(l.done())
			}
			l.place(start, 0, false, cut(value, t.o.Width))
			t.buf.Write(l.done()) // the rest of the row goes on below
		case t.o.Wide:
			lines := wrapWords(value, c.width)
			l.place(c.offset, c.width, false, lines[0])
			below = append(below, lines[1:]...)
		default:
			l.place(c.offset, c.width, false, cut(value, c.width))
		}
	}
	if l.width > 0 {
		t.buf.Write(l.done())
	}
	if line == 0 {
		under()
	}
}

// room is how far cell i may reach on its line: to a gap before where the
// next cell's text starts (a right-aligned COUNT leaves room at its left),
// or to the width for the last cell of a line.
func (t *Table) room(i int, values []string) int {
	if i+1 < len(t.cols) && t.cols[i+1].line == t.cols[i].line {
		next := t.cols[i+1]
		start := next.offset
		if values[i+1] == "" {
			start += next.width
		} else if next.right {
			start += max(next.width-runewidth.StringWidth(values[i+1]), 0)
		}
		return start - colGap
	}
	return t.o.Width
}

// more writes one more rdata value of a record under the RDATA column.
func (t *Table) more(r *tableRow, at int) {
	for _, c := range t.cols {
		if !c.rdata {
			continue
		}
		var l lineBuilder
		v := r.rdata[0]
		switch w := runewidth.StringWidth(v); {
		case t.o.Width <= 0 || w <= c.width:
			l.place(at, 0, false, v)
		case nameTypes[r.rrtype]:
			l.place(max(min(at, t.o.Width-w), 0), 0, false, cut(v, t.o.Width))
		case t.o.Wide:
			for _, s := range wrapWords(v, c.width) {
				l.place(at, 0, false, s)
				t.buf.Write(l.done())
			}
			return
		default:
			l.place(at, 0, false, cut(v, c.width))
		}
		t.buf.Write(l.done())
	}
}

// lineBuilder lays cells out on one line, at their columns.
type lineBuilder struct {
	b     []byte
	width int // display columns so far
}

// place writes s at column offset, within width (right-aligned if asked);
// a line already past offset gets a gap first.
func (l *lineBuilder) place(offset, width int, right bool, s string) {
	w := runewidth.StringWidth(s)
	if right && w < width {
		offset += width - w
	}
	if s == "" {
		return
	}
	switch {
	case l.width > 0 && l.width > offset-colGap: // a cell ran over: a gap still
		l.b = append(l.b, "  "...)
		l.width += colGap
	case l.width < offset:
		l.b = append(l.b, strings.Repeat(" ", offset-l.width)...)
		l.width = offset
	}
	l.b = append(l.b, s...)
	l.width += w
}

// done returns the line, ended, and starts a new one.
func (l *lineBuilder) done() []byte {
	b := append(l.b, '\n')
	l.b, l.width = nil, 0
	return b
}

// block writes one record as "field: value" lines, for narrow terminals.
func (t *Table) block(r *tableRow) {
	field := func(name, value string) {
		if value == "" {
			return
		}
		for i, s := range t.fitBlock(value, t.o.Width-8) {
			if i == 0 {
				fmt.Fprintf(&t.buf, "%-8s%s\n", name+":", s)
			} else {
				fmt.Fprintf(&t.buf, "%-8s%s\n", "", s)
			}
		}
	}
	name := func(label, value string) { // a name is never cut: it may take its own line
		if w := runewidth.StringWidth(value); w > t.o.Width-8 && w <= t.o.Width {
			fmt.Fprintf(&t.buf, "%s:\n%s\n", label, value)
			return
		}
		field(label, value)
	}
	t.buf.WriteByte('\n')
	name("rrname", r.rrname)
	field("type", r.rrtype)
	for _, v := range r.rdata {
		if nameTypes[r.rrtype] {
			name("rdata", v)
		} else {
			field("rdata", v)
		}
	}
	if r.count != "" {
		field("count", r.count)
	}
	field("first", timeText(r.first, dateLayout))
	field("last", timeText(r.last, dateLayout))
	field("source", r.source)
}

func (t *Table) fitBlock(s string, width int) []string {
	width = max(width, 4)
	if t.o.Wide {
		return wrapWords(s, width)
	}
	return []string{cut(s, width)}
}
