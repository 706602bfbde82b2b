package query

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Handler receives the results of a Batch. Its methods are called from one
// goroutine only, so it needs no locking.
type Handler interface {
	// Record receives one record of ind's answer; an error ends the batch.
	// r is valid only during the call: a Handler keeps a copy, if anything.
	Record(ind Indicator, r *Record) error
	// Value receives one output of the jq program, when there is one.
	Value(ind Indicator, v any) error
	// Done is called once an indicator's query has ended; err is why it
	// failed, if it did. An error returned ends the batch.
	Done(ind Indicator, err error) error
	// Problem receives an input error, or a problem that does not end a
	// query (a Warning, a RecordError, a JQError).
	Problem(err error)
}

// Batch queries the indicators of a Reader against a Source, Concurrency at
// a time, and passes what the Selection keeps to a Handler.
//
// By default results leave in input order whatever order the answers
// arrive in: the answer of the oldest indicator still running streams
// through, while the answers of the others (at most Concurrency) are held
// until their turn. With Unordered, records leave as they arrive.
type Batch struct {
	Source      Source
	Selection   *Selection // nil keeps every record
	Concurrency int        // queries in flight; 0 means 1
	Unordered   bool
	// Pivot, when set, follows what the answers point to, hop by hop.
	Pivot *Pivot

	mu       sync.Mutex
	seq      int            // jobs read
	pending  map[int]string // indicators read whose query has not ended
	notAsked NotAsked
}

// NotAsked is what a batch stopped early (credentials refused) left
// undone: how many indicators, the first of them in input order, and
// whether standard input was left unread.
type NotAsked struct {
	Count     int
	First     string
	StdinLeft bool
}

// NotAsked says what the last Run, stopped by an AuthError, left undone.
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
// awaited), when a Handler method returns an error, on an AuthError (every
// further query would be refused too), or on a jq halt; it returns that error.
func (b *Batch) Run(ctx context.Context, in *Reader, h Handler) error {
	err := b.run(ctx, in, h)
	if b.Pivot == nil {
		return err
	}
	for hop := 1; err == nil && ctx.Err() == nil && hop <= b.Pivot.Hops; hop++ {
		next := b.Pivot.next(hop, h.Problem)
		if len(next) == 0 {
			break
		}
		err = b.run(ctx, NewListReader(next), h)
	}
	return err
}

