package output

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/circl-pdns/circl-pdns/query"
)

// Text writes one line a record (a line a value, for several rdata), as
// dig and dnsdbq's presentation format do, for grep and narrow terminals:
//
//	www.threatq.com  A  104.196.175.197  ; 2017-06-09 .. 2017-07-13 (~1m4d) count 6
//
// Text from the server is sanitised with Terminal, whatever the output.
type Text struct {
	w   *bufio.Writer
	buf []byte
	o   Options
}

// NewText returns a text writer to w.
func NewText(w io.Writer, o Options) *Text {
	return &Text{w: bufio.NewWriterSize(w, 64<<10), o: o}
}

func (t *Text) Record(q query.Indicator, r *query.Record) error {
	comment := seen(r.First(), r.Last())
	if r.Count != 0 {
		comment += " count " + strconv.FormatInt(r.Count, 10)
	}
	if q.Pivoting {
		comment += " hop " + strconv.Itoa(q.Hop)
		if q.Via != "" {
			comment += " via " + q.Via
		}
	}
	rdata := r.RData
	if len(rdata) == 0 {
		rdata = []string{""}
	}
	for _, v := range rdata {
		b := append(t.buf[:0], Terminal(r.RRName)...)
		b = append(b, "  "...)
		b = append(b, Terminal(r.RRType)...)
		b = append(b, "  "...)
		b = append(b, Terminal(v)...)
		if comment != "" {
			b = append(b, "  ;"...)
			b = append(b, comment...)
		}
		b = append(b, '\n')
		t.buf = b
		if _, err := t.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// seen is " 2017-06-09 .. 2017-07-13 (~1m4d)", or "" without times.
func seen(first, last int64) string {
	if first == 0 && last == 0 {
		return ""
	}
	s := " " + timeText(first, dateLayout) + " .. " + timeText(last, dateLayout)
	if first != 0 && last >= first {
		s += " (" + span(time.Duration(last-first)*time.Second) + ")"
	}
	return s
}

// span is a duration as a person says it: ~5y8m, ~3m12d, ~12d, ~5h, <1h.
func span(d time.Duration) string {
	const day = 24 * time.Hour
	const month, year = 30 * day, 365 * day
	switch {
	case d >= year:
		return fmt.Sprintf("~%dy%dm", d/year, d%year/month)
	case d >= month:
		return fmt.Sprintf("~%dm%dd", d/month, d%month/day)
	case d >= day:
		return fmt.Sprintf("~%dd", d/day)
	case d >= time.Hour:
		return fmt.Sprintf("~%dh", d/time.Hour)
	}
	return "<1h"
}

func (t *Text) End(query.Indicator) error { return t.w.Flush() }
func (t *Text) Close() error              { return t.w.Flush() }
