package output

import (
	"slices"
	"strings"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// spans gathers the records of a run into rows, answer by answer: one row a
// key (what a writer draws as one line), with the earliest first seen, the
// latest last seen and the sum of the counts. The timeline and the report
// hold them to the end of the run, to draw every answer on one time axis.
//
// A run may hold hundreds of thousands of rows, so a row is small: one
// copy of its three texts (never a slice of a record, which would keep the
// record's memory), its times and count, and a 4-byte slot in an index.
type spans struct {
	answers []*spanAnswer
	cur     *spanAnswer
	sources sourceSet // in a run of several: the rows' sources
}

type spanAnswer struct {
	q           pdns.Indicator
	records     int
	types       []string // in the order met
	rows        chunked[spanRow]
	index       openIndex
	texts       texts
	first, last int64 // of all its rows
}

type spanRow struct {
	text               string // rrname, rrtype and label, one after the other
	nameLen, typeLen   int32
	First, Last, Count int64
	Srcs               uint64 // its sources (spans.sources)
}

func (r *spanRow) RRName() string { return r.text[:r.nameLen] }
func (r *spanRow) RRType() string { return r.text[r.nameLen : r.nameLen+r.typeLen] }
func (r *spanRow) Label() string  { return r.text[r.nameLen+r.typeLen:] }

func (s *spans) answer(q pdns.Indicator) *spanAnswer {
	if s.cur == nil || s.cur.q.Value != q.Value {
		s.cur = &spanAnswer{q: q, index: newOpenIndex()}
		s.answers = append(s.answers, s.cur)
	}
	return s.cur
}

// record counts r in q's answer, and returns the answer to add its rows to.
func (s *spans) record(q pdns.Indicator, r *pdns.Record) *spanAnswer {
	a := s.answer(q)
	a.records++
	if !slices.Contains(a.types, r.RRType) {
		a.types = append(a.types, strings.Clone(r.RRType))
	}
	first, last := seenAt(r)
	a.first, a.last = earliest(a.first, first), max(a.last, last)
	return a
}

// seenAt is when r was first and last seen, a record with one time only
// being seen at that time (0, 0 without any).
func seenAt(r *pdns.Record) (first, last int64) {
	first, last = r.First(), r.Last()
	if first == 0 {
		first = last
	}
	if last == 0 {
		last = first
	}
	return first, last
}

// add counts r in the row of (name, rrtype, label), made the first time.
func (a *spanAnswer) add(name, rrtype, label string, r *pdns.Record, srcs uint64) {
	key := func(i int) uint64 {
		rw := a.rows.at(i)
		return a.index.hash(rw.RRName(), rw.RRType(), rw.Label())
	}
	i, slot := a.index.find(a.index.hash(name, rrtype, label), func(i int) bool {
		rw := a.rows.at(i)
		return rw.RRName() == name && rw.RRType() == rrtype && rw.Label() == label
	}, a.rows.len(), key)
	first, last := seenAt(r)
	if i >= 0 {
		rw := a.rows.at(i)
		rw.First, rw.Last = earliest(rw.First, first), max(rw.Last, last)
		rw.Count, _ = pdns.AddCount(rw.Count, r.Count) // stops at the largest count
		rw.Srcs |= srcs
		return
	}
	a.index.put(slot, a.rows.len())
	a.rows.append(spanRow{text: a.texts.clone(name, rrtype, label), nameLen: int32(len(name)), typeLen: int32(len(rrtype)),
		First: first, Last: last, Count: r.Count, Srcs: srcs})
}

// sorted returns the rows' indexes in order of cmp, stable.
func (a *spanAnswer) sorted(cmp func(x, y *spanRow) int) []int32 {
	order := make([]int32, a.rows.len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(x, y int32) int { return cmp(a.rows.at(int(x)), a.rows.at(int(y))) })
	return order
}

// end closes q's answer, which may have had no records.
func (s *spans) end(q pdns.Indicator) {
	s.answer(q)
	s.cur = nil
}

// bounds are the run's time span: from the earliest first seen to the
// latest last seen, or a day when there is no span.
func (s *spans) bounds() (lo, hi int64) {
	for _, a := range s.answers {
		lo, hi = earliest(lo, a.first), max(hi, a.last)
	}
	if lo == 0 || hi <= lo {
		hi = lo + 86400
	}
	return lo, hi
}

// earliest is the earlier of two times, 0 standing for none.
func earliest(a, b int64) int64 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}
