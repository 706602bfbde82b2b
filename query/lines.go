package query

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// LineTooLongError reports a line over the reader's limit; the line was
// skipped without being held in memory.
type LineTooLongError struct{ Max int }

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line longer than %d bytes, skipped", e.Max)
}

// lineReader yields the lines of a stream one at a time, without their
// line ending (LF or CRLF), in bounded memory: a line longer than max is
// discarded as it is read and reported as a *LineTooLongError.
type lineReader struct {
	br    *bufio.Reader
	max   int
	long  []byte // holds a line that spans more than one buffer
	line  int    // number of the line last returned, from 1
	ended bool   // the line last returned ended with a newline
}

func newLineReader(r io.Reader, max int) *lineReader {
	size := 64 << 10
	if max < size {
		size = max + 2
	}
	return &lineReader{br: bufio.NewReaderSize(r, size), max: max}
}

// next returns the next line; the slice is valid until the next call. At the
// end of the stream it returns io.EOF; a read error is returned as it is.
func (l *lineReader) next() ([]byte, error) {
	l.long = l.long[:0]
	tooLong := false
	skipped := 0
	for {
		chunk, err := l.br.ReadSlice('\n')
		if tooLong {
			if skipped += len(chunk); skipped > maxSkip(l.max) {
				return nil, &EndlessLineError{Skipped: skipped}
			}
		} else {
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
		l.ended = len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if tooLong {
			return nil, &LineTooLongError{Max: l.max}
		}
		line := chunk
		if len(l.long) > 0 {
			line = l.long
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > l.max {
			return nil, &LineTooLongError{Max: l.max}
		}
		return line, nil
	}
}

// EndlessLineError is a line that goes on past any reason (64 times the
// limit): its end is not waited for.
type EndlessLineError struct{ Skipped int }

func (e *EndlessLineError) Error() string {
	if e.Skipped >= 1<<20 {
		return fmt.Sprintf("a line of more than %d MB with no end in sight", e.Skipped>>20)
	}
	return fmt.Sprintf("a line of more than %d KB with no end in sight", e.Skipped>>10)
}

// maxSkip is how much of an over-long line is read, and thrown away, while
// waiting for its end.
func maxSkip(max int) int { return 64 * max }

// isLineTooLong reports whether err is a *LineTooLongError.
func isLineTooLong(err error) bool {
	var e *LineTooLongError
	return errors.As(err, &e)
}
