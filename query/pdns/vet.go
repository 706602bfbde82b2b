package pdns

import (
	"fmt"
	"time"
)

// The values of a record are vetted once, as the record is decoded (by
// DecodeRecord and the record stage, for every source: a server, a dump,
// the cache, the store, a jq program's output), so that no consumer has to
// trust them again:
//
//   - times (time_first, time_last, zone_time_first, zone_time_last) are
//     epoch seconds from 1970-01-01 to 9999-12-31 (MaxTime): every format
//     writes a time as a date with a four-digit year (RFC 3339, MISP, STIX),
//     and an axis or a loop over years stays bounded; 0 is no time;
//   - a first time after its last one is refused: one of them is wrong,
//     and no one can tell which;
//   - count is 0 or more (a sum of counts saturates at MaxCount: AddCount).
//
// A record that fails is a bad record: named with its line, counted, and
// the answer goes on. What rdata points to is vetted by type (Targets).

// MaxTime is the last time a record may say: 9999-12-31T23:59:59Z.
const MaxTime = 253402300799

// MaxCount is the largest count, and what a sum of counts stops at.
const MaxCount = 1<<63 - 1

// AddCount is a + b, or MaxCount (and saturated true) past it; both are 0
// or more.
func AddCount(a, b int64) (sum int64, saturated bool) {
	if a > MaxCount-b {
		return MaxCount, true
	}
	return a + b, false
}

// vet checks what the values of r mean (the syntax was checked already).
func (r *Record) vet() error {
	for i, key := range numberKeys {
		n := *r.numbers()[i]
		switch {
		case key == "count":
			if n < 0 {
				return fmt.Errorf("count: %d is negative", n)
			}
		case n < 0 || n > MaxTime:
			return fmt.Errorf("%s: %d is not a time from 1970 to 9999", key, n)
		}
	}
	for _, pair := range [][2]string{{"time_first", "time_last"}, {"zone_time_first", "zone_time_last"}} {
		first, _ := r.Number(pair[0])
		last, _ := r.Number(pair[1])
		if first != 0 && last != 0 && first > last {
			return fmt.Errorf("%s %s is after %s %s", pair[0], timeOf(first), pair[1], timeOf(last))
		}
	}
	return nil
}

// timeOf is a vetted time in RFC 3339, for messages.
func timeOf(epoch int64) string { return time.Unix(epoch, 0).UTC().Format(time.RFC3339) }
