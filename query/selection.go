package query

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Selection chooses and orders the records of each answer before output,
// in this order: record type, time fence, sort, limit, then the jq program.
type Selection struct {
	// RRTypes keeps only records of these types (upper case); empty keeps all.
	RRTypes []string
	// Since keeps records last seen at or after it; Until keeps records
	// first seen at or before it: records that overlap the window. With
	// Strict, only records seen entirely inside it are kept.
	Since, Until time.Time
	Strict       bool
	// Limit keeps at most this many records per indicator (0: all). Without
	// Sort, the first ones received are kept and fetching stops there; with
	// Sort, the first ones in sorted order, so the whole answer is read.
	Limit int
	Sort  []SortKey
	// Program, when set, replaces each record with its outputs; with
	// Slurp, it runs once an indicator, on the array of its records.
	Program *Program
	Slurp   bool
	// Watch, when set, keeps only the records that no earlier run printed
	// (after type, time fence, sort and limit; before the jq program).
	Watch *State
}

// SortKey is one key of --sort.
type SortKey struct {
	Field string // time_first, time_last, count, rrname, rrtype, rdata
	Desc  bool
}

var sortFields = []string{"time_first", "time_last", "count", "rrname", "rrtype", "rdata"}

// SortKeys are the fields records can be sorted by.
func SortKeys() []string { return slices.Clone(sortFields) }

