package pdns

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Tally merges observations into passive DNS records, as passive DNS
// stores do: one per (rrname, rrtype, rdata), seen first and last at the
// earliest and the latest of their times, the counts summed.
//
// Every observation is vetted as it comes (vetObservation): a time from
// 1970 to 9999, a name no longer than a DNS name can be written, a type
// mnemonic, an address that is one for A and AAAA. Names are written as
// COF servers write them: in lower case (a sensor sees the case a
// resolver's 0x20 randomisation chose), without the final dot; an
// address in its canonical form. The records it makes are then vetted as
// every record is (RecordOf).
type Tally struct {
	// SensorID, if set, is the sensor_id member of every record.
	SensorID string

	index   map[string]int32 // key -> entries
	keys    []string
	entries []tallyEntry
	bytes   int
	key     []byte // the key being made

	// what lines made, by their signature: a log repeats the same
	// answers to the same queries all day long
	lines        map[string]*LineMemo
	cur          *LineMemo // the line being read, when its signature is new
	hits, misses int       // of Repeat
	memoOff      bool      // most lines are new: noting them costs more than it saves
}

// LineMemo is what one line made: the records it added to (an entry each
// time it added to it), the observations refused, the answers it could not
// place.
type LineMemo struct {
	entries  []int32
	Refused  []error
	Unplaced int
}

type tallyEntry struct{ first, last, count int64 }

// The longest values an observation may have: a DNS name is at most 255
// bytes on the wire (written with escapes, up to four times that), an
// rdata at most 65535.
const (
	maxNameText  = 1024
	maxRDataText = 256 << 10
)

// Add merges one observation; it refuses one that fails vetting.
func (t *Tally) Add(o *Observation) error {
	if err := vetObservation(o); err != nil {
		return err
	}
	if t.index == nil {
		t.index = make(map[string]int32)
	}
	k := t.key[:0]
	k = binary.AppendUvarint(k, uint64(len(o.RRName)))
	k = append(k, o.RRName...)
	k = binary.AppendUvarint(k, uint64(len(o.RRType)))
	k = append(k, o.RRType...)
	k = append(k, o.RData...)
	t.key = k
	if i, ok := t.index[string(k)]; ok {
		e := &t.entries[i]
		e.first, e.last = min(e.first, o.Time), max(e.last, o.Time)
		e.count, _ = AddCount(e.count, o.Count)
		if t.cur != nil {
			t.cur.entries = append(t.cur.entries, i)
		}
		return nil
	}
	key := string(k)
	t.index[key] = int32(len(t.entries))
	t.keys = append(t.keys, key)
	t.entries = append(t.entries, tallyEntry{o.Time, o.Time, o.Count})
	t.bytes += 2*len(key) + 64 // the key in the map and in keys, the entry, the map's own
	if t.cur != nil {
		t.cur.entries = append(t.cur.entries, int32(len(t.entries)-1))
	}
	return nil
}

// Repeat adds once more what the line of signature sig made before (its
// signature says all the line's observations depend on: a Zeek line's
// query, type and answers), seen at when, count times; nil when no line of
// that signature was read since the tally was last emptied. A line whose
// signature is new is read between Begin and End.
func (t *Tally) Repeat(sig []byte, when, count int64) *LineMemo {
	if t.memoOff {
		return nil
	}
	m := t.lines[string(sig)]
	if m == nil {
		if t.misses++; t.misses >= 1<<16 && t.hits < 2*t.misses {
			t.memoOff = true // a log of as many signatures as lines
			clear(t.lines)
		}
		return nil
	}
	t.hits++
	for _, i := range m.entries {
		e := &t.entries[i]
		e.first, e.last = min(e.first, when), max(e.last, when)
		e.count, _ = AddCount(e.count, count)
	}
	return m
}

// Begin starts a line of a new signature: what it adds is noted, unless
// the lines of this log seldom repeat (then it says false, and End is not
// called).
func (t *Tally) Begin() bool {
	if t.memoOff {
		return false
	}
	t.cur = &LineMemo{}
	return true
}

// End notes what the line begun made under its signature, sig.
func (t *Tally) End(sig []byte) *LineMemo {
	m := t.cur
	t.cur = nil
	if t.lines == nil {
		t.lines = make(map[string]*LineMemo)
	}
	t.lines[string(sig)] = m
	t.bytes += len(sig) + 4*len(m.entries) + 96
	return m
}

// Len is the number of records the tally holds.
func (t *Tally) Len() int { return len(t.entries) }

// Bytes is about how much memory the tally holds.
func (t *Tally) Bytes() int { return t.bytes }

