package pdns

import (
	"bytes"
	"fmt"
	"testing"
)

func BenchmarkDecodeRecord(b *testing.B) {
	line := []byte(`{"count": 6, "origin": "https://www.circl.lu/pdns/", "time_first": 1496995637, "rrtype": "A", "rrname": "www.threatq.com", "rdata": "104.196.175.197", "time_last": 1499951111}`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRecord(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	r, _ := DecodeRecord([]byte(`{"count": 6, "origin": "https://www.circl.lu/pdns/", "time_first": 1496995637, "rrtype": "A", "rrname": "www.threatq.com", "rdata": "104.196.175.197", "time_last": 1499951111}`))
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendJSON(buf[:0], Field{"query", `"www.threatq.com"`})
	}
}

// The record stage takes the memory of plain records from chunks: reading
// many costs far fewer allocations than two a record.
func TestRecordReaderAllocs(t *testing.T) {
	var dump []byte
	for i := range 1000 {
		dump = fmt.Appendf(dump, `{"count":%d,"rrtype":"A","rrname":"big.example","rdata":"10.0.%d.%d","time_first":1,"time_last":2}`+"\n", i, i/256, i%256)
	}
	allocs := testing.AllocsPerRun(5, func() {
		rr := NewRecordReader(bytes.NewReader(dump), 0)
		for {
			if _, err := rr.Next(); err != nil {
				break
			}
		}
	})
	if allocs > 200 {
		t.Errorf("%.0f allocations for 1000 records", allocs)
	}
}
