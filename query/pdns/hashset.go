package pdns

import "hash/maphash"

// HashSet remembers keys by a 64-bit hash of them, seeded anew for each
// set (so that no one can aim at a collision): whatever a key's size, at
// most 16 bytes a key, in an open-addressing table (linear probing, at
// most half full), which costs less than a map. It serves every part that
// must know "seen before?" of many things: the records an answer passed on
// (a retried page is not passed on twice), the observables of a STIX
// bundle, the attributes of a ThreatQ object.
//
// Two keys that differ may, once in 2^63, be taken for the same: a set
// for skipping repeats, never for telling secrets apart.
type HashSet struct {
	// Limit, when not 0, bounds the keys kept: past it, a new key is said
	// to be new but is not kept, and Overflow is set.
	Limit    int
	Overflow bool

	seed  maphash.Seed
	slots []uint64 // 0 is an empty slot
	n     int
}

// NewHashSet returns an empty set.
func NewHashSet() *HashSet { return &HashSet{seed: maphash.MakeSeed()} }

// Add adds the key made of parts (each ended by a 0 byte) and says whether
// it was new.
func (s *HashSet) Add(parts ...string) bool { return s.add(HashParts(s.seed, parts...)) }

// HashParts hashes the strings of a key, each ended by a 0 byte (so that
// ("ab", "c") is not ("a", "bc")), with seed.
func HashParts(seed maphash.Seed, parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, p := range parts {
		h.WriteString(p)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// AddRecord adds the key of a record within an answer, (rrname, rrtype,
// rdata), and says whether it was new.
func (s *HashSet) AddRecord(r *Record) bool {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(r.RRName)
	h.WriteByte(0)
	h.WriteString(r.RRType)
	for _, v := range r.RData {
		h.WriteByte(0)
		h.WriteString(v)
	}
	return s.add(h.Sum64())
}

// Len is the number of keys in the set.
func (s *HashSet) Len() int { return s.n }

func (s *HashSet) add(k uint64) bool {
	k |= 1 // never 0, the empty slot; one bit less of hash
	if s.Limit > 0 && s.n >= s.Limit {
		if len(s.slots) > 0 && s.slots[s.slot(k)] == k {
			return false
		}
		s.Overflow = true
		return true
	}
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		s.slots = make([]uint64, max(64, 2*len(old)))
		for _, o := range old {
			if o != 0 {
				s.slots[s.slot(o)] = o
			}
		}
	}
	i := s.slot(k)
	if s.slots[i] == k {
		return false
	}
	s.slots[i] = k
	s.n++
	return true
}

// slot is where k is, or the empty slot where it would go.
func (s *HashSet) slot(k uint64) uint64 {
	mask := uint64(len(s.slots) - 1)
	i := k & mask
	for s.slots[i] != 0 && s.slots[i] != k {
		i = (i + 1) & mask
	}
	return i
}
