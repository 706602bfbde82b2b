package query

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// An answer goes from its source to the output through a chain of stages,
// made for it by the Batch, each with one concern:
//
//	filter  record types and the time fence (Selection.Keep)
//	order   --sort and --limit (a limit without a sort ends the query early)
//	leads   --pivot: what the records point to, and whether it is a hub
//	fresh   --new: only what no earlier run printed
//	program the jq program, on each record or (-s) on all of them
//	emit    to the writer, through the queue of the answer's job
//
// A stage passes what it keeps to the next one; end, when the answer ends,
// passes on what the stage held, then ends the next one. Stages that are
// not asked for are left out.
type stage interface {
	record(r *pdns.Record) error
	end() error
}

// emitter receives what the chain of an answer gives out: records, or, with
// a jq program, the program's outputs.
type emitter interface {
	Record(r pdns.Record) error
	Value(v any) error
}

// errLimitReached ends a query early once the limit is reached; it is not
// a failure.
var errLimitReached = errors.New("limit reached")

// chain is the stages of one answer, and what the job wants of them once
// the answer is over.
type chain struct {
	first stage
	leads *leads // with a pivot
	watch *watch // with --new
}

// newChain makes the chain of ind's answer, which gives out to out and
// reports problems to problem.
func (b *Batch) newChain(ctx context.Context, ind pdns.Indicator, out emitter, problem func(error)) (*chain, error) {
	sel := b.Selection
	if sel == nil {
		sel = &Selection{}
	}
	c := &chain{}
	counted := &countingEmitter{emitter: out}
	var s stage = &emit{out: counted}
	if sel.Program != nil {
		s = &program{ctx: ctx, prog: sel.Program, slurp: sel.Slurp, ind: ind, out: counted, problem: problem,
			recordsFor: sel.RecordsFor}
	}
	if sel.Watch != nil {
		w, err := sel.Watch.open(ind)
		if err != nil {
			return nil, err
		}
		c.watch = w
		s = &fresh{next: s, watch: w, out: counted}
	}
	if b.Pivot != nil {
		c.leads = &leads{next: s, pivot: b.Pivot, ind: ind}
		s = c.leads
	}
	if len(sel.Sort) > 0 || sel.Limit > 0 {
		s = &order{next: s, keys: sel.Sort, limit: sel.Limit}
	}
	c.first = &filter{next: s, sel: sel}
	return c, nil
}

// filter keeps the records of the selected types, within the time fence.
type filter struct {
	next stage
	sel  *Selection
}

func (f *filter) record(r *pdns.Record) error {
	if !f.sel.Keep(r) {
		return nil
	}
	return f.next.record(r)
}

func (f *filter) end() error { return f.next.end() }

// order sorts the records (holding the answer until its end) and keeps the
// first limit of them; without a sort, the limit ends the query as soon as
// it is reached.
type order struct {
	next   stage
	keys   []SortKey
	limit  int
	held   []pdns.Record
	passed int
}

func (o *order) record(r *pdns.Record) error {
	if len(o.keys) > 0 {
		o.held = append(o.held, *r)
		return nil
	}
	if err := o.next.record(r); err != nil {
		return err
	}
	if o.passed++; o.limit > 0 && o.passed >= o.limit {
		return errLimitReached
	}
	return nil
}

func (o *order) end() error {
	if len(o.keys) > 0 {
		held := o.held
		o.held = nil
		slices.SortStableFunc(held, func(a, b pdns.Record) int {
			for _, k := range o.keys {
				if c := compareBy(k)(&a, &b); c != 0 {
					return c
				}
			}
			return 0
		})
		if o.limit > 0 && len(held) > o.limit {
			held = held[:o.limit]
		}
		for i := range held {
			if err := o.next.record(&held[i]); err != nil {
				return err
			}
		}
	}
	return o.next.end()
}

// leads notes what the selected records of an answer point to, for the
// next hop of a pivot, and counts them: an answer of more than MaxFanout
// is a hub, kept and not followed. This is the one place that decides it.
type leads struct {
	next     stage
	pivot    *Pivot
	ind      pdns.Indicator
	targets  []string // in record order, without repeats
	followed int      // records that passed the selection
}

func (l *leads) record(r *pdns.Record) error {
	if l.followed++; l.followed <= l.pivot.MaxFanout { // past it, a hub: not followed, not held
		for _, t := range l.pivot.targets(l.ind, r) {
			if !slices.Contains(l.targets, t) {
				l.targets = append(l.targets, t)
			}
		}
	}
	return l.next.record(r)
}

func (l *leads) end() error { return l.next.end() }

// hub says whether the answer is a hub.
func (l *leads) hub() bool { return l.followed > l.pivot.MaxFanout }

// fresh keeps the records no earlier run printed (--new), and marks those
// this run printed: the ones that led to an output. A record that led to
// none yet (a program that runs on the whole answer, -s) is marked if the
// end of the answer gives something out. With a baseline, every new record
// is marked, and nothing is passed on.
type fresh struct {
	next    stage
	watch   *watch
	out     *countingEmitter
	pending []uint64
}

