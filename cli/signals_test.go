package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
)

// stuckWriter is a standard output whose every write blocks until released
// (a pipe nobody reads, or work that pays no heed to the context).
type stuckWriter struct {
	entered chan struct{}
	release chan struct{}
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	return len(p), nil
}

// Whatever the run is stuck in, SIGTERM ends it, with status 143.
func TestRunEndsWhateverIsRunning(t *testing.T) {
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", `{"rrname":"example.com","rrtype":"A","rdata":"192.0.2.1"}`)
	out := &stuckWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	defer close(out.release)
	stderr := &lockedWriter{}
	done := make(chan int)
	go func() {
		done <- run([]string{"--url", srv.Endpoint(), "--no-progress", "example.com"}, strings.NewReader(""), out, stderr, graceOver)
	}()
	<-out.entered // the output is being written: Run is running, its signals caught
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case status := <-done:
		if status != 143 {
			t.Errorf("status %d, want 143", status)
		}
	case <-time.After(30 * time.Second): // a bound on a broken test, not a timing
		t.Fatal("Run did not end")
	}
	if !strings.Contains(stderr.String(), "circl-pdns: interrupted; the output ends at its last whole line") {
		t.Errorf("stderr: %q", stderr.String())
	}
}

// graceOver is a clock in which every wait is over at once.
func graceOver(time.Duration) <-chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}

// lockedWriter is safe for the goroutine left running after Run returned.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lineWriter passes whole lines on, and drops the start of a line once
// sealed.
func TestLineWriter(t *testing.T) {
	var b bytes.Buffer
	l := &lineWriter{w: &b}
	io.WriteString(l, `{"a":1}`+"\n"+`{"b":`)
	io.WriteString(l, `2}`+"\n"+`{"c"`)
	if b.String() != `{"a":1}`+"\n"+`{"b":2}`+"\n" {
		t.Errorf("passed on %q", b.String())
	}
	l.seal(time.After) // nothing is being written: it seals at once
	if n, err := io.WriteString(l, ":3}\n"); n != 0 || err == nil {
		t.Errorf("sealed: wrote %d, %v", n, err)
	}
	l.flush()
	if b.String() != `{"a":1}`+"\n"+`{"b":2}`+"\n" {
		t.Errorf("after the seal: %q", b.String())
	}
	// a line without end in sight is passed on, not held whole
	l = &lineWriter{w: &b}
	b.Reset()
	for range 3 {
		io.WriteString(l, strings.Repeat("x", maxHeldLine/2))
	}
	if b.Len() < maxHeldLine {
		t.Errorf("%d bytes passed on of a line of %d", b.Len(), 3*maxHeldLine/2)
	}
	l = &lineWriter{w: &b}
	b.Reset()
	io.WriteString(l, "no newline at the end")
	l.flush()
	if b.String() != "no newline at the end" {
		t.Errorf("flush: %q", b.String())
	}
}

// $CIRCL_PDNS_CPUPROFILE=FILE writes a CPU profile of the run to FILE.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.out")
	t.Setenv("CIRCL_PDNS_CPUPROFILE", path)
	if code := Run([]string{"--version"}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
		t.Fatalf("status %d", code)
	}
	if b, err := os.ReadFile(path); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof's gzip
		t.Errorf("no profile in %s: %v", path, err)
	}
}
