package pdns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
)

// Reader yields the indicators of a run in order: those given as arguments,
// with "-" (or no argument at all) standing for the lines of standard input.
// Blank lines and lines starting with '#' are skipped, and an indicator is
// yielded only the first time it appears.
type Reader struct {
	args  []string
	arg   int
	stdin io.Reader
	lines *lineReader
	seen  map[string]struct{}
	// stdinOpen: standard input is to be read, and has not ended yet
	stdinOpen atomic.Bool
	list      []Indicator // NewListReader's
}

// NewReader reads args, and stdin where args is empty or holds "-".
func NewReader(args []string, stdin io.Reader) *Reader {
	if len(args) == 0 {
		args = []string{"-"}
	}
	r := &Reader{args: args, stdin: stdin, seen: map[string]struct{}{}}
	r.stdinOpen.Store(stdin != nil && slices.Contains(args, "-") && !regularFile(stdin))
	return r
}

// Next returns the next new indicator; an *InputError for input that is not
// one (call Next again to go on); io.EOF when the input is exhausted; or the
// error that reading standard input failed with.
func (r *Reader) Next() (Indicator, error) {
	if r.list != nil || r.args == nil {
		if len(r.list) == 0 {
			return Indicator{}, io.EOF
		}
		ind := r.list[0]
		r.list = r.list[1:]
		return ind, nil
	}
	for {
		if r.lines != nil {
			line, err := r.lines.next()
			switch {
			case err == io.EOF:
				r.lines = nil
				r.stdinOpen.Store(false)
				continue
			case isLineTooLong(err):
				return Indicator{}, &InputError{Where: fmt.Sprintf("line %d", r.lines.line), Err: err}
			case errors.As(err, new(*encodingError)):
				r.lines = nil // not one error a line: standard input is not read further
				r.stdinOpen.Store(false)
				return Indicator{}, &InputError{Where: "standard input", Err: err}
			case err != nil:
				return Indicator{}, fmt.Errorf("reading standard input: %w", err)
			}
			text := strings.TrimSpace(string(line))
			if text == "" || text[0] == '#' {
				continue
			}
			if ind, err := r.parse(fmt.Sprintf("line %d", r.lines.line), text); ind.Value != "" || err != nil {
				return ind, err
			}
			continue
		}
		if r.arg >= len(r.args) {
			return Indicator{}, io.EOF
		}
		r.arg++
		if a := r.args[r.arg-1]; a == "-" {
			if r.stdin != nil {
				r.lines = newLineReader(r.stdin, maxIndicatorLen)
				r.stdin = nil // read once, even if "-" is given twice
			}
		} else if ind, err := r.parse(fmt.Sprintf("argument %d", r.arg), a); ind.Value != "" || err != nil {
			return ind, err
		}
	}
}

// NewListReader yields inds, in order: the next hop of a pivot.
func NewListReader(inds []Indicator) *Reader {
	return &Reader{list: inds, seen: map[string]struct{}{}}
}

// Finite says whether what is left of the input can be read without
// waiting: standard input is not read, or is a file (not a pipe, which may
// never end), or was read to its end. It may be called while another
// goroutine calls Next.
func (r *Reader) Finite() bool { return !r.stdinOpen.Load() }

func regularFile(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

// parse returns the indicator in text, an error, or neither for a repeat.
func (r *Reader) parse(where, text string) (Indicator, error) {
	ind, err := ParseIndicator(text)
	if err != nil {
		return Indicator{}, &InputError{Where: where, Text: text, Err: err}
	}
	if _, ok := r.seen[ind.Value]; ok {
		return Indicator{}, nil
	}
	r.seen[ind.Value] = struct{}{}
	return ind, nil
}
