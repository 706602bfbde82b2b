package pdns

import (
	"strconv"
	"testing"
)

func TestHashSet(t *testing.T) {
	s := NewHashSet()
	for i := range 1000 {
		if !s.Add("a", strconv.Itoa(i)) {
			t.Fatalf("%d: not new", i)
		}
	}
	for i := range 1000 {
		if s.Add("a", strconv.Itoa(i)) {
			t.Fatalf("%d: new again", i)
		}
	}
	// the parts are kept apart: ("ab", "c") is not ("a", "bc")
	if !s.Add("ab", "c") || !s.Add("a", "bc") || s.Len() != 1002 {
		t.Errorf("parts run together: %d keys", s.Len())
	}
	r := Record{RRName: "a.example", RRType: "A", RData: []string{"192.0.2.1"}}
	if !s.AddRecord(&r) || s.AddRecord(&r) {
		t.Error("a record is new once")
	}
}

func TestHashSetLimit(t *testing.T) {
	s := NewHashSet()
	s.Limit = 2
	s.Add("a")
	s.Add("b")
	if s.Overflow || s.Add("a") {
		t.Fatal("a key kept is not new")
	}
	if !s.Add("c") || !s.Add("c") || !s.Overflow || s.Len() != 2 {
		t.Errorf("past the limit: %d keys, overflow %t; want c new each time, not kept", s.Len(), s.Overflow)
	}
}

// BenchmarkHashSet: what remembering costs an answer of 200,000 records
// (in pages or not: one table for the answer).
func BenchmarkHashSet(b *testing.B) {
	recs := make([]Record, 200000)
	for i := range recs {
		recs[i] = Record{RRName: "big.example", RRType: "A", RData: []string{"10.0." + strconv.Itoa(i)}}
	}
	b.ReportAllocs()
	for b.Loop() {
		s := NewHashSet()
		for i := range recs {
			if !s.AddRecord(&recs[i]) {
				b.Fatal("a new record seen")
			}
		}
	}
}
