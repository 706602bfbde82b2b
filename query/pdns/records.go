package pdns

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// RecordReader is the one stage that turns the bytes of an answer into
// Records, for every source: a server's answer, a local dump, a cached
// answer (and the fake server's own data). It reads what real servers send,
// the way jq reads its input:
//
//   - JSON objects one per line (NDJSON), or in any layout: pretty-printed,
//     run together ("}{"), several on a line;
//   - or one JSON array of objects, whose elements are streamed;
//   - a UTF-8 byte-order mark first; lines ending in LF, CRLF or CR alone.
//
// What the answer is, is decided by its first bytes, never by a label: "<"
// is HTML, a UTF-16 byte-order mark is UTF-16, anything but "{" or "[" is
// not COF; each ends the answer with an *AnswerError.
//
// Everything is bounded: a record longer than the limit is skipped without
// being held (and one with no end in sight ends the answer), as do runs of
// bad records, of over-long ones, and of blank space. A bad record is
// reported with the line it starts on, and reading goes on.
type RecordReader struct {
	// LineOffset is added to the line numbers reported: the lines of the
	// pages before this one.
	LineOffset int

	br  *bufio.Reader
	max int

	rest    []byte // the part of the chunk last read not yet looked at
	readErr error  // what ended the reads: io.EOF, or another error
	started bool   // the first chunk was read (and its byte-order mark seen to)
	sniffed bool   // the first value was seen: it is COF
	lines   int    // line ends seen
	partial bool   // bytes seen since the last line end
	prevCR  bool   // the last byte was a CR (a following LF ends no new line)
	bol     bool   // only blank space seen on this line so far

	inArray bool // inside a top-level array
	skip    bool // skipping the rest of a line of junk
	resync  bool // after a broken object: looking for the start of the next
	r1, r2  byte // the last two bytes other than blank space, while resyncing
	blank   int  // bytes of blank space since the last value
	junk    int  // bytes skipped since the last record began

	// the object being read
	depth   int
	stack   []byte // the open '{' and '['
	inStr   bool
	esc     bool
	last    byte // the last byte outside strings, other than blank space
	obj     []byte
	objLine int
	multi   bool // the object spans lines
	tooLong bool
	skipped int // bytes of an over-long object

	bad, long int // bad and over-long records in a row

	arena arena // the memory of the records read
}

// NewRecordReader reads records of at most max bytes from r.
func NewRecordReader(r io.Reader, max int) *RecordReader {
	if max <= 0 {
		max = DefaultMaxRecordBytes
	}
	return &RecordReader{br: bufio.NewReaderSize(r, 64<<10), max: max, bol: true}
}

// BadRecordError is one record that could not be read: it was skipped, and
// the next call to Next goes on after it.
type BadRecordError struct {
	Line int // where the record starts
	Err  error
}

func (e *BadRecordError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *BadRecordError) Unwrap() error { return e.Err }

// AnswerError is an answer given up on as a whole: it is not COF, or it
// went on past any reason. Msg completes "the answer is ...".
type AnswerError struct {
	Line int
	Msg  string
}

func (e *AnswerError) Error() string { return e.Msg }

// LineTooLongError is a record (or an input line) over the limit; it was
// skipped without being held in memory.
type LineTooLongError struct {
	Max  int
	What string // "record", or "line"
}

func (e *LineTooLongError) Error() string {
	what := e.What
	if what == "" {
		what = "record"
	}
	return fmt.Sprintf("%s longer than %d bytes, skipped", what, e.Max)
}

// ErrCut is an answer that ended in the middle of a record.
var ErrCut = errors.New("the answer was cut short")

// DefaultMaxRecordBytes bounds one record (whatever the lines it spans)
// unless --max-record-bytes says otherwise: past it, the record is skipped
// without being held.
const DefaultMaxRecordBytes = 4 << 20

// A reader that gets nothing but junk gives up rather than read for ever.
const (
	maxBadRun  = 100     // records in a row that are not records
	maxLongRun = 10      // records in a row over the limit
	maxBlank   = 1 << 20 // bytes of blank space with no value
)

