package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// interrupted is the cause of a run cancelled by a signal.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted by " + e.sig.String() }

// interruptedStatus is the exit status of a run ctx's cancellation ended:
// 130 for SIGINT, 143 for SIGTERM.
func interruptedStatus(ctx context.Context) int {
	var sig interrupted
	if errors.As(context.Cause(ctx), &sig) {
		return sig.Failure().Status
	}
	return pdns.ExitInterrupted
}

// Failure says the status of a run ended by the signal: 128 plus its
// number, as shells say: 130 for SIGINT, 143 for SIGTERM.
func (e interrupted) Failure() pdns.Failure {
	if s, ok := e.sig.(syscall.Signal); ok {
		return pdns.Interrupted(int(s))
	}
	return pdns.Interrupted(int(syscall.SIGINT))
}

// grace is how long a run has to wind down after SIGINT or SIGTERM: the
// queries in flight are cancelled, what was received is written. Past it
// (a long table render, a heavy jq program), the output is cut at the
// last whole line and the process ends anyway.
const grace = 900 * time.Millisecond

// Run runs the command with args (without the program name) and returns its
// exit status. SIGINT and SIGTERM cancel the run, which then ends within a
// second whatever it was doing; a second signal ends it at once.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(args, stdin, stdout, stderr, time.After)
}

// run is Run, with the clock of its waits after a signal: after(d) fires
// once d has passed (time.After; a test's own, so that it waits in no real
// time).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, after func(time.Duration) <-chan time.Time) int {
	defer profile()()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// A closed stdout must give EPIPE, not kill the process with SIGPIPE.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)

	out := &lineWriter{w: stdout}
	done := make(chan int, 1)
	go func() {
		status := RunContext(ctx, args, stdin, out, stderr)
		out.flush()
		done <- status
	}()
	var sig os.Signal
	select {
	case status := <-done:
		return status
	case sig = <-sigs:
		cancel(interrupted{sig})
	}
	select {
	case status := <-done:
		return status
	case <-after(grace):
	case <-sigs:
	}
	out.seal(after)
	if isTerminal(stderr) {
		io.WriteString(stderr, "\r\x1b[K") // no progress bar left behind
	}
	fmt.Fprintln(stderr, "circl-pdns: interrupted; the output ends at its last whole line")
	return interrupted{sig}.Failure().Status
}

// lineWriter passes on whole lines only, holding a line's start until its
// end comes, so that the output can be cut (by a signal) on a line's end:
// a record in JSON lines, a row of CSV or of a table. It is the process's
// standard output: terminal checks see through it (Fd).
type lineWriter struct {
	mu     sync.Mutex
	w      io.Writer
	tail   []byte // the start of a line
	sealed bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sealed {
		return 0, io.ErrClosedPipe
	}
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		l.tail = append(l.tail, p...)
		if len(l.tail) > maxHeldLine { // a line without end in sight: not held
			if _, err := l.w.Write(l.tail); err != nil {
				return 0, err
			}
			l.tail = l.tail[:0]
		}
		return len(p), nil
	}
	if len(l.tail) > 0 {
		l.tail = append(l.tail, p[:i+1]...)
		if _, err := l.w.Write(l.tail); err != nil {
			return 0, err
		}
		l.tail = l.tail[:0]
	} else if _, err := l.w.Write(p[:i+1]); err != nil {
		return 0, err
	}
	l.tail = append(l.tail, p[i+1:]...)
	return len(p), nil
}

// maxHeldLine bounds what is held of a line: past it, the line is passed
// on as it comes (every format writes lines far shorter than that).
const maxHeldLine = 1 << 20

// flush passes on the start of a line still held, at the end of a run.
func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tail) > 0 && !l.sealed {
		l.w.Write(l.tail)
		l.tail = nil
	}
}

// seal drops what is held and refuses further writes. A write under way
// (to a pipe nobody reads) is waited for a moment only (after).
func (l *lineWriter) seal(after func(time.Duration) <-chan time.Time) {
	sealed := make(chan struct{})
	go func() {
		l.mu.Lock()
		l.sealed = true
		l.mu.Unlock()
		close(sealed)
	}()
	select {
	case <-sealed:
	case <-after(100 * time.Millisecond):
	}
}

// Fd is the descriptor of the standard output, for terminal checks.
func (l *lineWriter) Fd() uintptr {
	if f, ok := l.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}
