package query

import "hash/maphash"

// seenSet remembers the records of an answer already passed on, by a hash
// of (rrname, rrtype, rdata): whatever their size, at most 16 bytes a
// record. Within one answer that tuple is unique (COF), so a record seen
// again, on a retry or on a page the server sent twice, is not passed on
// twice.
//
// The hashes are kept in an open-addressing table (linear probing, at most
// half full), which costs less than a map and than keeping them sorted.
type seenSet struct {
	seed     maphash.Seed
	slots    []uint64 // 0 is an empty slot
	n        int      // hashes in slots
	overflow bool     // too many to remember: the answer cannot be retried
}

// maxSeen bounds what an answer remembers: past that many records, a page
// is not retried, rather than remembered in ever more memory.
const maxSeen = 1 << 20

func newSeenSet() *seenSet { return &seenSet{seed: maphash.MakeSeed()} }

// add records r and says whether it is new.
func (s *seenSet) add(r *Record) bool {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(r.RRName)
	h.WriteByte(0)
	h.WriteString(r.RRType)
	for _, v := range r.RData {
		h.WriteByte(0)
		h.WriteString(v)
	}
	k := h.Sum64() | 1 // never 0, the empty slot; one bit less of hash
	if len(s.slots) > 0 {
		if _, found := s.slot(k); found {
			return false
		}
	}
	if s.n >= maxSeen {
		s.overflow = true
		return true
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	i, _ := s.slot(k)
	s.slots[i] = k
	s.n++
	return true
}

// slot is where k is in the table, or the empty slot where it would go.
func (s *seenSet) slot(k uint64) (i uint64, found bool) {
	mask := uint64(len(s.slots) - 1)
	for i = k & mask; s.slots[i] != 0; i = (i + 1) & mask {
		if s.slots[i] == k {
			return i, true
		}
	}
	return i, false
}

// grow doubles the table (from 1024 slots).
func (s *seenSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(1024, 2*len(old)))
	for _, k := range old {
		if k != 0 {
			i, _ := s.slot(k)
			s.slots[i] = k
		}
	}
}
