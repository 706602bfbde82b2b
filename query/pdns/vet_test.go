package pdns

import (
	"strings"
	"testing"
)

// TestVet: values that no consumer can trust are refused as the record is
// decoded, by both paths (the fast one and the general one), with a reason.
func TestVet(t *testing.T) {
	t.Parallel()
	rec := func(members string) string {
		return `{"rrname":"x.example","rrtype":"A","rdata":"192.0.2.1",` + members + `}`
	}
	tests := []struct{ in, why string }{
		{rec(`"time_first":-9223372036854775808`), "time_first: -9223372036854775808 is not a time from 1970 to 9999"},
		{rec(`"time_last":9223372036854775807`), "time_last: 9223372036854775807 is not a time from 1970 to 9999"},
		{rec(`"time_last":"253402300800"`), "time_last: 253402300800 is not a time"}, // 10000-01-01, as a string
		{rec(`"time_first":-1`), "time_first: -1 is not a time"},
		{rec(`"zone_time_last":1e15`), "zone_time_last: 1000000000000000 is not a time"},
		{rec(`"count":-5`), "count: -5 is negative"},
		{rec(`"count":"-4"`), "count: -4 is negative"},
		{rec(`"time_first":1700086400,"time_last":1700000000`), "time_first 2023-11-15T22:13:20Z is after time_last 2023-11-14T22:13:20Z"},
		{rec(`"zone_time_first":20,"zone_time_last":10`), "zone_time_first 1970-01-01T00:00:20Z is after zone_time_last"},
	}
	for _, tt := range tests {
		for _, path := range []string{"plain", "general"} {
			line := tt.in
			if path == "general" { // an array takes the general path
				line = strings.TrimSuffix(line, "}") + `,"extra":[1]}`
			}
			_, err := DecodeRecord([]byte(line))
			if err == nil || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("%s %s: got %v, want %q", path, line, err, tt.why)
			}
		}
	}
	for _, ok := range []string{
		rec(`"time_first":0,"time_last":0,"count":0`),
		rec(`"time_first":253402300799,"time_last":253402300799,"count":9223372036854775807`),
		rec(`"time_first":1700000000`), // a last time is not required
		rec(`"time_first":1700000000,"time_last":1700000000`),
		rec(`"count":null,"time_last":null`),
	} {
		if _, err := DecodeRecord([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// The record stage says which line a refused record is on, and goes on.
func TestVetInTheRecordStage(t *testing.T) {
	t.Parallel()
	in := `{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_last":9223372036854775807}` + "\n" +
		`{"rrname":"b.example","rrtype":"A","rdata":"192.0.2.2","count":3}` + "\n"
	rr := NewRecordReader(strings.NewReader(in), 0)
	if _, err := rr.Next(); err == nil || err.Error() != "line 1: time_last: 9223372036854775807 is not a time from 1970 to 9999" {
		t.Errorf("line 1: %v", err)
	}
	if r, err := rr.Next(); err != nil || r.RRName != "b.example" {
		t.Errorf("line 2: %v", err)
	}
}

func TestAddCount(t *testing.T) {
	t.Parallel()
	if n, sat := AddCount(MaxCount, MaxCount); n != MaxCount || !sat {
		t.Errorf("MaxCount twice: %d, %t", n, sat)
	}
	if n, sat := AddCount(MaxCount-1, 1); n != MaxCount || sat {
		t.Errorf("to MaxCount: %d, %t", n, sat)
	}
	if n, sat := AddCount(2, 3); n != 5 || sat {
		t.Errorf("2+3: %d, %t", n, sat)
	}
}