// Drain passes the records of the tally to fn, in the order of their
// (rrname, rrtype, rdata) (the order of the store's unique index: a store
// takes them in that order many times faster than in any other), and
// empties it. A record that fails vetting is said to problem (it cannot,
// from vetted observations; but the check is the record stage's, for
// every source).
func (t *Tally) Drain(fn func(Record) error, problem func(error)) error {
	defer t.reset()
	type row struct {
		rrname, rrtype, rdata string
		e                     tallyEntry
	}
	rows := make([]row, len(t.keys))
	for i, key := range t.keys {
		rrname, rest := splitKey(key)
		rrtype, rdata := splitKey(rest)
		rows[i] = row{rrname, rrtype, rdata, t.entries[i]}
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.rrname, b.rrname), strings.Compare(a.rrtype, b.rrtype), strings.Compare(a.rdata, b.rdata))
	})
	for _, r := range rows {
		rrname, rrtype, rdata, e := r.rrname, r.rrtype, r.rdata, r.e
		fields := []Field{
			{"rrname", string(appendJSONString(nil, rrname))},
			{"rrtype", string(appendJSONString(nil, rrtype))},
			{"rdata", string(appendJSONString(nil, rdata))},
			{"time_first", strconv.FormatInt(e.first, 10)},
			{"time_last", strconv.FormatInt(e.last, 10)},
			{"count", strconv.FormatInt(e.count, 10)},
		}
		if t.SensorID != "" {
			fields = append(fields, Field{"sensor_id", string(appendJSONString(nil, t.SensorID))})
		}
		rec, err := RecordOf(fields)
		if err != nil {
			problem(fmt.Errorf("%s %s %s: %w", Quote(rrname, 80), rrtype, Quote(rdata, 80), err))
			continue
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// Reset empties the tally.
func (t *Tally) reset() {
	clear(t.index)
	clear(t.lines)
	t.keys, t.entries, t.bytes, t.cur = t.keys[:0], t.entries[:0], 0, nil
	t.hits, t.misses, t.memoOff = 0, 0, false
}

// Reset forgets what the tally holds (an input given up on).
func (t *Tally) Reset() { t.reset() }

// splitKey reads one length-prefixed part of a key.
func splitKey(k string) (part, rest string) {
	n, w := binary.Uvarint([]byte(k[:min(len(k), binary.MaxVarintLen64)]))
	return k[w : w+int(n)], k[w+int(n):]
}

// vetObservation checks an observation and writes its values as records
// have them.
func vetObservation(o *Observation) error {
	switch {
	case o.Time <= 0 || o.Time > MaxTime:
		return fmt.Errorf("time %d is not a time from 1970 to 9999", o.Time)
	case o.Count < 0:
		return fmt.Errorf("count %d is negative", o.Count)
	}
	var err error
	if o.RRName, err = nameText(o.RRName); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if o.RRType, err = typeText(o.RRType); err != nil {
		return err
	}
	if o.RData, err = rdataText(o.RRType, o.RData); err != nil {
		return fmt.Errorf("%s %s: %w", o.RRType, Quote(o.RData, 80), err)
	}
	return nil
}

// nameText is a name as records have it: in lower case (ASCII letters
// only: other bytes are as the sensor wrote them), without the final dot
// (the root stays ".").
func nameText(s string) (string, error) {
	if len(s) > 1 {
		s = strings.TrimSuffix(s, ".")
	}
	switch {
	case s == "":
		return "", errors.New("empty")
	case len(s) > maxNameText:
		return "", fmt.Errorf("%d bytes: longer than a DNS name can be", len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s), nil
		}
	}
	return s, nil
}

// typeText is a type as records have it: its mnemonic, in upper case.
func typeText(s string) (string, error) {
	if allDigits(s) {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return "", fmt.Errorf("type %s is not a type number", Quote(s, 20))
		}
		return TypeName(uint16(n)), nil
	}
	if s == "" || len(s) > 16 {
		return "", fmt.Errorf("type %s is not a type", Quote(s, 20))
	}
	upper := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			upper = false
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		default:
			return "", fmt.Errorf("type %s is not a type", Quote(s, 20))
		}
	}
	if !upper {
		s = strings.ToUpper(s)
	}
	return s, nil
}

// rdataText is an rdata value of type rrtype as records have it: an
// address in canonical form, a name as nameText writes it (after the
// numbers of MX and SRV, when the log has them).
func rdataText(rrtype, v string) (string, error) {
	switch rrtype {
	case "A", "AAAA":
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" || a.Is4() != (rrtype == "A") {
			return "", fmt.Errorf("not an IPv%s address", map[bool]string{true: "4", false: "6"}[rrtype == "A"])
		}
		return a.String(), nil
	case "CNAME", "NS", "PTR", "DNAME":
		return nameText(v)
	case "MX", "SRV":
		// the exchange or the target, after their numbers if the log has them
		i := strings.LastIndexByte(v, ' ')
		name, err := nameText(v[i+1:])
		if err != nil {
			return "", err
		}
		return v[:i+1] + name, nil
	}
	if len(v) > maxRDataText {
		return "", fmt.Errorf("%d bytes: longer than an rdata can be", len(v))
	}
	return v, nil
}
