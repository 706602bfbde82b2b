package pdns

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// lineReader yields the lines of standard input one at a time, without
// their line ending (LF or CRLF), in bounded memory: a line longer than max
// is read past, never held, and reported as a *LineTooLongError; reading
// goes on with the next line. A UTF-8 byte-order mark is skipped; UTF-16
// input is refused once, with an *encodingError.
type lineReader struct {
	br      *bufio.Reader
	max     int
	long    []byte // holds a line that spans more than one buffer
	line    int    // number of the line last returned, from 1
	started bool
}

func newLineReader(r io.Reader, limit int) *lineReader {
	size := 64 << 10
	if limit < size {
		size = max(limit+2, 16)
	}
	return &lineReader{br: bufio.NewReaderSize(r, size), max: limit}
}

// encodingError is input that is not UTF-8 text.
type encodingError struct{ Msg string }

func (e *encodingError) Error() string { return e.Msg }

// next returns the next line; the slice is valid until the next call. At the
// end of the stream it returns io.EOF; a read error is returned as it is.
func (l *lineReader) next() ([]byte, error) {
	if !l.started {
		l.started = true
		if b, _ := l.br.Peek(3); bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
			l.br.Discard(3)
		} else if bytes.HasPrefix(b, []byte("\xFF\xFE")) || bytes.HasPrefix(b, []byte("\xFE\xFF")) {
			return nil, &encodingError{Msg: fmt.Sprintf("it is UTF-16 (byte-order mark %X), not UTF-8: convert it first, e.g. with iconv -f UTF-16 -t UTF-8", b[:2])}
		}
	}
	l.long = l.long[:0]
	tooLong := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		if !tooLong {
			if len(l.long)+len(chunk) > l.max+2 { // +2: the line ending
				tooLong, l.long = true, l.long[:0]
			} else if err == bufio.ErrBufferFull || len(l.long) > 0 {
				l.long = append(l.long, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(chunk) == 0 && len(l.long) == 0 && !tooLong:
			return nil, io.EOF
		case err != nil && err != io.EOF:
			return nil, err
		}
		l.line++
		if tooLong {
			return nil, &LineTooLongError{Max: l.max, What: "line"}
		}
		line := chunk
		if len(l.long) > 0 {
			line = l.long
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > l.max {
			return nil, &LineTooLongError{Max: l.max, What: "line"}
		}
		return line, nil
	}
}

// isLineTooLong reports whether err is a *LineTooLongError.
func isLineTooLong(err error) bool {
	var e *LineTooLongError
	return errors.As(err, &e)
}