// maxSkip is how much of an over-long record is read, and thrown away,
// while waiting for its end.
func maxSkip(max int) int { return 64 * max }

// Lines is the number of lines read so far (the last one may be unended).
func (r *RecordReader) Lines() int {
	if r.partial {
		return r.lines + 1
	}
	return r.lines
}

// line is the number of the line of the byte being looked at.
func (r *RecordReader) line() int { return r.LineOffset + r.lines + 1 }

// Next returns the next record; a *BadRecordError for a record skipped
// (call Next again); io.EOF at the end; an *AnswerError when the answer is
// given up on; ErrCut when it ended inside a record; or the error the
// underlying reader failed with.
func (r *RecordReader) Next() (Record, error) {
	for {
		if len(r.rest) == 0 {
			if r.readErr != nil {
				return Record{}, r.end()
			}
			chunk, err := r.br.ReadSlice('\n')
			if !r.started {
				r.started = true
				if e := r.byteOrderMark(&chunk); e != nil {
					return Record{}, e
				}
			}
			if err == nil && r.idle() {
				if rec, ok := r.whole(chunk); ok {
					return rec, nil
				}
			}
			switch err {
			case nil, bufio.ErrBufferFull:
			default:
				r.readErr = err
			}
			r.rest = chunk
			continue
		}
		if rec, err, done := r.scan(); done {
			return rec, err
		}
	}
}

// byteOrderMark skips a UTF-8 byte-order mark and refuses UTF-16.
func (r *RecordReader) byteOrderMark(chunk *[]byte) error {
	c := *chunk
	switch {
	case bytes.HasPrefix(c, []byte("\xEF\xBB\xBF")):
		*chunk = c[3:]
	case bytes.HasPrefix(c, []byte("\xFF\xFE")), bytes.HasPrefix(c, []byte("\xFE\xFF")):
		return &AnswerError{Line: r.line(), Msg: fmt.Sprintf("UTF-16 (byte-order mark %X), not UTF-8", c[:2])}
	}
	return nil
}

// idle says the reader is between values at the start of a line, outside
// an array: where a whole NDJSON line may be taken at once.
func (r *RecordReader) idle() bool {
	return r.depth == 0 && r.bol && !r.inArray && !r.skip && !r.resync && !r.prevCR
}

// whole takes a line that is one record, the common case, without looking
// at it byte by byte. Anything else is left to scan.
func (r *RecordReader) whole(chunk []byte) (Record, bool) {
	line := trimBlank(chunk)
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' || len(line) > r.max || bytes.IndexByte(line, '\r') >= 0 {
		return Record{}, false
	}
	rec, err := decode(line, &r.arena)
	if err != nil { // scan says why, with the line
		return Record{}, false
	}
	r.lines++
	r.sniffed, r.blank, r.bad, r.long = true, 0, 0, 0
	return rec, true
}

