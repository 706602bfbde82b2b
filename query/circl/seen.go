package circl

import "github.com/circl-pdns/circl-pdns/query/pdns"

// The records of an answer already passed on are remembered, by a hash of
// (rrname, rrtype, rdata), in a HashSet: within one answer that tuple
// is unique (COF), so a record seen again, on a retry or on a page the
// server sent twice, is not passed on twice.

// maxSeen bounds what an answer remembers: past that many records, a page
// is not retried, rather than remembered in ever more memory.
const maxSeen = 1 << 20

func newSeenSet() *pdns.HashSet {
	s := pdns.NewHashSet()
	s.Limit = maxSeen
	return s
}
