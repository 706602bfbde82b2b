package query

import (
	"strconv"
	"testing"
)

// BenchmarkSeenSet: what remembering costs an answer of 200,000 records
// (in pages or not: one table for the answer).
func BenchmarkSeenSet(b *testing.B) {
	recs := make([]Record, 200000)
	for i := range recs {
		recs[i] = Record{RRName: "big.example", RRType: "A", RData: []string{"10.0." + strconv.Itoa(i)}}
	}
	b.ReportAllocs()
	for b.Loop() {
		s := newSeenSet()
		for i := range recs {
			if !s.add(&recs[i]) {
				b.Fatal("a new record seen")
			}
		}
	}
}
