package output

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Text writes one line a record (a line a value, for several rdata), as
// dig and dnsdbq's presentation format do, for grep and narrow terminals:
//
//	www.threatq.com  A  104.196.175.197  ; 2017-06-09 .. 2017-07-13 (~1m4d) count 6
//
// (and "from circl", its source, in a run that asks several).
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

func (t *Text) Record(q pdns.Indicator, r *pdns.Record) error {
	comment := seen(r.First(), r.Last())
	if r.Count != 0 {
		comment += " count " + strconv.FormatInt(r.Count, 10)
	}
	if t.o.Sources {
		comment += " from " + Terminal(sourceText(r))
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

func (t *Text) End(pdns.Indicator) error { return t.w.Flush() }
func (t *Text) Close() error             { return t.w.Flush() }
