package output

import (
	"bytes"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/circl-pdns/circl-pdns/query"
)

// Table writes one table per indicator, for people: columns RRNAME, RRTYPE,
// RDATA, COUNT, FIRST SEEN, LAST SEEN (UTC), with a leading QUERY column
// when more than one indicator was asked. It holds an answer's records
// until it ends (or for a long one, its first tableBlock records), then fits
// the table to the width: long names and rdata wrap onto more lines,
// nothing is cut. Text is sanitised with Terminal.
type Table struct {
	w      io.Writer
	o      Options
	rows   [][]string
	widths []int // of the answer being written, once its first block is out
	tables int
}

// tableBlock is how many rows are held before a long answer's table is
// written out, a block at a time: memory stays bounded and the first rows
// show early.
const tableBlock = 1000

const (
	timeLayout = "2006-01-02 15:04:05"
	colGap     = 2 // spaces between columns
	minFlex    = 12
)

// NewTable returns a table writer to w.
func NewTable(w io.Writer, o Options) *Table { return &Table{w: w, o: o} }

func (t *Table) header() []string {
	h := []string{"RRNAME", "RRTYPE", "RDATA", "COUNT", "FIRST SEEN", "LAST SEEN"}
	if t.o.ShowQuery {
		h = append([]string{"QUERY"}, h...)
	}
	return h
}

// flexible says which columns may wrap: the query, rrname and rdata ones.
func (t *Table) flexible(col int) bool {
	if t.o.ShowQuery {
		col--
	}
	return col == -1 || col == 0 || col == 2
}

func (t *Table) Record(q query.Indicator, r *query.Record) error {
	rdata := make([]string, len(r.RData))
	for i, v := range r.RData {
		rdata[i] = Terminal(v)
	}
	count := ""
	if r.Count != 0 {
		count = strconv.FormatInt(r.Count, 10)
	}
	row := []string{Terminal(r.RRName), Terminal(r.RRType), strings.Join(rdata, "\n"), count, timeText(r.First(), timeLayout), timeText(r.Last(), timeLayout)}
	if t.o.ShowQuery {
		row = append([]string{q.Value}, row...)
	}
	t.rows = append(t.rows, row)
	if len(t.rows) >= tableBlock {
		return t.flush()
	}
	return nil
}

func (t *Table) End(query.Indicator) error {
	err := t.flush()
	t.widths = nil
	return err
}

// flush renders the rows held. The first block of an answer sets the
// column widths (and has the header); later blocks of a long answer keep
// them, so that they line up, and wrap what is wider.
func (t *Table) flush() error {
	if len(t.rows) == 0 {
		return nil
	}
	defer func() { t.rows = t.rows[:0] }()
	header := t.header()
	first := t.widths == nil
	if first {
		t.widths = t.fit(header)
		if len(t.rows) >= tableBlock && t.o.Width > 0 {
			t.widen() // a long answer: later rows get room to be longer
		}
	}
	for _, row := range t.rows {
		for i := range row {
			width := t.widths[i]
			if !first && t.o.Width <= 0 {
				width = 0 // no width to keep to: a longer cell makes its line longer
			}
			row[i] = wrap(row[i], width)
		}
	}
	var buf bytes.Buffer
	if first && t.tables > 0 {
		buf.WriteByte('\n') // a blank line between the tables of two indicators
	}
	if first {
		t.tables++
	}
	// The cells of a block's first line are padded to the widths, so that
	// every block of the answer is as wide as they say.
	if first && !t.o.NoHeader {
		header = padCells(header, t.widths)
	} else {
		t.rows[0] = padCells(t.rows[0], t.widths)
	}
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: strings.Repeat(" ", colGap), Overwrite: true}),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	if first && !t.o.NoHeader {
		tbl.Header(header)
	}
	if err := tbl.Bulk(t.rows); err != nil {
		return err
	}
	if err := tbl.Render(); err != nil {
		return err
	}
	_, err := t.w.Write(trailingSpace.ReplaceAll(buf.Bytes(), []byte("\n")))
	return err
}