func (f *fresh) record(r *pdns.Record) error {
	k, seen := f.watch.Seen(r)
	if seen {
		return nil
	}
	if f.watch.state.Baseline { // recorded, not printed
		f.watch.Mark(k)
		return nil
	}
	before := f.out.n
	if err := f.next.record(r); err != nil {
		return err
	}
	if f.out.n > before {
		f.watch.Mark(k)
	} else {
		f.pending = append(f.pending, k)
	}
	return nil
}

func (f *fresh) end() error {
	if f.watch.state.Baseline {
		return nil // nothing was passed on: nothing to end
	}
	before := f.out.n
	err := f.next.end()
	if f.out.n > before {
		for _, k := range f.pending {
			f.watch.Mark(k)
		}
	}
	f.pending = nil
	return err
}

// program runs the jq program on each record, or with slurp once on the
// array of them all. A runtime error is counted and the next input goes
// on, as jq does; the first is reported once, at the end of the answer.
type program struct {
	ctx     context.Context // ends a program that runs too long
	prog    *Program
	slurp   bool
	ind     pdns.Indicator
	out     emitter
	problem func(error)
	held    []pdns.Record

	firstErr error // the first runtime error of the program
	failed   int   // records it failed on

	// recordsFor names the output that takes records only: an output that
	// is not one is not written, and said (the first of the answer; the
	// engine says the first of the run only).
	recordsFor    string
	notRecordSaid bool
}

// notRecordError is a jq output that the format cannot take, not being a
// record: every other output is likely the same, so the engine says the
// first of the run only.
type notRecordError struct{ JQError }

func (p *program) record(r *pdns.Record) error {
	if p.slurp {
		p.held = append(p.held, *r)
		return nil
	}
	return p.run(func() error { return p.prog.run(p.ctx, p.ind, r, p) })
}

func (p *program) end() error {
	var err error
	if p.slurp {
		held := p.held
		p.held = nil
		err = p.run(func() error { return p.prog.runAll(p.ctx, p.ind, held, p) })
	}
	if p.firstErr != nil {
		msg := p.firstErr
		switch more := p.failed - 1; {
		case more == 1:
			msg = fmt.Errorf("%w (and on 1 more record)", p.firstErr)
		case more > 1:
			msg = fmt.Errorf("%w (and on %d more records)", p.firstErr, more)
		}
		p.problem(&JQError{Indicator: p.ind.Value, Err: msg})
	}
	return err
}

// run runs the program; a runtime error is counted, not returned.
func (p *program) run(run func() error) error {
	err := run()
	var jqErr *JQError
	if errors.As(err, &jqErr) {
		if p.firstErr == nil {
			p.firstErr = jqErr.Err
		}
		p.failed++
		return nil
	}
	return err
}

// Record is an output of the program that is one of its input records.
func (p *program) Record(r pdns.Record) error { return p.out.Record(r) }

// Value is any other output: as it is, or turned back into a record for an
// output that takes records only.
func (p *program) Value(v any) error {
	if p.recordsFor == "" {
		return p.out.Value(v)
	}
	r, err := recordFromValue(v)
	if err != nil {
		if !p.notRecordSaid {
			p.notRecordSaid = true
			p.problem(&notRecordError{JQError{Indicator: p.ind.Value, Err: fmt.Errorf("%w, as -o %s needs", err, p.recordsFor)}})
		}
		return nil
	}
	return p.out.Record(r)
}

// emit gives the records out, without a program.
type emit struct{ out emitter }

func (e *emit) record(r *pdns.Record) error { return e.out.Record(*r) }
func (e *emit) end() error                  { return nil }

// countingEmitter counts what the chain gave out.
type countingEmitter struct {
	emitter
	n int
}

func (c *countingEmitter) Value(v any) error {
	c.n++
	return c.emitter.Value(v)
}

func (c *countingEmitter) Record(r pdns.Record) error {
	c.n++
	return c.emitter.Record(r)
}

// compareBy orders records by one key of --sort.
func compareBy(k SortKey) func(a, b *pdns.Record) int {
	var c func(a, b *pdns.Record) int
	switch k.Field {
	case "time_first":
		c = func(a, b *pdns.Record) int { return cmp.Compare(a.First(), b.First()) }
	case "time_last":
		c = func(a, b *pdns.Record) int { return cmp.Compare(a.Last(), b.Last()) }
	case "count":
		c = func(a, b *pdns.Record) int { return cmp.Compare(a.Count, b.Count) }
	case "rrname":
		c = func(a, b *pdns.Record) int { return cmp.Compare(a.RRName, b.RRName) }
	case "rrtype":
		c = func(a, b *pdns.Record) int { return cmp.Compare(a.RRType, b.RRType) }
	case "rdata":
		c = func(a, b *pdns.Record) int { return slices.Compare(a.RData, b.RData) }
	}
	if k.Desc {
		return func(a, b *pdns.Record) int { return c(b, a) }
	}
	return c
}
