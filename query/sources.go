package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/circl-pdns/circl-pdns/query/cache"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Named is a source and the name its records are said to come from.
type Named struct {
	Name   string
	Source pdns.Source
	// Wildcards: it answers *.name (a store, a dump); the others are not
	// asked one.
	Wildcards bool
}

// Sources asks each of its sources about an indicator, all at once, and
// gives their records one source after another, in the order of List,
// each saying its source's name (Record.Source): the first source's as
// they come, the others' once those before them ended (held until then:
// holdRecords of a source in memory, the rest in an unnamed temporary
// file, so that memory stays bounded whatever the answers).
//
// A source that fails does not end the others' answers: the query gives
// every record it got, then returns a *pdns.SourcesError naming the
// sources that failed. A source whose credentials were refused is not
// asked again in the run: every later indicator says so, as failed there.
type Sources struct {
	List []Named
	// Merge makes the same record (rrname, rrtype, rdata) from several
	// sources one: the earliest time_first, the latest time_last, the sum
	// of the counts, the other members of the first source's, and Sources
	// naming each that had it. The answer is held until every source
	// ended, then given in the order records first came.
	Merge bool

	mu      sync.Mutex
	refused map[string]error // by source: the refusal
}

// errNotAsked is the answer of a source whose credentials were refused
// earlier in the run.
type errNotAsked struct{ refusal error }

func (e errNotAsked) Error() string { return "not asked: its credentials were refused" }
func (e errNotAsked) Unwrap() error { return e.refusal }

// holdRecords is how many records of a source not yet given are held in
// memory; past it, they go to an unnamed temporary file, read back in
// their turn (a variable for the tests).
var holdRecords = 10_000

// heldFiles counts the files records were held in, for the tests.
var heldFiles atomic.Int64

// slot is what one source has given of an answer so far.
type slot struct {
	recs     []pdns.Record
	problems []error
	done     bool
	err      error
	current  bool     // its records are being given: never held in the file
	held     *os.File // the records held past holdRecords, as JSON lines, in order
	heldErr  error    // the file could not be written: the source fails with it
}

// hold keeps r, under the lock: in memory, or once the slot holds too many
// and its turn has not come, in its file.
func (s *slot) hold(r pdns.Record) {
	if s.current || s.held == nil && len(s.recs) < holdRecords {
		s.recs = append(s.recs, r)
		return
	}
	if s.heldErr != nil {
		return
	}
	if s.held == nil {
		f, err := cache.CreateUnnamed()
		if err != nil {
			s.heldErr = fmt.Errorf("holding its records: %w", err)
			return
		}
		s.held = f
		heldFiles.Add(1)
		recs := s.recs
		s.recs = nil
		for i := range recs {
			s.write(&recs[i])
		}
	}
	s.write(&r)
}

func (s *slot) write(r *pdns.Record) {
	if s.heldErr == nil {
		if _, err := s.held.Write(append(r.AppendJSON(nil), '\n')); err != nil {
			s.heldErr = fmt.Errorf("holding its records: %w", err)
		}
	}
}

