package query_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/circl"
	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/pdns/pdnstest"
	"github.com/circl-pdns/circl-pdns/query/store"
)

// recorder is a Handler that writes down what it is given.
type recorder struct{ log []string }

func (r *recorder) Record(ind pdns.Indicator, rec *pdns.Record) error {
	r.log = append(r.log, ind.Value+" "+strings.Join(rec.RData, "+"))
	return nil
}
func (r *recorder) Value(ind pdns.Indicator, v any) error {
	r.log = append(r.log, fmt.Sprintf("%s value %v", ind.Value, v))
	return nil
}
func (r *recorder) Done(ind pdns.Indicator, err error) error {
	r.log = append(r.log, fmt.Sprintf("done %s %v", ind.Value, err))
	return nil
}
func (r *recorder) Problem(err error) { r.log = append(r.log, "problem "+err.Error()) }

func TestBatchInOrder(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("a.example", pdnstest.Rec("a.example", "192.0.2.1"))
	srv.Add("b.example", pdnstest.Rec("b.example", "192.0.2.2"), pdnstest.Rec("b.example", "192.0.2.3"))
	h := &recorder{}
	in := pdns.NewReader([]string{"a.example", "-", "a.example"}, strings.NewReader("bad input\nb.example\nnone.example\n"))
	if err := (&query.Batch{Source: srv.NewClient()}).Run(context.Background(), in, h); err != nil {
		t.Fatal(err)
	}
	want := `a.example 192.0.2.1
done a.example <nil>
problem line 1: "bad input": a name with invalid characters, not an FQDN or IP address
b.example 192.0.2.2
b.example 192.0.2.3
done b.example <nil>
done none.example <nil>`
	if got := strings.Join(h.log, "\n"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestBatchStopsOnAuthError(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.RequireBasicAuth("u", "p")
	h := &recorder{}
	b := &query.Batch{Source: srv.NewClient()} // one query at a time
	err := b.Run(context.Background(), pdns.NewReader([]string{"a.example", "b.example", "c.example", "d.example", "e.example"}, nil), h)
	var auth *circl.AuthError
	// a's refusal stops the run: nothing more is written, and nothing more
	// asked but what a worker already had in hand (b, at most)
	if !errors.As(err, &auth) || len(srv.Requests()) > 2 || len(h.log) != 1 || b.NotAsked().Count < 3 {
		t.Errorf("err %v, %d requests, log %q, %+v: want an AuthError after a's request, and b's at most", err, len(srv.Requests()), h.log, b.NotAsked())
	}
}

func TestBatchCancelWhileWaitingForInput(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe() // input that never comes, as from a quiet tail -f
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- (&query.Batch{Source: &store.Dump{Path: "unused"}}).Run(ctx, pdns.NewReader(nil, pr), &recorder{})
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
}

func TestBatchLimitStopsFetching(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	for i := range 10 {
		srv.Add("a.example", pdnstest.Rec("a.example", fmt.Sprintf("192.0.2.%d", i)))
	}
	h := &recorder{}
	b := &query.Batch{Source: srv.NewClient(), Selection: &query.Selection{Limit: 3}} // pages of 2
	if err := b.Run(context.Background(), pdns.NewReader([]string{"a.example"}, nil), h); err != nil {
		t.Fatal(err)
	}
	want := "a.example 192.0.2.0\na.example 192.0.2.1\na.example 192.0.2.2\ndone a.example <nil>"
	if got := strings.Join(h.log, "\n"); got != want || len(srv.Requests()) != 2 {
		t.Errorf("got\n%s\nafter %d requests; want\n%s\nafter 2", got, len(srv.Requests()), want)
	}
}

// TestBatchOrderedUnderShuffledLatency: with 8 queries in flight and answers
// arriving in a shuffled order, results leave in input order.
func TestBatchOrderedUnderShuffledLatency(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	var names []string
	for i := range 40 {
		name := fmt.Sprintf("n%02d.example", i)
		names = append(names, name)
		srv.Add(name, pdnstest.Lines(name, 3)...)
	}
	srv.SetLatencyFunc(func(ind string) time.Duration {
		var i int
		fmt.Sscanf(ind, "n%d.", &i)
		return time.Duration((i*7919)%13) * 3 * time.Millisecond // a fixed shuffle
	})
	for _, unordered := range []bool{false, true} {
		h := &recorder{}
		b := &query.Batch{Source: srv.NewClient(), Concurrency: 8, Unordered: unordered}
		if err := b.Run(context.Background(), pdns.NewReader(names, nil), h); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, n := range names {
			for j := range 3 {
				want = append(want, fmt.Sprintf("%s 10.0.0.%d", n, j))
			}
			want = append(want, "done "+n+" <nil>")
		}
		if !unordered && strings.Join(h.log, "\n") != strings.Join(want, "\n") {
			t.Errorf("ordered: got\n%s", strings.Join(h.log, "\n"))
		}
		if unordered { // the same answers, each whole, in whatever order
			got, sorted := slices.Sorted(slices.Values(h.log)), slices.Sorted(slices.Values(want))
			if strings.Join(got, "\n") != strings.Join(sorted, "\n") {
				t.Errorf("unordered: not the same results")
			}
			for i := 0; i < len(h.log); i += 4 {
				name := strings.TrimPrefix(h.log[i+3], "done ")
				name = strings.TrimSuffix(name, " <nil>")
				for _, l := range h.log[i : i+3] {
					if !strings.HasPrefix(l, name+" ") {
						t.Fatalf("unordered: answers mixed: %q in the answer to %s", l, name)
					}
				}
			}
		}
	}
}

// gatedRecorder closes a channel when it sees an indicator done.
type gatedRecorder struct {
	recorder
	on   string
	gate chan struct{}
}

func (g *gatedRecorder) Done(ind pdns.Indicator, err error) error {
	if ind.Value == g.on {
		close(g.gate)
	}
	return g.recorder.Done(ind, err)
}

// TestBatchUnordered: an answer that comes first is printed first. The
// server holds the first indicator's answer until the second one has been
// handled: only a batch that does not wait for input order gets past it.
func TestBatchUnordered(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("a.example", pdnstest.Rec("a.example", "192.0.2.1"))
	srv.Add("b.example", pdnstest.Rec("b.example", "192.0.2.2"))
	h := &gatedRecorder{on: "b.example", gate: make(chan struct{})}
	srv.Hold("a.example", h.gate)
	b := &query.Batch{Source: srv.NewClient(), Concurrency: 2, Unordered: true}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a bound on a broken test
	defer cancel()
	if err := b.Run(ctx, pdns.NewReader([]string{"a.example", "b.example"}, nil), h); err != nil {
		t.Fatal(err)
	}
	want := "b.example 192.0.2.2|done b.example <nil>|a.example 192.0.2.1|done a.example <nil>"
	if got := strings.Join(h.log, "|"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestBatchConcurrency: 8 workers query 8 slow indicators at once.
func TestBatchConcurrency(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.SetLatency(100 * time.Millisecond)
	var names []string
	for i := range 16 {
		names = append(names, fmt.Sprintf("c%d.example", i))
	}
	b := &query.Batch{Source: srv.NewClient(), Concurrency: 8}
	if err := b.Run(context.Background(), pdns.NewReader(names, nil), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if n := srv.MaxInFlight(); n != 8 {
		t.Errorf("at most %d queries at once, want 8", n)
	}
}

func TestBatchStopsOnWriteError(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("a.example", pdnstest.Lines("a.example", 5)...)
	srv.Add("b.example", pdnstest.Lines("b.example", 5)...)
	h := &failingHandler{after: 2}
	err := (&query.Batch{Source: srv.NewClient(), Concurrency: 4}).Run(context.Background(), pdns.NewReader([]string{"a.example", "b.example"}, nil), h)
	if !errors.Is(err, errBrokenPipe) || h.n != 3 {
		t.Errorf("got %v after %d records, want the write error after the third", err, h.n)
	}
}

var errBrokenPipe = errors.New("broken pipe")

type failingHandler struct {
	recorder
	n, after int
}

func (f *failingHandler) Record(ind pdns.Indicator, r *pdns.Record) error {
	f.n++
	if f.n > f.after {
		return errBrokenPipe
	}
	return nil
}

// notifier is a Handler that says when an indicator is done.
type notifier struct {
	recorder
	done chan string
}

func (n *notifier) Done(ind pdns.Indicator, err error) error {
	n.done <- ind.Value
	return nil
}

// TestBatchStreamsInput: an indicator is answered while the input is still
// open, as behind tail -f.
func TestBatchStreamsInput(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("a.example", pdnstest.Lines("a.example", 1)...)
	pr, pw := io.Pipe()
	h := &notifier{done: make(chan string, 2)}
	result := make(chan error)
	go func() {
		result <- (&query.Batch{Source: srv.NewClient(), Concurrency: 4}).Run(context.Background(), pdns.NewReader(nil, pr), h)
	}()
	io.WriteString(pw, "a.example\n")
	if got := <-h.done; got != "a.example" { // the input is still open
		t.Fatalf("done %s", got)
	}
	io.WriteString(pw, "b.example\n")
	<-h.done
	pw.Close()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

// queuedSource says, by closing a channel, that a record of one
// indicator is queued for the writer.
type queuedSource struct {
	pdns.Source
	on     string
	queued chan struct{}
}

func (s queuedSource) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	if ind.Value == s.on {
		record := sink.Record
		sink.Record = func(r pdns.Record) error {
			err := record(r)
			close(s.queued)
			return err
		}
	}
	return s.Source.Query(ctx, ind, sink)
}

// TestBatchInterruptKeepsOrder: cancelled, the ordered writer writes what
// was received, in input order, up to the first answer that has not ended:
// an answer that came in after it waits for it, and is not written.
func TestBatchInterruptKeepsOrder(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	for i, name := range []string{"a.example", "b.example", "c.example"} {
		srv.Add(name, pdnstest.Rec(name, fmt.Sprintf("192.0.2.%d", i+1)))
	}
	never := make(chan struct{})
	defer close(never)
	srv.Hold("b.example", never)
	h := &gatedRecorder{on: "a.example", gate: make(chan struct{})}
	src := queuedSource{Source: srv.NewClient(), on: "c.example", queued: make(chan struct{})}
	b := &query.Batch{Source: src, Concurrency: 3}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-h.gate     // a is written
		<-src.queued // c's record is in, behind b
		cancel()
	}()
	b.Run(ctx, pdns.NewReader([]string{"a.example", "b.example", "c.example"}, nil), h)
	if got, want := strings.Join(h.log, "|"), "a.example 192.0.2.1|done a.example <nil>"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// stagedSource answers b.example at once; a.example with two records,
// then not before aRelease is closed; c.example not before the run is
// cancelled, and it says when c's query starts: with two workers, a's
// being busy, once b's answer has ended whole.
type stagedSource struct{ cStarted, aRelease chan struct{} }

func (s stagedSource) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	switch ind.Value {
	case "c.example":
		close(s.cStarted)
		<-ctx.Done()
		return ctx.Err()
	case "b.example":
		r, _ := pdns.DecodeRecord([]byte(pdnstest.Rec(ind.Value, "192.0.2.2")))
		return sink.Record(r)
	}
	for _, rdata := range []string{"192.0.2.1", "192.0.2.11"} {
		r, _ := pdns.DecodeRecord([]byte(pdnstest.Rec(ind.Value, rdata)))
		if err := sink.Record(r); err != nil {
			return err
		}
	}
	<-s.aRelease
	return nil
}

// blockingRecorder holds the first record of a.example until the source
// has started c.example's query (so b's answer is whole), then lets a's
// answer end and cancels the run, as a SIGINT would while the output is
// being written.
type blockingRecorder struct {
	recorder
	src    stagedSource
	cancel func()
	once   sync.Once
}

func (b *blockingRecorder) Record(ind pdns.Indicator, r *pdns.Record) error {
	if ind.Value == "a.example" {
		b.once.Do(func() {
			<-b.src.cStarted
			close(b.src.aRelease)
			b.cancel()
		})
	}
	return b.recorder.Record(ind, r)
}

// TestBatchInterruptWritesWhatCame: an interrupted run still writes what
// it received: the rest of the answer being written, and the answers
// after it that came whole; not the answer the interruption cut short.
func TestBatchInterruptWritesWhatCame(t *testing.T) {
	t.Parallel()
	for _, unordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("unordered=%t", unordered), func(t *testing.T) {
			src := stagedSource{cStarted: make(chan struct{}), aRelease: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h := &blockingRecorder{src: src, cancel: cancel}
			b := &query.Batch{Source: src, Concurrency: 2, Unordered: unordered}
			err := b.Run(ctx, pdns.NewReader([]string{"a.example", "b.example", "c.example"}, nil), h)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
			got := strings.Join(h.log, "|")
			want := map[string]bool{ // the first answer to come streams first
				"a.example 192.0.2.1|a.example 192.0.2.11|done a.example <nil>|b.example 192.0.2.2|done b.example <nil>": true,
				"b.example 192.0.2.2|done b.example <nil>|a.example 192.0.2.1|a.example 192.0.2.11|done a.example <nil>": unordered,
			}
			if !want[got] {
				t.Errorf("got %s", got)
			}
		})
	}
}