var trailingSpace = regexp.MustCompile(` +\n`)

func (t *Table) Close() error { return nil }

// fit chooses each column's width. When the table is wider than the
// terminal, the query, rrname and rdata columns share what the others leave
// (narrow ones keep their natural width, wide ones get equal shares and
// wrap); if that leaves them cramped, the two time columns wrap too, date
// above time.
func (t *Table) fit(header []string) []int {
	natural := make([]int, len(header))
	for i, h := range header {
		if !t.o.NoHeader {
			natural[i] = runewidth.StringWidth(h)
		}
	}
	for _, row := range t.rows {
		for i, cell := range row {
			for _, line := range strings.Split(cell, "\n") {
				natural[i] = max(natural[i], runewidth.StringWidth(line))
			}
		}
	}
	total := 0
	for _, w := range natural {
		total += w + colGap
	}
	if t.o.Width <= 0 || total-colGap <= t.o.Width {
		return natural
	}
	widths, cramped := t.share(natural, false)
	if cramped {
		widths, _ = t.share(natural, true)
	}
	return widths
}

// padCells pads the first line of each cell to its column's width.
func padCells(cells []string, widths []int) []string {
	out := make([]string, len(cells))
	for i, cell := range cells {
		line, rest, more := strings.Cut(cell, "\n")
		if pad := widths[i] - runewidth.StringWidth(line); pad > 0 {
			line += strings.Repeat(" ", pad)
		}
		if more {
			line += "\n" + rest
		}
		out[i] = line
	}
	return out
}

// widen gives the RDATA column what the terminal's width leaves over.
func (t *Table) widen() {
	total := 0
	for _, w := range t.widths {
		total += w + colGap
	}
	rdata := 2
	if t.o.ShowQuery {
		rdata++
	}
	if spare := t.o.Width - (total - colGap); spare > 0 {
		t.widths[rdata] += spare
	}
}

// share gives the flexible columns what the others leave of the width, and
// says whether one of them got less than minFlex.
func (t *Table) share(natural []int, wrapTimes bool) (widths []int, cramped bool) {
	widths = slices.Clone(natural)
	avail := t.o.Width + colGap // no gap after the last column
	var flex []int
	for i := range natural {
		switch {
		case t.flexible(i):
			flex = append(flex, i)
		case wrapTimes && i >= len(natural)-2: // FIRST SEEN, LAST SEEN
			widths[i] = min(natural[i], len("2006-01-02"))
		}
		avail -= colGap
		if !t.flexible(i) {
			avail -= widths[i]
		}
	}
	slices.SortFunc(flex, func(a, b int) int { return natural[a] - natural[b] })
	for n, i := range flex {
		share := avail / (len(flex) - n)
		widths[i] = max(min(natural[i], share), min(natural[i], minFlex))
		cramped = cramped || widths[i] < min(natural[i], minFlex)+4 && widths[i] < natural[i]
		avail -= widths[i]
	}
	return widths, cramped
}

// wrap breaks each line of s into lines of at most width columns, after a
// space, dot or hyphen, or before a backslash escape, where there is one in
// the second half of the line.
func wrap(s string, width int) string {
	if width <= 0 || runewidth.StringWidth(s) <= width && !strings.Contains(s, "\n") {
		return s
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for runewidth.StringWidth(line) > width {
			cut, w := 0, 0
			for i, r := range line {
				rw := runewidth.RuneWidth(r)
				if w+rw > width {
					break
				}
				w += rw
				cut = i + len(string(r))
			}
			next := cut
			switch {
			case cut == 0: // a rune wider than the column
				_, cut = utf8.DecodeRuneInString(line)
				next = cut
			case line[cut] == ' ': // break at the space, which goes
				next = cut + 1
			default: // after a space, dot or hyphen, or before an escape
				i := strings.LastIndexAny(line[:cut], " .-") + 1
				if e := strings.LastIndexByte(line[:cut], '\\'); e > i {
					i = e
				}
				if i > cut/2 {
					cut, next = i, i
				}
			}
			out = append(out, strings.TrimRight(line[:cut], " "))
			line = line[next:]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
