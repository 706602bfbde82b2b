package output

import (
	"hash/maphash"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// openIndex finds the entries of a slice by a hash of their key, for the
// writers that hold one entry per distinct name, row or edge of a run
// (hundreds of thousands of them): open addressing with linear probing,
// at most half full, 8 bytes an entry at most, and no copy of the key.
type openIndex struct {
	seed  maphash.Seed
	slots []int32 // 1 + the entry's index; 0 for an empty slot
}

func newOpenIndex() openIndex { return openIndex{seed: maphash.MakeSeed()} }

// hash hashes the strings of a key.
func (x *openIndex) hash(parts ...string) uint64 { return pdns.HashParts(x.seed, parts...) }

// find returns the index of the entry whose key hashes to h and for which
// is says true, or -1 and the slot to give a new entry (with put). n is the
// number of entries, and key(i) hashes entry i: the index may grow first.
func (x *openIndex) find(h uint64, is func(i int) bool, n int, key func(i int) uint64) (entry int, slot uint64) {
	if 2*(n+1) > len(x.slots) {
		x.slots = make([]int32, max(64, 2*len(x.slots)))
		for i := range n {
			_, s := x.probe(key(i), func(int) bool { return false })
			x.slots[s] = int32(i + 1)
		}
	}
	return x.probe(h, is)
}

func (x *openIndex) probe(h uint64, is func(i int) bool) (int, uint64) {
	mask := uint64(len(x.slots) - 1)
	s := h & mask
	for ; x.slots[s] != 0; s = (s + 1) & mask {
		if i := int(x.slots[s] - 1); is(i) {
			return i, s
		}
	}
	return -1, s
}

// put gives slot (from find) to entry i.
func (x *openIndex) put(slot uint64, i int) { x.slots[slot] = int32(i + 1) }
