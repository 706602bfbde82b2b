package query

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// InputError is a line or argument that is not an indicator. The run goes on
// without it.
type InputError struct {
	Where string // "line 12", "argument 2"
	Text  string // what was read, possibly cut short
	Err   error
}

func (e *InputError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("%s: %v", e.Where, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Where, Quote(e.Text, 80), e.Err)
}
func (e *InputError) Unwrap() error { return e.Err }
func (e *InputError) ExitCode() int { return 1 }
func (e *InputError) Kind() string  { return "bad input" }

// Quote renders untrusted text for a message on one line: quoted, with
// control, invisible and bidi characters escaped, cut after max bytes.
func Quote(s string, max int) string {
	cut := ""
	if len(s) > max {
		s, cut = s[:max], "…"
	}
	return strconv.Quote(s) + cut // invalid UTF-8 comes out as \x escapes
}

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
			case errors.As(err, new(*EncodingError)):
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
				r.lines = newLineReader(r.stdin, MaxIndicatorLen)
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