func trimBlank(b []byte) []byte {
	for len(b) > 0 && isBlank(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isBlank(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// newline counts a line end: LF, CRLF or CR alone.
func (r *RecordReader) newline(c byte) {
	switch {
	case c == '\r':
		r.lines++
	case c == '\n' && !r.prevCR:
		r.lines++
	}
	r.prevCR = c == '\r'
	r.partial, r.bol = false, true
	r.skip = false
	r.r1, r.r2 = 0, 0
}

// scan looks at the bytes of r.rest until it has a record or an error to
// return (done), or has looked at them all.
func (r *RecordReader) scan() (rec Record, err error, done bool) {
	for len(r.rest) > 0 {
		c := r.rest[0]
		if c == '\n' || c == '\r' {
			if r.depth > 0 && r.inStr { // a string cannot span lines: the record is broken
				return Record{}, r.broken(), true
			}
			r.rest = r.rest[1:]
			if r.depth > 0 {
				r.multi = true
				if rec, err, done := r.keep(c); done {
					return rec, err, true
				}
			} else if err := r.space(); err != nil {
				return Record{}, err, true
			}
			r.newline(c)
			continue
		}
		r.prevCR = false
		r.partial = true
		if r.depth > 0 && r.inStr && !r.esc {
			// the plain run of a string, at once: long strings are the
			// bulk of long records
			n := 0
			for n < len(r.rest) && !strStop[r.rest[n]] {
				n++
			}
			if n > 0 {
				if err := r.keepRun(r.rest[:n]); err != nil {
					return Record{}, err, true
				}
				r.rest = r.rest[n:]
				continue
			}
		}
		if r.depth > 0 {
			if rec, err, done := r.inObject(c); done {
				return rec, err, true
			}
			continue
		}
		if rec, err, done := r.between(c); done {
			return rec, err, true
		}
	}
	return Record{}, nil, false
}

// space is blank space between values.
func (r *RecordReader) space() error {
	if r.blank++; r.blank > maxBlank {
		return &AnswerError{Line: r.line(), Msg: fmt.Sprintf("given up on: more than %d MB of blank space and no record", maxBlank>>20)}
	}
	return nil
}

// between handles byte c (not a line end) outside any object.
func (r *RecordReader) between(c byte) (Record, error, bool) {
	if isBlank(c) {
		r.rest = r.rest[1:]
		if err := r.space(); err != nil {
			return Record{}, err, true
		}
		return Record{}, nil, false
	}
	wasBOL := r.bol
	r.bol = false
	if r.resync && c == '{' && (wasBOL || r.r1 == '}' || r.r1 == ',' && r.r2 == '}') {
		r.resync = false
	}
	if r.skip || r.resync {
		r.rest = r.rest[1:]
		r.r2, r.r1 = r.r1, c
		if r.junk++; r.junk > maxSkip(r.max) {
			return Record{}, &AnswerError{Line: r.line(), Msg: fmt.Sprintf("given up on: more than %d MB that is not records", r.junk>>20)}, true
		}
		return Record{}, nil, false
	}
	switch {
	case c == '{':
		r.rest = r.rest[1:]
		r.sniffed, r.blank, r.junk = true, 0, 0
		r.depth, r.stack, r.last = 1, append(r.stack[:0], '{'), '{'
		r.obj = append(r.obj[:0], '{')
		r.objLine, r.multi, r.tooLong, r.skipped = r.line(), false, false, 0
		return Record{}, nil, false
	case c == '[' && !r.inArray:
		r.rest = r.rest[1:]
		r.sniffed, r.inArray, r.blank = true, true, 0
		return Record{}, nil, false
	case r.inArray && (c == ',' || c == ']'):
		r.rest = r.rest[1:]
		r.inArray = c == ','
		return Record{}, nil, false
	}
	if !r.sniffed {
		start := r.rest[:min(len(r.rest), 80)]
		if i := bytes.IndexAny(start, "\r\n"); i >= 0 {
			start = start[:i]
		}
		if c == '<' {
			return Record{}, &AnswerError{Line: r.line(), Msg: "HTML, not NDJSON: " + Quote(string(start), 80)}, true
		}
		return Record{}, &AnswerError{Line: r.line(), Msg: "not NDJSON: it starts with " + Quote(string(start), 80)}, true
	}
	// junk between records: the rest of its line is one bad record
	r.rest = r.rest[1:]
	r.skip = true
	return Record{}, r.badRecord(r.line(), errors.New("not a JSON object")), true
}

// inObject handles byte c (not a line end) inside an object.
func (r *RecordReader) inObject(c byte) (Record, error, bool) {
	if c == '{' && !r.inStr {
		top := r.stack[len(r.stack)-1]
		if !(r.last == ':' || top == '[' && (r.last == '[' || r.last == ',')) {
			// a '{' where no value can be: the record was cut short. At the
			// start of a line, this is the start of the next one.
			if r.bol {
				err := r.badRecord(r.objLine, errors.New("malformed JSON"))
				r.resetObject()
				return Record{}, err, true
			}
			return Record{}, r.broken(), true
		}
	}
	r.rest = r.rest[1:]
	if rec, err, done := r.keep(c); done {
		return rec, err, true
	}
	if r.inStr {
		switch {
		case r.esc:
			r.esc = false
		case c == '\\':
			r.esc = true
		case c == '"':
			r.inStr, r.last = false, '"'
		}
		return Record{}, nil, false
	}
	switch c {
	case ' ', '\t':
		return Record{}, nil, false
	case '"':
		r.inStr = true
	case '{', '[':
		if len(r.stack) >= maxDepth+1 {
			return Record{}, r.broken(), true
		}
		r.stack = append(r.stack, c)
		r.depth++
	case '}', ']':
		open := byte('{')
		if c == ']' {
			open = '['
		}
		if r.stack[len(r.stack)-1] != open {
			return Record{}, r.broken(), true
		}
		r.stack = r.stack[:len(r.stack)-1]
		if r.depth--; r.depth == 0 {
			return r.complete()
		}
	}
	r.last = c
	r.bol = false
	return Record{}, nil, false
}

// strStop marks the bytes that end the plain run of a string.
var strStop = func() (t [256]bool) {
	t['"'], t['\\'], t['\n'], t['\r'] = true, true, true, true
	return t
}()

// keep adds c to the object being read, unless it is too long.
func (r *RecordReader) keep(c byte) (Record, error, bool) {
	if err := r.keepRun([]byte{c}); err != nil {
		return Record{}, err, true
	}
	return Record{}, nil, false
}

// keepRun adds b to the object being read; past the limit, the object is
// only counted, and given up on when it has no end in sight.
func (r *RecordReader) keepRun(b []byte) error {
	if !r.tooLong && len(r.obj)+len(b) > r.max {
		r.tooLong, r.skipped, r.obj = true, len(r.obj), nil // nil: let a huge buffer go
	}
	if r.tooLong {
		if r.skipped += len(b); r.skipped > maxSkip(r.max) {
			return &AnswerError{Line: r.objLine, Msg: fmt.Sprintf("given up on: the record at line %d goes on for more than %d MB with no end in sight", r.objLine, r.skipped>>20)}
		}
		return nil
	}
	r.obj = append(r.obj, b...)
	return nil
}

// complete decodes the object just closed.
func (r *RecordReader) complete() (Record, error, bool) {
	line := r.objLine
	r.resetObject()
	if r.tooLong {
		if r.long++; r.long >= maxLongRun {
			return Record{}, &AnswerError{Line: line, Msg: fmt.Sprintf("given up on: %d records in a row longer than %d bytes", r.long, r.max)}, true
		}
		return Record{}, &BadRecordError{Line: line, Err: &LineTooLongError{Max: r.max}}, true
	}
	r.long = 0
	rec, err := DecodeRecord(r.obj)
	if err != nil {
		return Record{}, r.badRecord(line, err), true
	}
	if r.multi { // the cache, and whoever reads Raw, gets one line
		var b bytes.Buffer
		json.Compact(&b, r.obj) // the scanner checked it
		rec.Raw = b.String()
	}
	r.bad = 0
	return rec, nil, true
}

// broken reports the object being read as malformed, and looks for the
// start of the next one.
func (r *RecordReader) broken() error {
	err := r.badRecord(r.objLine, errors.New("malformed JSON"))
	r.resetObject()
	r.resync = true
	r.r1, r.r2 = 0, 0
	return err
}

func (r *RecordReader) resetObject() {
	r.depth, r.inStr, r.esc = 0, false, false
	r.stack = r.stack[:0]
}

// badRecord counts a bad record; too many in a row end the answer.
func (r *RecordReader) badRecord(line int, err error) error {
	if r.bad++; r.bad >= maxBadRun {
		return &AnswerError{Line: line, Msg: fmt.Sprintf("given up on: %d records in a row are not records", r.bad)}
	}
	return &BadRecordError{Line: line, Err: err}
}

// end is what Next returns once every byte was looked at.
func (r *RecordReader) end() error {
	if r.readErr != io.EOF {
		return r.readErr
	}
	switch {
	case r.depth > 0 && r.bol:
		// the answer ended cleanly on a line end, inside a record
		line := r.objLine
		r.resetObject()
		r.readErr = io.EOF
		return r.badRecord(line, errors.New("incomplete JSON object"))
	case r.depth > 0, r.inArray:
		r.resetObject()
		r.inArray = false
		return ErrCut
	}
	return io.EOF
}
