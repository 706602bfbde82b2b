package output

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// CSV writes RFC 4180 CSV (quoted where needed; LF line ends, or CRLF
// with Options.CRLF) with the columns query, rrname, rrtype, rdata, count, time_first, time_last; times
// in RFC 3339 UTC, several rdata values joined with a space. Cells that a
// spreadsheet would take for a formula are made inert (CSVCell); on a
// terminal, text is also sanitised (Terminal).
type CSV struct {
	w      *csv.Writer
	o      Options
	header bool // written
}

// NewCSV returns a CSV writer to w.
func NewCSV(w io.Writer, o Options) *CSV {
	cw := csv.NewWriter(w)
	cw.UseCRLF = o.CRLF // LF unless asked: awk -F, and cut want no stray \r
	return &CSV{w: cw, o: o, header: o.NoHeader}
}

func (c *CSV) cell(s string) string {
	if c.o.Terminal {
		s = Terminal(s)
	}
	return CSVCell(s)
}

func (c *CSV) Record(q pdns.Indicator, r *pdns.Record) error {
	if !c.header {
		c.header = true
		h := []string{"query", "rrname", "rrtype", "rdata", "count", "time_first", "time_last"}
		if c.o.Sources {
			h = slices.Insert(h, 1, "source")
		}
		if q.Pivoting {
			h = append(h, "hop", "via")
		}
		if err := c.w.Write(h); err != nil {
			return err
		}
	}
	count := ""
	if r.Count != 0 {
		count = strconv.FormatInt(r.Count, 10)
	}
	row := []string{
		q.Value, c.cell(r.RRName), c.cell(r.RRType), c.cell(strings.Join(r.RData, " ")), count,
		timeText(r.First(), time.RFC3339), timeText(r.Last(), time.RFC3339),
	}
	if c.o.Sources {
		row = slices.Insert(row, 1, c.cell(sourceText(r)))
	}
	if q.Pivoting {
		row = append(row, strconv.Itoa(q.Hop), q.Via)
	}
	return c.w.Write(row)
}

func (c *CSV) End(pdns.Indicator) error {
	c.w.Flush()
	return c.w.Error()
}

func (c *CSV) Close() error { return c.End(pdns.Indicator{}) }
