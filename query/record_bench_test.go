package query

import "testing"

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
