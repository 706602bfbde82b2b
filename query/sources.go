package query

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"

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
// they come, the others' once those before them ended (held until then).
//
// A source that fails does not end the others' answers: the query gives
// every record it got, then returns a *SourcesError naming the sources
// that failed. A source whose credentials were refused is not asked again
// in the run: every later indicator says so, as failed there.
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

// SourcesError is an indicator's answer that some sources could not give;
// the others' records were given.
type SourcesError struct {
	Indicator string
	Failed    []SourceFailure // in the order of the sources
}

// SourceFailure is why one source failed an indicator.
type SourceFailure struct {
	Source string
	Err    error
}

func (e *SourcesError) Error() string {
	var b strings.Builder
	b.WriteString(e.Indicator + ": ")
	for i, f := range e.Failed {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Source + ": " + strings.TrimPrefix(f.Err.Error(), e.Indicator+": "))
	}
	return b.String()
}

// Unwrap is every source's error.
func (e *SourcesError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}

// Failure is the kind of the first source's failure, with the status of a
// partial answer (1): not even refused credentials stop a run that other
// sources answer.
func (e *SourcesError) Failure() pdns.Failure {
	f := pdns.FailureOf(e.Failed[0].Err)
	if f.Status == pdns.ExitOK || f.Status == pdns.ExitFailed {
		return f
	}
	return pdns.Failure{Kind: f.Kind, Status: pdns.ExitFailed}
}

// errNotAsked is the answer of a source whose credentials were refused
// earlier in the run.
type errNotAsked struct{ refusal error }

func (e errNotAsked) Error() string { return "not asked: its credentials were refused" }
func (e errNotAsked) Unwrap() error { return e.refusal }

// slot is what one source has given of an answer so far.
type slot struct {
	recs     []pdns.Record
	problems []error
	done     bool
	err      error
}

func (m *Sources) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	ctx, cancel := context.WithCancel(ctx)
	var (
		mu    sync.Mutex
		more  = sync.NewCond(&mu)
		slots = make([]*slot, len(m.List))
		wg    sync.WaitGroup
	)
	defer func() { cancel(); wg.Wait() }() // the others stop, once one ends the query
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
					s.recs = append(s.recs, r)
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
			mu.Unlock()
			more.Broadcast()
		}()
	}
	var failed []SourceFailure
	merged := &merger{index: map[string]int{}}
	for i, s := range slots {
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
			if m.Merge {
				merged.add(recs, sink.Problem)
				recs = nil
			}
			for _, r := range recs {
				if err := sink.Record(r); err != nil {
					return err // the engine has enough (--limit), or failed
				}
			}
			if !done {
				continue
			}
			if err != nil {
				if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
					return err // the run was interrupted
				}
				failed = append(failed, SourceFailure{Source: m.List[i].Name, Err: err})
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
		return &SourcesError{Indicator: ind.Value, Failed: failed}
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
