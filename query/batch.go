// Package query is the engine of circl-pdns: it asks a source (any
// pdns.Source: the service, a store, a dump, the cache) about each
// indicator of a run, several at a time, and passes each answer through a
// chain of stages (the Selection: types, time fence, sort and limit; the
// --pivot leads; the --new state; the jq program) to a Handler, one answer
// after another. It knows nothing of HTTP, databases, flags or formats.
package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Handler receives the results of a Batch. Its methods are called from one
// goroutine only, so it needs no locking, and it is given one answer after
// another: the records and values of an answer, then Done, never mixed with
// those of another answer, in input order (or, with Unordered, in the order
// the answers come).
type Handler interface {
	// Record receives one record of ind's answer; an error ends the batch.
	// r is valid only during the call: a Handler keeps a copy, if anything.
	Record(ind pdns.Indicator, r *pdns.Record) error
	// Value receives one output of the jq program, when there is one.
	Value(ind pdns.Indicator, v any) error
	// Done is called once an indicator's answer has ended; err is why its
	// query failed, if it did (context.Canceled for an answer the run's
	// interruption cut short, whose records it still gets). With a pivot,
	// ind.Hub says the answer is a hub. An error returned ends the batch.
	Done(ind pdns.Indicator, err error) error
	// Problem receives an input error, or a problem that does not end a
	// query (a Warning, a RecordError, a JQError).
	Problem(err error)
}

// Batch queries the indicators of a Reader against a Source, Concurrency at
// a time, and passes what the Selection keeps to a Handler.
//
// By default answers leave in input order whatever order they arrive in:
// the answer of the oldest indicator still running streams through, while
// the answers of the others (at most Concurrency) are held until their
// turn. With Unordered, answers leave in the order they come: the first to
// send anything streams through, the others wait for it to end.
type Batch struct {
	Source      pdns.Source
	Selection   *Selection // nil keeps every record
	Concurrency int        // queries in flight; 0 means 1
	Unordered   bool
	// Pivot, when set, follows what the answers point to, hop by hop.
	Pivot *Pivot
	// MaxRecordBytes bounds a record, whatever the source (0 means
	// pdns.DefaultMaxRecordBytes).
	MaxRecordBytes int
	// HoldCommits keeps what --new printed uncommitted until CommitHeld:
	// for an output that holds the run (a timeline, a bundle, a graph, a
	// report), which writes its records only at its end. Without it, an
	// answer's state is committed once the answer is written (Done).
	HoldCommits bool
	held        []*watch

	mu       sync.Mutex
	seq      int            // jobs read
	pending  map[int]string // indicators read whose query has not ended
	notAsked NotAsked

	notRecordSaid bool // a jq output that is not a record was said (Selection.RecordsFor); the writer's
}

// CommitHeld commits the --new state that HoldCommits kept, once the
// output that holds the run was written whole; problem gets each failure.
func (b *Batch) CommitHeld(problem func(error)) {
	for _, w := range b.held {
		if err := w.Commit(); err != nil {
			problem(&pdns.QueryError{Indicator: w.ind, Err: err})
		}
	}
	b.held = nil
}

// NotAsked is what a batch stopped early (credentials refused) left
// undone: how many indicators, the first of them in input order, and
// whether standard input was left unread.
type NotAsked struct {
	Count     int
	First     string
	StdinLeft bool
}

// NotAsked says what the last Run, stopped by refused credentials, left undone.
func (b *Batch) NotAsked() NotAsked {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.notAsked
}

// track notes a job read from the input, until its query ends.
func (b *Batch) track(j *job) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	j.seq = b.seq
	if j.inputErr == nil {
		b.pending[j.seq] = j.ind.Value
	}
}

func (b *Batch) untrack(j *job) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pending, j.seq)
}

// headBacklog bounds what the streaming answer may have waiting for the
// Handler: past it, the query waits, so that memory does not grow with the
// size of an answer when the output is slower than the network.
const headBacklog = 1024