// readHeld reads back what a slot held in its file, in order, then
// closes it.
func readHeld(f *os.File, maxRecordBytes int, give func([]pdns.Record) error) error {
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	rr := pdns.NewRecordReader(f, maxRecordBytes)
	batch := make([]pdns.Record, 0, 256)
	for {
		r, err := rr.Next()
		if err == io.EOF {
			return give(batch)
		}
		if err != nil {
			return err // our own JSON: a failing disk
		}
		if batch = append(batch, r); len(batch) == cap(batch) {
			if err := give(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
}

func (m *Sources) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	ctx, cancel := context.WithCancel(ctx)
	var (
		mu    sync.Mutex
		more  = sync.NewCond(&mu)
		slots = make([]*slot, len(m.List))
		wg    sync.WaitGroup
	)
	defer func() {
		cancel() // the others stop, once one ends the query
		wg.Wait()
		for _, s := range slots { // files a query that ended early did not read
			if s != nil && s.held != nil {
				s.held.Close()
			}
		}
	}()
	for i, n := range m.List {
		s := &slot{}
		slots[i] = s
		if refusal := m.refusal(n.Name); refusal != nil {
			s.done, s.err = true, errNotAsked{refusal}
			continue
		}
		if ind.Wildcard && !n.Wildcards {
			s.done = true // not one it answers: no records, and no failure
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := n.Source.Query(ctx, ind, pdns.Sink{
				Record: func(r pdns.Record) error {
					r.Source = n.Name
					mu.Lock()
					s.hold(r)
					mu.Unlock()
					more.Signal()
					return nil
				},
				Problem: func(err error) {
					mu.Lock()
					s.problems = append(s.problems, err)
					mu.Unlock()
					more.Signal()
				},
				MaxRecordBytes: sink.MaxRecordBytes,
			})
			if pdns.StopsRun(err) {
				m.refuse(n.Name, err)
			}
			mu.Lock()
			s.done, s.err = true, err
			if s.heldErr != nil && err == nil {
				s.err = s.heldErr
			}
			mu.Unlock()
			more.Broadcast()
		}()
	}
	var failed []pdns.SourceFailure
	merged := &merger{index: map[string]int{}}
	give := func(recs []pdns.Record) error {
		if m.Merge {
			merged.add(recs, sink.Problem)
			return nil
		}
		for _, r := range recs {
			if err := sink.Record(r); err != nil {
				return err // the engine has enough (--limit), or failed
			}
		}
		return nil
	}
	for i, s := range slots {
		mu.Lock()
		s.current = true // from now on, its records stay in memory
		held := s.held
		s.held = nil
		mu.Unlock()
		if held != nil {
			name := m.List[i].Name
			err := readHeld(held, sink.MaxRecordBytes, func(recs []pdns.Record) error {
				for j := range recs {
					recs[j].Source = name
				}
				return give(recs)
			})
			if err != nil {
				return err
			}
		}
		for {
			mu.Lock()
			for len(s.recs) == 0 && len(s.problems) == 0 && !s.done {
				more.Wait()
			}
			recs, problems, done, err := s.recs, s.problems, s.done, s.err
			s.recs, s.problems = nil, nil
			mu.Unlock()
			for _, p := range problems {
				sink.Problem(p)
			}
			if err := give(recs); err != nil {
				return err
			}
			if !done {
				continue
			}
			if err != nil {
				if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
					return err // the run was interrupted
				}
				failed = append(failed, pdns.SourceFailure{Source: m.List[i].Name, Err: err})
			}
			break
		}
	}
	for _, r := range merged.records(ind, sink.Problem) {
		if err := sink.Record(r); err != nil {
			return err
		}
	}
	if failed != nil {
		return &pdns.SourcesError{Indicator: ind.Value, Failed: failed}
	}
	return nil
}

// merger merges the records of an answer from several sources by their
// key, (rrname, rrtype, rdata).
type merger struct {
	index map[string]int // key: the record's place in recs
	recs  []pdns.Record
}

func (g *merger) add(recs []pdns.Record, problem func(error)) {
	for _, r := range recs {
		rdata, err := r.RDataJSON()
		if err != nil {
			problem(err)
			continue
		}
		key := r.RRName + "\x00" + r.RRType + "\x00" + rdata
		i, seen := g.index[key]
		if !seen {
			g.index[key] = len(g.recs)
			r.Sources = []string{r.Source}
			g.recs = append(g.recs, r)
			continue
		}
		m := &g.recs[i]
		if !slices.Contains(m.Sources, r.Source) {
			m.Sources = append(m.Sources, r.Source)
		}
		if r.TimeFirst != 0 && (m.TimeFirst == 0 || r.TimeFirst < m.TimeFirst) {
			m.TimeFirst = r.TimeFirst
		}
		m.TimeLast = max(m.TimeLast, r.TimeLast)
		m.Count, _ = pdns.AddCount(m.Count, r.Count)
	}
}

// records are the merged records, each written again with its merged
// times and count.
func (g *merger) records(ind pdns.Indicator, problem func(error)) []pdns.Record {
	out := g.recs[:0]
	for _, r := range g.recs {
		if len(r.Sources) > 1 {
			fields := slices.Clone(r.Members())
			set := func(key string, v int64) {
				if v == 0 {
					return
				}
				val := strconv.FormatInt(v, 10)
				if i := slices.IndexFunc(fields, func(f pdns.Field) bool { return f.Key == key }); i >= 0 {
					fields[i].Value = val
				} else {
					fields = append(fields, pdns.Field{Key: key, Value: val})
				}
			}
			set("time_first", r.TimeFirst)
			set("time_last", r.TimeLast)
			set("count", r.Count)
			nr, err := pdns.RecordOf(fields)
			if err != nil {
				problem(&pdns.RecordError{Indicator: ind.Value, Where: "merged", Err: err})
				continue
			}
			nr.Sources = r.Sources
			r = nr
		}
		r.Source = ""
		out = append(out, r)
	}
	return out
}

func (m *Sources) refusal(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refused[name]
}

func (m *Sources) refuse(name string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refused == nil {
		m.refused = map[string]error{}
	}
	if m.refused[name] == nil {
		m.refused[name] = err
	}
}
