package query

import "hash/maphash"

// seenSet remembers the records of a page already passed on, by a hash of
// (rrname, rrtype, rdata): 8 bytes a record, whatever their size. The
// hashes are only listed until a retry needs to look them up.
type seenSet struct {
	seed     maphash.Seed
	hashes   []uint64            // first attempt: what was passed on
	m        map[uint64]struct{} // from the first retry on
	overflow bool                // too many to remember: the page cannot be retried
}

// maxSeen bounds what a page remembers for retries (8 bytes a record): an
// answer without pages larger than this is not retried once it has passed
// that many records on, rather than remembered in ever more memory.
const maxSeen = 1 << 20

func newSeenSet() *seenSet { return &seenSet{seed: maphash.MakeSeed()} }

// retry starts another attempt at the page: what was passed on is skipped.
func (s *seenSet) retry() {
	if s.m == nil {
		s.m = make(map[uint64]struct{}, len(s.hashes))
	}
	for _, h := range s.hashes {
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
		s.m[k] = struct{}{}
		return true
	}
	if len(s.hashes) < maxSeen {
		s.hashes = append(s.hashes, k)
	} else {
		s.overflow = true
	}
	return true
}

// reset forgets everything: the page is complete.
func (s *seenSet) reset() {
	s.hashes, s.m, s.overflow = s.hashes[:0], nil, false
}