// Run reads indicators as they come (so that it works behind tail -f) and
// queries them. It stops early when ctx is done (even while input is
// awaited), when a Handler method returns an error, when a query's failure
// stops the run (pdns.StopsRun: every further query would be refused too),
// or on a jq halt; it returns that error.
func (b *Batch) Run(ctx context.Context, in *pdns.Reader, h Handler) error {
	err := b.run(ctx, in, h)
	if b.Pivot == nil {
		return err
	}
	for hop := 1; err == nil && ctx.Err() == nil && hop <= b.Pivot.Hops; hop++ {
		next := b.Pivot.next(hop, h.Problem)
		if len(next) == 0 {
			break
		}
		err = b.run(ctx, pdns.NewListReader(next), h)
	}
	b.Pivot.skipWarning(h.Problem)
	return err
}

// run is one pass over the indicators of in: the given ones, or a hop.
func (b *Batch) run(ctx context.Context, in *pdns.Reader, h Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.mu.Lock()
	b.seq, b.pending, b.notAsked = 0, map[int]string{}, NotAsked{}
	b.mu.Unlock()
	n := max(b.Concurrency, 1)
	work := make(chan *job)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				select {
				case j, ok := <-work:
					if !ok {
						return
					}
					b.query(ctx, j)
				case <-ctx.Done(): // the reader may be blocked on input
					return
				}
			}
		})
	}
	defer func() {
		cancel() // the workers stop, then are waited for
		wg.Wait()
	}()

	var err error
	var readErr error
	readerDone := make(chan struct{})
	if b.Unordered {
		turns := newQueue(0) // the answers, as their first event comes
		started := 0
		go func() {
			defer close(readerDone)
			defer close(work)
			readErr = b.read(ctx, in, work, func(j *job) bool {
				j.events, j.turns = newQueue(0), turns
				started++
				return true
			})
			turns.pushLast(event{kind: evInputEnd}, false)
		}()
		err = b.writeUnordered(ctx, turns, &started, h)
	} else {
		// jobs carries every input item to the writer in input order; its
		// capacity bounds the answers held while an older one is written.
		jobs := make(chan *job, n)
		go func() {
			defer close(readerDone)
			defer close(work)
			defer close(jobs)
			readErr = b.read(ctx, in, work, func(j *job) bool {
				j.events = newQueue(0)
				select {
				case jobs <- j:
					return true
				case <-ctx.Done():
					return false
				}
			})
		}()
		err = b.writeOrdered(ctx, jobs, h)
	}
	if err == nil && ctx.Err() == nil {
		err = readErr // set before the reader closed the channel the writer saw end
	}
	if pdns.StopsRun(err) {
		b.countNotAsked(cancel, in, readerDone)
	}
	return err
}

