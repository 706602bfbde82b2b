package output

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/circl-pdns/circl-pdns/query"
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
	seed    maphash.Seed
}

type spanAnswer struct {
	q           query.Indicator
	records     int
	types       []string // in the order met
	rows        []spanRow
	index       []int32 // open addressing: 1 + the row's index, 0 for none
	first, last int64   // of all its rows
}

type spanRow struct {
	text               string // rrname, rrtype and label, one after the other
	nameLen, typeLen   int32
	First, Last, Count int64
}

func (r *spanRow) RRName() string { return r.text[:r.nameLen] }
func (r *spanRow) RRType() string { return r.text[r.nameLen : r.nameLen+r.typeLen] }
func (r *spanRow) Label() string  { return r.text[r.nameLen+r.typeLen:] }

func (s *spans) answer(q query.Indicator) *spanAnswer {
	if s.cur == nil || s.cur.q.Value != q.Value {
		if s.answers == nil {
			s.seed = maphash.MakeSeed()
		}
		s.cur = &spanAnswer{q: q}
		s.answers = append(s.answers, s.cur)
	}
	return s.cur
}

// record counts r in q's answer, and returns the answer to add its rows to.
func (s *spans) record(q query.Indicator, r *query.Record) *spanAnswer {
	a := s.answer(q)
	a.records++
	if !slices.Contains(a.types, r.RRType) {
		a.types = append(a.types, strings.Clone(r.RRType))
	}
	a.first, a.last = earliest(a.first, r.First()), max(a.last, r.Last())
	return a
}

// add counts r in the row of (name, rrtype, label), made the first time.
func (s *spans) add(a *spanAnswer, name, rrtype, label string, r *query.Record) {
	if 2*(len(a.rows)+1) > len(a.index) {
		a.grow(s.seed)
	}
	mask := uint64(len(a.index) - 1)
	i := rowHash(s.seed, name, rrtype, label) & mask
	for ; a.index[i] != 0; i = (i + 1) & mask {
		rw := &a.rows[a.index[i]-1]
		if rw.RRName() == name && rw.RRType() == rrtype && rw.Label() == label {
			rw.First, rw.Last = earliest(rw.First, r.First()), max(rw.Last, r.Last())
			rw.Count += r.Count
			return
		}
	}
	a.rows = append(a.rows, spanRow{text: name + rrtype + label, nameLen: int32(len(name)), typeLen: int32(len(rrtype)),
		First: r.First(), Last: r.Last(), Count: r.Count})
	a.index[i] = int32(len(a.rows))
}

func rowHash(seed maphash.Seed, name, rrtype, label string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, t := range [...]string{name, rrtype, label} {
		h.WriteString(t)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// grow doubles the index (from 64 slots), which is at most half full.
func (a *spanAnswer) grow(seed maphash.Seed) {
	a.index = make([]int32, max(64, 2*len(a.index)))
	mask := uint64(len(a.index) - 1)
	for n := range a.rows {
		rw := &a.rows[n]
		i := rowHash(seed, rw.RRName(), rw.RRType(), rw.Label()) & mask
		for a.index[i] != 0 {
			i = (i + 1) & mask
		}
		a.index[i] = int32(n + 1)
	}
}

// end closes q's answer, which may have had no records.
func (s *spans) end(q query.Indicator) {
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
