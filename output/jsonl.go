package output

import (
	"bufio"
	"io"
	"strconv"

	"github.com/circl-pdns/circl-pdns/query"
)

// JSONL writes one JSON object per record: "query", the indicator asked,
// then every member as the server sent it, numbers normalised.
type JSONL struct {
	w   *bufio.Writer
	buf []byte
}

// NewJSONL returns a JSONL writer to w.
func NewJSONL(w io.Writer) *JSONL {
	return &JSONL{w: bufio.NewWriterSize(w, 64<<10)}
}

func (j *JSONL) Record(q query.Indicator, r *query.Record) error {
	j.buf = r.AppendJSON(j.buf[:0], query.Field{Key: "query", Value: strconv.AppendQuote(nil, q.Value)})
	j.buf = append(j.buf, '\n')
	_, err := j.w.Write(j.buf)
	return err
}

func (j *JSONL) End(query.Indicator) error { return j.w.Flush() }
func (j *JSONL) Close() error              { return j.w.Flush() }
