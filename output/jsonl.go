package output

import (
	"bufio"
	"io"

	"github.com/itchyny/gojq"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// JSONL writes one JSON object per record: "query", the indicator asked,
// ("source" or "sources" when a run asks several), then every member as the server sent it, numbers normalised. With a jq
// program it writes each output, whatever it is, as one line of JSON.
// Characters that a terminal would act on are written as \u escapes, which
// leaves the JSON value unchanged.
type JSONL struct {
	w    *bufio.Writer
	buf  []byte
	o    Options // Raw: a jq output that is a string is written as it is
	ind  pdns.Indicator
	lead []pdns.Field // ind's
}

// NewJSONL returns a JSONL writer to w.
func NewJSONL(w io.Writer, o Options) *JSONL {
	return &JSONL{w: bufio.NewWriterSize(w, 64<<10), o: o}
}

// Record writes r; indicators are plain ASCII without quotes or
// backslashes, so "query" needs no escaping.
func (j *JSONL) Record(q pdns.Indicator, r *pdns.Record) error {
	if q != j.ind || j.lead == nil {
		j.ind, j.lead = q, q.LeadFields()
	}
	lead := j.lead
	if more := r.SourceFields(); more != nil { // several sources
		lead = append(lead[:len(lead):len(lead)], more...)
	}
	j.buf = r.AppendJSON(j.buf[:0], lead...)
	return j.line(j.buf)
}

func (j *JSONL) Value(_ pdns.Indicator, v any) error {
	if s, ok := v.(string); ok && j.o.Raw { // as jq -r; inert on a terminal
		if j.o.Terminal {
			s = Terminal(s)
		}
		_, err := j.w.WriteString(s + "\n")
		return err
	}
	b, err := gojq.Marshal(v)
	if err != nil {
		return err
	}
	return j.line(b)
}

// line writes b and a newline; b is the writer's own to append to.
func (j *JSONL) line(b []byte) error {
	_, err := j.w.Write(append(safeJSON(nil, b), '\n'))
	return err
}

func (j *JSONL) End(pdns.Indicator) error { return j.w.Flush() }
func (j *JSONL) Close() error             { return j.w.Flush() }