// run is one pass over the indicators of in: the given ones, or a hop.
func (b *Batch) run(ctx context.Context, in *Reader, h Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.mu.Lock()
	b.seq, b.pending, b.notAsked = 0, map[int]string{}, NotAsked{}
	b.mu.Unlock()
	sel := b.Selection
	if sel == nil {
		sel = &Selection{}
	}
	n := max(b.Concurrency, 1)
	work := make(chan *job)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case j, ok := <-work:
					if !ok {
						return
					}
					j.run(ctx, b.Source, sel, b.Pivot)
				case <-ctx.Done(): // the reader may be blocked on input
					return
				}
			}
		}()
	}
	defer func() {
		cancel() // the workers stop, then are waited for
		wg.Wait()
	}()

	var err error
	var readErr error
	readerDone := make(chan struct{})
	if b.Unordered {
		shared := newQueue(headBacklog)
		started := 0
		go func() {
			defer close(readerDone)
			defer close(work)
			readErr = b.read(ctx, in, work, func(j *job) bool {
				j.events = shared
				started++
				return true
			})
			shared.pushLast(event{kind: evInputEnd}, false)
		}()
		err = b.writeUnordered(ctx, shared, &started, h)
	} else {
		// jobs carries every input item to the writer in input order; its
		// capacity bounds the answers held while an older one is written.
		jobs := make(chan *job, n)
		go func() {
			defer close(readerDone)
			defer close(work)
			defer close(jobs)
			readErr = b.read(ctx, in, work, func(j *job) bool {
				j.events, j.ownQueue = newQueue(0), true
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
	if errors.As(err, new(*AuthError)) {
		b.countNotAsked(cancel, in, readerDone)
	}
	return err
}

// countNotAsked stops the batch and counts what it leaves: the indicators
// read and not done, and those still in the arguments. Standard input is
// not read further: it may never end.
func (b *Batch) countNotAsked(cancel func(), in *Reader, readerDone <-chan struct{}) {
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
func (b *Batch) read(ctx context.Context, in *Reader, work chan<- *job, add func(*job) bool) error {
	for {
		ind, err := in.Next()
		if err == io.EOF {
			return nil
		}
		var inputErr *InputError
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
			j.finish(nil)
			continue
		}
		select {
		case work <- j:
		case <-ctx.Done():
			j.finish(ctx.Err())
			return nil
		}
	}
}

// writeOrdered writes each job's events in input order. Once ctx is done,
// what was already received is still written, without waiting for more.
func (b *Batch) writeOrdered(ctx context.Context, jobs <-chan *job, h Handler) error {
	var evs []event
	for {
		var j *job
		select {
		case j = <-jobs:
		case <-ctx.Done():
			return b.drain(nil, jobs, h, ctx.Err())
		}
		if j == nil {
			return nil
		}
		j.events.setBound(headBacklog) // its turn: it streams, with backpressure
		for {
			var ok bool
			if evs, ok = j.events.popAll(ctx, evs); !ok {
				break
			}
			for i := range evs {
				if err := b.deliver(&evs[i], h); err != nil {
					return err
				}
			}
		}
		if ctx.Err() != nil {
			return b.drain(j, jobs, h, ctx.Err())
		}
	}
}

// drain writes, in input order and without waiting, the events already
// queued after the run was cancelled: from j (if not nil), then from the
// jobs after it, up to the first that has not ended. A query ended by the
// cancellation is not reported as done.
func (b *Batch) drain(j *job, jobs <-chan *job, h Handler, cause error) error {
	cancelled, stop := context.WithCancel(context.Background())
	stop() // popAll returns what is queued, and does not wait
	for {
		if j == nil {
			select {
			case j = <-jobs:
			default:
			}
			if j == nil {
				return cause
			}
		}
		ended := false
		for {
			evs, ok := j.events.popAll(cancelled, nil)
			if !ok {
				break
			}
			for i := range evs {
				ev := &evs[i]
				if ev.kind == evDone {
					if errors.Is(ev.err, context.Canceled) { // cut short: not done
						return cause
					}
					ended = true
				}
				if err := b.deliver(ev, h); err != nil {
					return err
				}
			}
		}
		if !ended {
			return cause
		}
		j = nil
	}
}

// writeUnordered writes events as they come, until every job is done.
func (b *Batch) writeUnordered(ctx context.Context, q *queue, started *int, h Handler) error {
	done, inputEnded := 0, false
	var evs []event
	for !inputEnded || done < *started {
		var ok bool
		if evs, ok = q.popAll(ctx, evs); !ok {
			return ctx.Err()
		}
		for i := range evs {
			ev := &evs[i]
			switch ev.kind {
			case evInputEnd:
				inputEnded = true // *started is final: it was set before this event
				continue
			case evDone:
				done++
			}
			if err := b.deliver(ev, h); err != nil {
				return err
			}
		}
	}
	return nil
}

// deliver hands one event to the Handler; it returns what ends the batch.
func (b *Batch) deliver(ev *event, h Handler) error {
	switch ev.kind {
	case evRecord:
		return h.Record(ev.job.ind, &ev.record)
	case evValue:
		return h.Value(ev.job.ind, ev.value)
	case evProblem:
		h.Problem(ev.err)
		return nil
	}
	j := ev.job // evDone
	b.untrack(j)
	if b.Pivot != nil && j.inputErr == nil && ev.err == nil {
		b.Pivot.done(j, h.Problem)
	}
	if j.inputErr != nil {
		h.Problem(j.inputErr)
		return nil
	}
	var halt *HaltError
	if errors.As(ev.err, &halt) {
		if err := h.Done(j.ind, nil); err != nil {
			return err
		}
		return halt
	}
	if err := h.Done(j.ind, ev.err); err != nil {
		return err
	}
	if j.watch != nil && (ev.err == nil || j.watch.Printed() > 0) {
		// written and flushed: only now is it printed. A failed query
		// records what it printed, and only that (if nothing, the state is
		// left as it was): the next run prints what it missed, and nothing
		// twice.
		if err := j.watch.Commit(); err != nil {
			h.Problem(&QueryError{Indicator: j.ind.Value, Err: err})
		}
	}
	var auth *AuthError
	if errors.As(ev.err, &auth) {
		return ev.err
	}
	return nil
}

// job is one input item: an indicator to query, or an input error to report.
type job struct {
	leads    []string // with Pivot: what the answer points to
	followed int      // records that passed the selection (a hub has many)
	watch    *Watch   // with --new: what to record once the answer is out
	seq      int      // from 1, in input order
	ind      Indicator
	inputErr error
	events   *queue
	ownQueue bool // the job's own queue (ordered), not one shared by all
}

func (j *job) run(ctx context.Context, src Source, sel *Selection, pivot *Pivot) {
	problem := func(err error) { j.events.push(ctx, event{kind: evProblem, job: j, err: err}) }
	x := sel.start(ctx, j.ind, jobEmitter{ctx, j}, problem)
	if sel.Watch != nil {
		w, err := sel.Watch.Open(j.ind)
		if err != nil {
			j.finish(&QueryError{Indicator: j.ind.Value, Err: err})
			return
		}
		x.watch = w
	}
	x.pivot = pivot
	err := src.Query(ctx, j.ind, Sink{Record: x.record, Problem: problem})
	if errors.Is(err, ErrLimitReached) {
		err = nil
	}
	if ferr := x.flush(); ferr != nil && err == nil { // what was received is not lost
		err = ferr
	}
	j.watch = x.watch // committed once the answer is written (deliver)
	j.leads, j.followed = x.leads, x.followed
	j.finish(err)
}

// finish ends the job's events with its outcome; a job's own queue closes.
func (j *job) finish(err error) {
	j.events.pushLast(event{kind: evDone, job: j, err: err}, j.ownQueue)
}

// jobEmitter queues what a job's selection keeps.
type jobEmitter struct {
	ctx context.Context
	j   *job
}

func (e jobEmitter) Record(r Record) error {
	return e.j.events.push(e.ctx, event{kind: evRecord, job: e.j, record: r})
}

func (e jobEmitter) Value(v any) error {
	return e.j.events.push(e.ctx, event{kind: evValue, job: e.j, value: v})
}
