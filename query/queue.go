package query

import (
	"context"
	"sync"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

type eventKind int

const (
	evRecord   eventKind = iota // a record the chain gave out
	evValue                     // an output of the jq program
	evProblem                   // a problem that does not end the query
	evDone                      // the query ended (err says how; hub, whether the answer is one)
	evStart                     // Unordered: job has its first event, and waits for its turn
	evInputEnd                  // Unordered: no more jobs will start
)

// event is something a job produced, on its way to the Handler.
type event struct {
	kind   eventKind
	job    *job // evStart's
	record pdns.Record
	value  any
	err    error
	hub    bool
}

// queue passes events from the workers to the writer. It is unbounded
// until given a bound: past it, push waits for the writer (backpressure).
type queue struct {
	mu     sync.Mutex
	items  []event
	bound  int // 0: unbounded
	closed bool
	ready  chan struct{} // wakes the writer
	space  chan struct{} // wakes a waiting pusher
}

func newQueue(bound int) *queue {
	return &queue{bound: bound, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// push adds ev, waiting while the queue is at its bound; it gives up with
// ctx's error when ctx is done.
func (q *queue) push(ctx context.Context, ev event) error {
	for {
		q.mu.Lock()
		if q.bound == 0 || len(q.items) < q.bound {
			q.items = append(q.items, ev)
			q.mu.Unlock()
			wake(q.ready)
			return nil
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pushLast adds ev whatever the bound (a job's final event must never
// wait), and closes the queue when close is set.
func (q *queue) pushLast(ev event, close bool) {
	q.mu.Lock()
	q.items = append(q.items, ev)
	q.closed = q.closed || close
	q.mu.Unlock()
	wake(q.ready)
}

// popAll returns every waiting event, waiting for one at least; false
// when the queue is closed and empty, or ctx is done. The caller hands the
// slice back as spare once done with it, so that the two are reused in turn.
func (q *queue) popAll(ctx context.Context, spare []event) ([]event, bool) {
	clear(spare)
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			evs := q.items
			q.items = spare[:0]
			q.mu.Unlock()
			wake(q.space)
			return evs, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return spare[:0], false
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return spare[:0], false
		}
	}
}

// isClosed says whether the queue is closed: its job has finished, and
// its last event is queued.
func (q *queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// setBound starts backpressure: the queue's job is being written now.
func (q *queue) setBound(n int) {
	q.mu.Lock()
	q.bound = n
	q.mu.Unlock()
}
