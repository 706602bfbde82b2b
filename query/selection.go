package query

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Selection chooses and orders the records of each answer before output,
// in this order: record type, time fence, sort, limit, --new, then the jq
// program (see chain.go, where each is a stage).
type Selection struct {
	// RRTypes keeps only records of these types (upper case); empty keeps all.
	RRTypes []string
	// Since keeps records last seen at or after it; Until keeps records
	// first seen at or before it: records that overlap the window. With
	// Strict, only records seen entirely inside it are kept.
	Since, Until time.Time
	Strict       bool
	// Limit keeps at most this many records per indicator (0: all). Without
	// Sort, the first ones received are kept and fetching stops there; with
	// Sort, the first ones in sorted order, so the whole answer is read.
	Limit int
	Sort  []SortKey
	// Program, when set, replaces each record with its outputs; with
	// Slurp, it runs once an indicator, on the array of its records.
	Program *Program
	Slurp   bool
	// RecordsFor, when set, names the output format (csv) that takes
	// records only: an output of the program must then be a record, and
	// one that is not is said, once in the run, and not written.
	RecordsFor string
	// Watch, when set, keeps only the records that no earlier run printed
	// (after type, time fence, sort and limit; before the jq program).
	Watch *State
}

// SortKey is one key of --sort.
type SortKey struct {
	Field string // time_first, time_last, count, rrname, rrtype, rdata
	Desc  bool
}

var sortFields = []string{"time_first", "time_last", "count", "rrname", "rrtype", "rdata"}

// SortKeys are the fields records can be sorted by.
func SortKeys() []string { return slices.Clone(sortFields) }

// ParseSort reads "KEY[,KEY...]", each key optionally preceded by "-" for
// descending order.
func ParseSort(spec string) ([]SortKey, error) {
	var keys []SortKey
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		k := SortKey{Field: strings.TrimPrefix(f, "-"), Desc: strings.HasPrefix(f, "-")}
		if !slices.Contains(sortFields, k.Field) {
			return nil, fmt.Errorf("%s: not a sort key; want one of %s, with - before it for descending order", pdns.Quote(f, 40), strings.Join(sortFields, ", "))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// Keep says whether r passes the type filter and the time fence.
func (s *Selection) Keep(r *pdns.Record) bool {
	if len(s.RRTypes) > 0 && !slices.Contains(s.RRTypes, r.RRType) {
		return false
	}
	first, last := r.First(), r.Last()
	if !s.Since.IsZero() {
		if s.Strict && first < s.Since.Unix() || last < s.Since.Unix() {
			return false
		}
	}
	if !s.Until.IsZero() {
		if s.Strict && last > s.Until.Unix() || first > s.Until.Unix() {
			return false
		}
	}
	return true
}