// countNotAsked stops the batch and counts what it leaves: the indicators
// read and not done, and those still in the arguments. Standard input is
// not read further: it may never end.
func (b *Batch) countNotAsked(cancel func(), in *pdns.Reader, readerDone <-chan struct{}) {
	finite := in.Finite() // the reader is waiting on no input: it stops at once
	cancel()
	if finite {
		<-readerDone
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	first := 0
	for seq := range b.pending {
		if first == 0 || seq < first {
			first = seq
		}
	}
	b.notAsked = NotAsked{Count: len(b.pending), First: b.pending[first], StdinLeft: !finite}
	if finite {
		for {
			ind, err := in.Next()
			if err == io.EOF {
				break
			}
			if err == nil {
				if b.notAsked.Count == 0 {
					b.notAsked.First = ind.Value
				}
				b.notAsked.Count++
			}
		}
	}
}

// read turns input into jobs: each is announced with add (false: stop),
// then handed to a worker, or finished at once for an input error.
func (b *Batch) read(ctx context.Context, in *pdns.Reader, work chan<- *job, add func(*job) bool) error {
	for {
		ind, err := in.Next()
		if err == io.EOF {
			return nil
		}
		var inputErr *pdns.InputError
		if err != nil && !errors.As(err, &inputErr) {
			return err
		}
		j := &job{ind: ind, inputErr: err}
		if err == nil && b.Pivot != nil {
			j.ind.Pivoting = true
			b.Pivot.ask(ind.Value)
		}
		b.track(j)
		if !add(j) {
			return nil
		}
		if err != nil {
			j.finish(nil, false)
			continue
		}
		select {
		case work <- j:
		case <-ctx.Done():
			j.finish(ctx.Err(), false)
			return nil
		}
	}
}

// writeOrdered writes each job's answer in input order. Once ctx is done,
// what was already received is still written (drain).
func (b *Batch) writeOrdered(ctx context.Context, jobs <-chan *job, h Handler) error {
	next := func() *job { // the next job, if it is there: for drain
		select {
		case j := <-jobs:
			return j
		default:
			return nil
		}
	}
	for {
		if ctx.Err() != nil { // before anything else: the drain writes what came
			return b.drain(ctx.Err(), nil, next, h)
		}
		var j *job
		select {
		case j = <-jobs:
		case <-ctx.Done():
			continue
		}
		if j == nil {
			return nil
		}
		if err := b.write(ctx, j, h); err != nil {
			return err
		}
		if !j.written {
			return b.drain(ctx.Err(), j, next, h)
		}
	}
}

// writeUnordered writes the answers in the order they come, each whole,
// until every job is done.
func (b *Batch) writeUnordered(ctx context.Context, turns *queue, started *int, h Handler) error {
	written, inputEnded := 0, false
	var evs []event
	for !inputEnded || written < *started {
		var ok bool
		if ctx.Err() != nil { // before anything else: the drain writes what came
			ok = false
		} else {
			evs, ok = turns.popAll(ctx, evs)
		}
		if !ok {
			return b.drain(ctx.Err(), nil, turnsAfter(turns, nil), h)
		}
		for i := range evs {
			if evs[i].kind == evInputEnd {
				inputEnded = true // *started is final: it was set before this event
				continue
			}
			if ctx.Err() != nil {
				return b.drain(ctx.Err(), nil, turnsAfter(turns, evs[i:]), h)
			}
			j := evs[i].job
			if err := b.write(ctx, j, h); err != nil {
				return err
			}
			if !j.written {
				return b.drain(ctx.Err(), j, turnsAfter(turns, evs[i+1:]), h)
			}
			written++
		}
	}
	return nil
}

// turnsAfter gives the jobs whose turn is queued, without waiting: those
// of evs first, then those still in turns.
func turnsAfter(turns *queue, evs []event) func() *job {
	rest := append([]event(nil), evs...)
	return func() *job {
		for {
			if len(rest) == 0 {
				cancelled, stop := context.WithCancel(context.Background())
				stop() // what is queued, without waiting
				rest, _ = turns.popAll(cancelled, nil)
				if len(rest) == 0 {
					return nil
				}
			}
			ev := rest[0]
			rest = rest[1:]
			if ev.kind != evInputEnd {
				return ev.job
			}
		}
	}
}

// write writes j's answer as it comes, to its end, with backpressure on its
// query; it stops early, with j.written false, when ctx is done.
func (b *Batch) write(ctx context.Context, j *job, h Handler) error {
	j.events.setBound(headBacklog) // its turn: it streams
	var evs []event
	for !j.written {
		var ok bool
		if evs, ok = j.events.popAll(ctx, evs); !ok {
			return nil
		}
		for i := range evs {
			if err := b.deliver(j, &evs[i], h); err != nil {
				return err
			}
		}
	}
	return nil
}

// drain writes what was received when the run was cancelled (cause): the
// rest of the answer being written, j (its query ends at once, and is
// waited for; cut short, it is still ended), then, if j ended whole, the
// answers that next() gives, as long as each ended whole before the
// cancellation; it never waits for one of those.
func (b *Batch) drain(cause error, j *job, next func() *job, h Handler) error {
	if j != nil {
		var evs []event
		for !j.written { // its query was cancelled: it ends promptly
			evs, _ = j.events.popAll(context.Background(), evs)
			for i := range evs {
				if err := b.deliver(j, &evs[i], h); err != nil {
					return err
				}
			}
		}
		if j.cut { // the answers after it would not follow it
			return cause
		}
	}
	for {
		j := next()
		if j == nil || !j.events.isClosed() || j.cut {
			return cause
		}
		evs, _ := j.events.popAll(context.Background(), nil) // closed: it does not wait
		for i := range evs {
			if err := b.deliver(j, &evs[i], h); err != nil {
				return err
			}
		}
	}
}

// deliver hands one event of j to the Handler; it returns what ends the
// batch.
func (b *Batch) deliver(j *job, ev *event, h Handler) error {
	switch ev.kind {
	case evRecord:
		j.delivered++
		return h.Record(j.ind, &ev.record)
	case evValue:
		j.delivered++
		return h.Value(j.ind, ev.value)
	case evProblem:
		var nr *notRecordError
		if errors.As(ev.err, &nr) { // the first of the run, in output order
			if b.notRecordSaid {
				return nil
			}
			b.notRecordSaid = true
		}
		h.Problem(ev.err)
		return nil
	}
	// evDone
	j.written = true
	b.untrack(j)
	if j.inputErr != nil {
		h.Problem(j.inputErr)
		return nil
	}
	if errors.Is(ev.err, context.Canceled) && j.delivered == 0 {
		return nil // cut short with nothing written: no answer to end
	}
	ind := j.ind
	ind.Hub = ev.hub
	var halt *HaltError
	if errors.As(ev.err, &halt) {
		if err := h.Done(ind, nil); err != nil {
			return err
		}
		return halt
	}
	if err := h.Done(ind, ev.err); err != nil {
		return err
	}
	if j.watch != nil && (ev.err == nil || j.watch.Printed() > 0) {
		// written and flushed: only now is it printed (or, for an output
		// that holds the run, once it is written whole: CommitHeld). A
		// failed query records what it printed, and only that (if nothing,
		// the state is left as it was): the next run prints what it
		// missed, and nothing twice.
		if b.HoldCommits {
			b.held = append(b.held, j.watch)
		} else if err := j.watch.Commit(); err != nil {
			h.Problem(&pdns.QueryError{Indicator: j.ind.Value, Err: err})
		}
	}
	if pdns.StopsRun(ev.err) {
		return ev.err
	}
	return nil
}

// job is one input item: an indicator to query, or an input error to report.
type job struct {
	seq      int // from 1, in input order
	ind      pdns.Indicator
	inputErr error
	events   *queue
	turns    *queue    // Unordered: where the job's turn is queued, at its first event
	announce sync.Once // ... once
	watch    *watch    // with --new: what to record once the answer is out
	cut      bool      // the query was cut short by the cancellation of the run

	// the writer's: what it gave the Handler of the answer
	delivered int  // records and values
	written   bool // the whole answer, Done included
}

// query runs j's query through the chain of its answer.
func (b *Batch) query(ctx context.Context, j *job) {
	problem := func(err error) { j.push(ctx, event{kind: evProblem, err: err}) }
	c, err := b.newChain(ctx, j.ind, jobEmitter{ctx, j}, problem)
	if err != nil {
		j.finish(&pdns.QueryError{Indicator: j.ind.Value, Err: err}, false)
		return
	}
	err = b.Source.Query(ctx, j.ind, pdns.Sink{
		Record:         func(r pdns.Record) error { return c.first.record(&r) },
		Problem:        problem,
		MaxRecordBytes: b.MaxRecordBytes,
	})
	if errors.Is(err, errLimitReached) {
		err = nil
	}
	if ferr := c.first.end(); ferr != nil && err == nil { // what was received is not lost
		err = ferr
	}
	hub := false
	if c.leads != nil && err == nil {
		if hub = c.leads.hub(); hub && len(c.leads.targets) > 0 {
			problem(&pdns.Warning{Indicator: j.ind.Value, Msg: fmt.Sprintf("a hub (%d records, more than %d): kept, not followed", c.leads.followed, b.Pivot.MaxFanout)})
		} else if !hub {
			b.Pivot.follow(j.seq, j.ind.Value, c.leads.targets)
		}
	}
	j.watch = c.watch // committed once the answer is written (deliver)
	j.finish(err, hub)
}

// push queues an event of j; the first one puts j in line for its turn.
func (j *job) push(ctx context.Context, ev event) error {
	err := j.events.push(ctx, ev)
	j.arrived()
	return err
}

func (j *job) arrived() {
	if j.turns != nil {
		j.announce.Do(func() { j.turns.pushLast(event{kind: evStart, job: j}, false) })
	}
}

// finish ends the job's events with its outcome, and closes its queue.
func (j *job) finish(err error, hub bool) {
	j.cut = errors.Is(err, context.Canceled)
	j.events.pushLast(event{kind: evDone, err: err, hub: hub}, true)
	j.arrived()
}

// jobEmitter queues what the chain of a job's answer gives out.
type jobEmitter struct {
	ctx context.Context
	j   *job
}

func (e jobEmitter) Record(r pdns.Record) error {
	return e.j.push(e.ctx, event{kind: evRecord, record: r})
}

func (e jobEmitter) Value(v any) error {
	return e.j.push(e.ctx, event{kind: evValue, value: v})
}
