package output

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Timeline draws, for each indicator, one row per (type, rdata) for a name
// and per rrname for an address (the names that pointed to it), sorted by
// first seen, with a bar from first to last seen on one time axis shared
// by the whole output, and the count beside it; a record seen at one
// instant is a dot. Text from the server is sanitised as in the table, and
// cut to fit; colour (by record type) only with Options.Color.
//
// The axis is shared, so the rows are held until the run ends: one row per
// distinct name or rdata, however many records repeat it.
type Timeline struct {
	w io.Writer
	o Options
	spans
}

// NewTimeline returns a timeline writer to w.
func NewTimeline(w io.Writer, o Options) *Timeline { return &Timeline{w: w, o: o} }

func (t *Timeline) Record(q pdns.Indicator, r *pdns.Record) error {
	a := t.record(q, r)
	labels := r.RData
	if q.Kind != pdns.FQDN { // an address: the names that pointed to it
		labels = []string{r.RRName}
	}
	for _, l := range labels {
		a.add("", r.RRType, l, r, 0)
	}
	return nil
}

func (t *Timeline) End(q pdns.Indicator) error {
	t.end(q)
	return nil
}

// timeline layout
const (
	tlMinWidth = 40
	tlCount    = 7 // right-aligned count
)

var typeColor = map[string]string{
	"A": "32", "AAAA": "36", "CNAME": "33", "NS": "35", "MX": "34", "PTR": "32", "TXT": "37", "SOA": "31",
}

func (t *Timeline) Close() error {
	if len(t.answers) == 0 { // given no answer (--new, nothing new): nothing
		return nil
	}
	width := t.o.Width
	if width <= 0 {
		width = 100
	}
	width = max(width, tlMinWidth)
	lo, hi := t.bounds()
	typeW, labelW := 4, 5
	for _, a := range t.answers {
		for i := range a.rows.len() {
			typeW = max(typeW, runewidth.StringWidth(Terminal(a.rows.at(i).RRType())))
			labelW = max(labelW, runewidth.StringWidth(Terminal(a.rows.at(i).Label())))
		}
	}
	typeW = min(typeW, 10)
	labelW = min(labelW, max(12, width*35/100)) // the label takes up to a third, the bar the rest
	barW := width - typeW - labelW - tlCount - 3*1 - 2
	bw := bufio.NewWriter(t.w)
	pos := func(ts int64) int { // a column of the bar, within it
		x := int(float64(ts-lo) / float64(hi-lo) * float64(barW-1))
		return min(max(x, 0), barW-1)
	}
	indent := strings.Repeat(" ", typeW+1+labelW+1)
	fmt.Fprintf(bw, "%s%s\n", indent, t.axis(lo, hi, barW))
	for i, a := range t.answers {
		if i > 0 {
			bw.WriteByte('\n')
		}
		size := Plural(a.rows.len(), "row")
		if a.rows.len() == 0 {
			size = "no records"
		}
		fmt.Fprintf(bw, "%s: %s%s\n", a.q.Value, size, pivotNote(a.q))
		for _, i := range a.sorted(func(x, y *spanRow) int { return cmp.Compare(x.First, y.First) }) {
			r := a.rows.at(int(i))
			rrtype, label := Terminal(r.RRType()), Terminal(r.Label())
			bar := []rune(strings.Repeat(" ", barW))
			if r.First != 0 || r.Last != 0 {
				f, l := pos(max(r.First, lo)), pos(max(r.Last, lo))
				switch {
				case r.Last <= r.First: // seen at one instant
					bar[f] = '●'
				case l <= f: // a span narrower than a column
					bar[f] = '━'
				default:
					for x := f; x <= l; x++ {
						bar[x] = '━'
					}
				}
			}
			count := ""
			if r.Count != 0 {
				count = CountCell(r.Count)
			}
			drawn := strings.TrimRight(string(bar), " ")
			if c, ok := typeColor[rrtype]; ok && t.o.Color {
				glyphs := strings.TrimLeft(drawn, " ")
				drawn = drawn[:len(drawn)-len(glyphs)] + "\x1b[" + c + "m" + glyphs + "\x1b[0m"
			}
			pad := barW - runewidth.StringWidth(strings.TrimRight(string(bar), " "))
			line := fmt.Sprintf("%s %s %s%s %*s", padRight(cut(rrtype, typeW), typeW), padRight(cut(label, labelW), labelW), drawn, strings.Repeat(" ", pad), tlCount, count)
			bw.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	return bw.Flush()
}

// axis is the time axis, barW wide: a tick (┼) at each even step that
// fits with its label (ticks), every tick labelled.
func (t *Timeline) axis(lo, hi int64, barW int) string {
	line := []rune(strings.Repeat("─", barW))
	at := func(ts int64) int { return int(float64(ts-lo) / float64(hi-lo) * float64(barW-1)) }
	marks, layout := ticks(lo, hi, func(label string) int { return barW / (len(label) + 2) })
	drawn := 0
	for _, tk := range marks {
		x := at(tk.at)
		label := []rune(tk.label)
		if x < 0 || x+1+len(label) > barW { // the last one, too near the end
			continue
		}
		line[x] = '┼'
		copy(line[x+1:], label)
		drawn++
	}
	if start := []rune(time.Unix(lo, 0).UTC().Format(layout)); drawn == 0 && len(start) < barW {
		line[0] = '┼' // no mark fits: where the axis starts
		copy(line[1:], start)
	}
	return string(line)
}
