// Package pdnstest helps test the sources of answers (the client, the
// store, dumps, the cache) and the engine: it asks a pdns.Source and
// collects what it gives, and makes records.
package pdnstest

import (
	"context"
	"fmt"
	"strings"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Rec is one A record of name as COF NDJSON, with times and a count.
func Rec(name, rdata string) string {
	return fmt.Sprintf(`{"rrname":%q,"rrtype":"A","rdata":%q,"time_first":1,"time_last":2,"count":1}`, name, rdata)
}

// Lines is n A records of name, with distinct addresses (10.0.x.y).
func Lines(name string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, Rec(name, fmt.Sprintf("10.0.%d.%d", i/256, i%256)))
	}
	return out
}

// Result is what a query gave: its records, its problems, its error.
type Result struct {
	Records  []pdns.Record
	Problems []error
	Err      error
}

// Ask queries value of src, which must be an indicator.
func Ask(src pdns.Source, value string) Result {
	return AskMax(context.Background(), src, value, 0)
}

// AskCtx is Ask within ctx.
func AskCtx(ctx context.Context, src pdns.Source, value string) Result {
	return AskMax(ctx, src, value, 0)
}

// AskMax is Ask within ctx, with records of at most max bytes (0: the
// default).
func AskMax(ctx context.Context, src pdns.Source, value string, max int) Result {
	var r Result
	ind, err := pdns.ParseIndicator(value)
	if err != nil {
		panic(err)
	}
	r.Err = src.Query(ctx, ind, pdns.Sink{
		Record:         func(rec pdns.Record) error { r.Records = append(r.Records, rec); return nil },
		Problem:        func(err error) { r.Problems = append(r.Problems, err) },
		MaxRecordBytes: max,
	})
	return r
}

// RData is the rdata of the records, a record's values joined with "+",
// the records with ",".
func (r Result) RData() string {
	var s []string
	for _, rec := range r.Records {
		s = append(s, strings.Join(rec.RData, "+"))
	}
	return strings.Join(s, ",")
}
