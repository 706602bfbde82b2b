package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// chBatcher asks ClickHouse for the names and addresses asked at the same
// time in one query: a query costs a server milliseconds however small, so
// 10,000 indicators are asked in a few dozen queries, not 10,000, when the
// engine asks many at once (cli asks a ClickHouse store with many
// workers). The first indicator is asked at once; those asked while
// chQueries queries run are asked together by the next.
type chBatcher struct {
	s       *chStore
	mu      sync.Mutex
	pending []*chAsk
	running int // queries
}

// chAsk is one indicator asked, and its answer once it came.
type chAsk struct {
	ind    pdns.Indicator
	key    string
	recs   []pdns.Record
	bad    []error
	err    error
	stream bool // the batch had too many records to hold: ask alone
	done   chan struct{}
}

const (
	chQueries  = 2    // queries at once: a server answers one on a core or two
	chBatchMax = 2000 // indicators in one query
)

// chBatchRows bounds the records a batch holds (its answers are given
// once its query ended): past it, each of its indicators is asked again
// alone, its records streamed.
var chBatchRows = 50_000

// chHeldMost is the most records a batch held, for tests.
var chHeldMost atomic.Int64

func noteHeld(n int64) {
	for {
		most := chHeldMost.Load()
		if n <= most || chHeldMost.CompareAndSwap(most, n) {
			return
		}
	}
}

// errEnough stops the reading of an answer.
var errEnough = errors.New("enough rows")

// chBatchWait is the longest a query may take (a batch's, a wildcard's),
// whatever the server does: then its indicators fail.
var chBatchWait = 10 * time.Minute

func (b *chBatcher) query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	a := &chAsk{ind: ind, key: storeKey(ind.Value), done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, a)
	start := b.running < chQueries
	if start {
		b.running++
	}
	b.mu.Unlock()
	if start {
		go b.run()
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if a.stream {
		return b.s.stream(ctx, ind, sink)
	}
	for _, p := range a.bad {
		sink.Problem(p)
	}
	if a.err != nil {
		return a.err
	}
	for _, r := range a.recs {
		if err := sink.Record(r); err != nil {
			return err
		}
	}
	return nil
}

// run asks the pending indicators, batch after batch, until none is left.
func (b *chBatcher) run() {
	for {
		b.mu.Lock()
		n := min(len(b.pending), chBatchMax)
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		if n == 0 {
			b.running--
		}
		b.mu.Unlock()
		if n == 0 {
			return
		}
		b.ask(batch)
	}
}

// ask asks the records of a batch of indicators, in one query: the rows
// whose name key is one of theirs, or whose data keys hold one, grouped
// by the indicator they answer and by record.
func (b *chBatcher) ask(batch []*chAsk) {
	s := b.s
	var keys []string
	byKey := map[string][]*chAsk{}
	for _, a := range batch {
		if byKey[a.key] == nil {
			keys = append(keys, quote(a.key))
		}
		byKey[a.key] = append(byKey[a.key], a)
	}
	list := strings.Join(keys, ", ")
	// a key's rows: those of its name, and those whose rdata points to it
	// (but its name's: a CNAME to itself is counted once), found by
	// their name key, joined to the key once (data_keys has a row an
	// import). Not by the whole identity: 18.16 read as few rows that
	// way, but took three times as long (95 ms for 125 names) to match
	// its granules against a set of tuples.
	cols := `rrname, rrtype, rdata, time_first, time_last, count, has_count, extra, seq`
	pointing := fmt.Sprintf(`SELECT key, name_key, rrname, rrtype, rdata FROM %s.data_keys%s WHERE key IN (%s) AND name_key != key`, s.db, s.local, list)
	q := fmt.Sprintf(`SELECT k, %[1]s FROM (
	    SELECT name_key AS k, %[2]s FROM %[3]s.records WHERE name_key IN (%[4]s) AND %[5]s
	    UNION ALL
	    SELECT m.key AS k, %[2]s FROM %[3]s.records
	      ALL INNER JOIN (%[6]s GROUP BY key, name_key, rrname, rrtype, rdata) AS m USING (name_key, rrname, rrtype, rdata)
	      WHERE name_key IN (SELECT name_key FROM (%[6]s)) AND %[5]s)
	  GROUP BY k, rrname, rrtype, rdata ORDER BY k, first`, merged, cols, s.db, list, s.committed(), pointing)
	ctx, cancel := context.WithTimeoutCause(context.Background(), chBatchWait, fmt.Errorf("no whole answer in %v", chBatchWait))
	defer cancel()
	c := *s.c
	c.settings = withSetting(c.settings, "max_query_size", fmt.Sprint(len(q)+(1<<20))) // the keys are in the query
	held, kept, overflow := 0, 0, false
	err := c.scan(ctx, q, func(r *rowReader) {
		key := r.str()
		rec, err := readMerged(r)
		if r.err != nil {
			return
		}
		if held += len(byKey[key]); held > chBatchRows {
			overflow, r.err = true, errEnough
			return
		}
		for _, a := range byKey[key] {
			if err != nil {
				a.bad = append(a.bad, &pdns.RecordError{Indicator: a.ind.Value, Where: s.name(), Err: err})
				continue
			}
			a.recs = append(a.recs, rec)
			kept++
		}
	})
	noteHeld(int64(kept))
	for _, a := range batch {
		if overflow { // each asks alone
			a.recs, a.bad, a.stream = nil, nil, true
			close(a.done)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				err = context.Cause(ctx)
			}
			a.err = &pdns.QueryError{Indicator: a.ind.Value, Err: err}
		}
		close(a.done)
	}
}

// withSetting is settings with one more.
func withSetting(settings map[string][]string, k, v string) map[string][]string {
	out := map[string][]string{k: {v}}
	for key, vs := range settings {
		if key != k {
			out[key] = slices.Clone(vs)
		}
	}
	return out
}