// ParseSort reads "KEY[,KEY...]", each key optionally preceded by "-" for
// descending order.
func ParseSort(spec string) ([]SortKey, error) {
	var keys []SortKey
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		k := SortKey{Field: strings.TrimPrefix(f, "-"), Desc: strings.HasPrefix(f, "-")}
		if !slices.Contains(sortFields, k.Field) {
			return nil, fmt.Errorf("%s: not a sort key; want one of %s, with - before it for descending order", Quote(f, 40), strings.Join(sortFields, ", "))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func compareBy(k SortKey) func(a, b *Record) int {
	var c func(a, b *Record) int
	switch k.Field {
	case "time_first":
		c = func(a, b *Record) int { return cmp.Compare(a.First(), b.First()) }
	case "time_last":
		c = func(a, b *Record) int { return cmp.Compare(a.Last(), b.Last()) }
	case "count":
		c = func(a, b *Record) int { return cmp.Compare(a.Count, b.Count) }
	case "rrname":
		c = func(a, b *Record) int { return cmp.Compare(a.RRName, b.RRName) }
	case "rrtype":
		c = func(a, b *Record) int { return cmp.Compare(a.RRType, b.RRType) }
	case "rdata":
		c = func(a, b *Record) int { return slices.Compare(a.RData, b.RData) }
	}
	if k.Desc {
		return func(a, b *Record) int { return c(b, a) }
	}
	return c
}

// Keep says whether r passes the type filter and the time fence.
func (s *Selection) Keep(r *Record) bool {
	if len(s.RRTypes) > 0 && !slices.Contains(s.RRTypes, r.RRType) {
		return false
	}
	first, last := r.First(), r.Last()
	if !s.Since.IsZero() {
		if s.Strict && first < s.Since.Unix() || last < s.Since.Unix() {
			return false
		}
	}
	if !s.Until.IsZero() {
		if s.Strict && last > s.Until.Unix() || first > s.Until.Unix() {
			return false
		}
	}
	return true
}

// ErrLimitReached ends a query early once the limit is reached; it is not
// a failure.
var ErrLimitReached = errors.New("limit reached")

// Emitter receives what a selection keeps: records, or, with a jq
// program, the program's outputs.
type Emitter interface {
	Record(r Record) error
	Value(v any) error
}

// selector applies a Selection to one indicator's answer.
type selector struct {
	ctx     context.Context // ends a jq program that runs too long
	sel     *Selection
	ind     Indicator
	out     Emitter
	problem func(error)
	kept    int
	held    []Record // with Sort or Slurp: the whole answer, until flush

	jqErr    error // the first runtime error of the jq program
	jqFailed int   // records it failed on

	watch *Watch // with Selection.Watch: what earlier runs printed

	pivot    *Pivot   // with --pivot: what the records lead to is noted
	leads    []string // (in record order, without repeats)
	followed int      // records that passed the selection
}

func (s *Selection) start(ctx context.Context, ind Indicator, out Emitter, problem func(error)) *selector {
	return &selector{ctx: ctx, sel: s, ind: ind, out: out, problem: problem}
}

// record takes one record of the answer; ErrLimitReached says no more are
// wanted.
func (x *selector) record(r Record) error {
	if !x.sel.Keep(&r) {
		return nil
	}
	if len(x.sel.Sort) > 0 || x.slurp() {
		x.held = append(x.held, r)
		if x.slurp() && len(x.sel.Sort) == 0 && x.sel.Limit > 0 && len(x.held) >= x.sel.Limit {
			return ErrLimitReached
		}
		return nil
	}
	if err := x.emit(r); err != nil {
		return err
	}
	x.kept++
	if x.sel.Limit > 0 && x.kept >= x.sel.Limit {
		return ErrLimitReached
	}
	return nil
}

func (x *selector) slurp() bool { return x.sel.Slurp && x.sel.Program != nil }

// flush sorts and emits the held records, if any (with Slurp, runs the
// program on them all), and reports the program's runtime errors, once.
func (x *selector) flush() error {
	err := x.flushHeld()
	if x.jqErr != nil {
		msg := x.jqErr
		switch more := x.jqFailed - 1; {
		case more == 1:
			msg = fmt.Errorf("%w (and on 1 more record)", x.jqErr)
		case more > 1:
			msg = fmt.Errorf("%w (and on %d more records)", x.jqErr, more)
		}
		x.problem(&JQError{Indicator: x.ind.Value, Err: msg})
	}
	return err
}

func (x *selector) flushHeld() error {
	if x.slurp() {
		held := x.held
		x.held = nil
		var keys []uint64
		if x.watch != nil { // the array holds what is new
			fresh := held[:0]
			for _, r := range held {
				if k, seen := x.watch.Seen(&r); !seen {
					fresh, keys = append(fresh, r), append(keys, k)
				}
			}
			held = fresh
			if x.watch.state.Baseline {
				for _, k := range keys {
					x.watch.Mark(k)
				}
				return nil
			}
		}
		out := &countingEmitter{Emitter: x.out}
		err := x.runJQ(func() error { return x.sel.Program.runAll(x.ctx, x.ind, held, out) })
		if x.watch != nil && out.n > 0 {
			for _, k := range keys {
				x.watch.Mark(k)
			}
		}
		return err
	}
	if len(x.held) == 0 {
		return nil
	}
	slices.SortStableFunc(x.held, func(a, b Record) int {
		for _, k := range x.sel.Sort {
			if c := compareBy(k)(&a, &b); c != 0 {
				return c
			}
		}
		return 0
	})
	if x.sel.Limit > 0 && len(x.held) > x.sel.Limit {
		x.held = x.held[:x.sel.Limit]
	}
	for _, r := range x.held {
		if err := x.emit(r); err != nil {
			return err
		}
	}
	x.held = nil
	return nil
}

func (x *selector) emit(r Record) error {
	if x.pivot != nil { // what passed the selection is what is followed
		x.followed++
		if x.followed <= x.pivot.MaxFanout { // past it, a hub: not followed, not held
			for _, t := range x.pivot.targets(x.ind, &r) {
				if !slices.Contains(x.leads, t) {
					x.leads = append(x.leads, t)
				}
			}
		}
	}
	var key uint64
	if x.watch != nil {
		k, seen := x.watch.Seen(&r)
		if seen {
			return nil // printed by an earlier run
		}
		key = k
		if x.watch.state.Baseline {
			x.watch.Mark(key) // recorded, not printed
			return nil
		}
	}
	if x.sel.Program == nil {
		if x.watch != nil {
			x.watch.Mark(key)
		}
		return x.out.Record(r)
	}
	out := &countingEmitter{Emitter: x.out}
	err := x.runJQ(func() error { return x.sel.Program.run(x.ctx, x.ind, &r, out) })
	if x.watch != nil && out.n > 0 { // only what the program printed something for
		x.watch.Mark(key)
	}
	return err
}

// countingEmitter counts the values a jq program gives out.
type countingEmitter struct {
	Emitter
	n int
}

func (c *countingEmitter) Value(v any) error {
	c.n++
	return c.Emitter.Value(v)
}

func (c *countingEmitter) Record(r Record) error {
	c.n++
	return c.Emitter.Record(r)
}

// runJQ runs the program; a runtime error is counted, and the next input
// goes on, as jq does (the first error is reported once, at the end).
func (x *selector) runJQ(run func() error) error {
	err := run()
	var jqErr *JQError
	if errors.As(err, &jqErr) {
		if x.jqErr == nil {
			x.jqErr = jqErr.Err
		}
		x.jqFailed++
		return nil
	}
	return err
}
