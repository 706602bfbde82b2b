package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// chBatcher asks ClickHouse for the names and addresses asked at the same
// time in one query: a query costs a server milliseconds however small, so
// 10,000 indicators are asked in a few dozen queries, not 10,000, when the
// engine asks many at once (cli asks a ClickHouse store with many
// workers). The first indicator is asked at once; those asked while a
// query runs are asked together by the next.
type chBatcher struct {
	s       *chStore
	mu      sync.Mutex
	pending []*chAsk
	running bool
}

// chAsk is one indicator asked, and its answer once it came.
type chAsk struct {
	ind  pdns.Indicator
	key  string
	recs []pdns.Record
	bad  []error
	err  error
	done chan struct{}
}

const (
	chBatchMax  = 2000             // indicators in one query
	chBatchWait = 10 * time.Minute // the longest a batch's query may take
)

func (b *chBatcher) query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	a := &chAsk{ind: ind, key: storeKey(ind.Value), done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, a)
	start := !b.running
	b.running = true
	b.mu.Unlock()
	if start {
		go b.run()
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		return ctx.Err()
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
			b.running = false
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
	// the records each key answers: (key, identity)
	answers := fmt.Sprintf(`SELECT name_key AS key, name_key, rrname, rrtype, rdata FROM %[1]s.records%[2]s WHERE name_key IN (%[3]s)
	  UNION ALL SELECT key, name_key, rrname, rrtype, rdata FROM %[1]s.data_keys%[2]s WHERE key IN (%[3]s)`, s.db, s.local, list)
	q := fmt.Sprintf(`SELECT m.key, %[1]s FROM %[2]s.records
	  ALL INNER JOIN (SELECT key, name_key, rrname, rrtype, rdata FROM (%[3]s) GROUP BY key, name_key, rrname, rrtype, rdata) AS m USING (name_key, rrname, rrtype, rdata)
	  WHERE %[4]s AND (name_key, rrname, rrtype, rdata) IN (SELECT name_key, rrname, rrtype, rdata FROM (%[3]s))
	  GROUP BY m.key, rrname, rrtype, rdata ORDER BY m.key, first`, merged, s.db, answers, s.committed())
	ctx, cancel := context.WithTimeout(context.Background(), chBatchWait)
	defer cancel()
	c := *s.c
	c.settings = withSetting(c.settings, "max_query_size", fmt.Sprint(len(q)+(1<<20))) // the keys are in the query
	err := c.scan(ctx, q, func(r *rowReader) {
		key := r.str()
		rec, err := readMerged(r)
		if r.err != nil {
			return
		}
		for _, a := range byKey[key] {
			if err != nil {
				a.bad = append(a.bad, &pdns.RecordError{Indicator: a.ind.Value, Where: s.name(), Err: err})
				continue
			}
			a.recs = append(a.recs, rec)
		}
	})
	for _, a := range batch {
		if err != nil {
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
