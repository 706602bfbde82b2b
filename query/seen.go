package query

import "hash/maphash"

// seenSet remembers the records of an answer already passed on, by a hash
// of (rrname, rrtype, rdata): 8 bytes a record, whatever their size. Within
// one answer that tuple is unique (COF), so a record seen again, on a retry
// or on a page the server sent twice, is not passed on twice. The hashes
// are only listed until a retry or a second page needs to look them up.
type seenSet struct {
	seed     maphash.Seed
	hashes   []uint64            // what was passed on since the last remember
	m        map[uint64]struct{} // from the first retry or page on
	overflow bool                // too many to remember: the answer cannot be retried
}

// maxSeen bounds what an answer remembers (8 bytes a record): past that
// many records, a page is not retried, rather than remembered in ever more
// memory.
const maxSeen = 1 << 20

func newSeenSet() *seenSet { return &seenSet{seed: maphash.MakeSeed()} }

// remember makes what was passed on so far something to look up: for a
// retry, or the next page.
func (s *seenSet) remember() {
	if len(s.hashes) == 0 {
		return
	}
	if s.m == nil {
		s.m = make(map[uint64]struct{}, len(s.hashes))
	}
	for _, h := range s.hashes {
		if len(s.m) >= maxSeen {
			s.overflow = true
			break
		}
		s.m[h] = struct{}{}
	}
	s.hashes = s.hashes[:0]
}

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
	k := h.Sum64()
	if s.m != nil {
		if _, ok := s.m[k]; ok {
			return false
		}
	}
	if len(s.m)+len(s.hashes) < maxSeen {
		s.hashes = append(s.hashes, k)
	} else {
		s.overflow = true
	}
	return true
}
