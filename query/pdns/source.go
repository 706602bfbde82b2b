// Package pdns is the vocabulary of circl-pdns, shared by every other
// package: the indicators a user asks about (Indicator, and Reader for the
// input), the Passive DNS records that answer them (Record, in the Common
// Output Format), the one stage that turns the bytes of an answer into
// records (RecordReader, with its fast path, and Input for jq), what a
// record points to (Names, Targets, HostName), the Source that answers a query, and
// the errors about input and records with the exit statuses they lead to.
//
// It is a leaf: it imports no other package of the project, and links no
// HTTP client and no database.
package pdns

import "context"

// Source answers the query for one indicator: the service over HTTP, a
// store, a dump, the cache.
type Source interface {
	// Query sends each record of ind's answer to sink as it arrives. It
	// returns the error that ended the query early, if any, including one
	// returned by sink.Record.
	Query(ctx context.Context, ind Indicator, sink Sink) error
}

// Sink receives what a query produces.
type Sink struct {
	// Record receives one record; an error stops the query.
	Record func(Record) error
	// Problem receives what went wrong without ending the query: a Warning,
	// or a RecordError for one bad record.
	Problem func(error)
	// MaxRecordBytes bounds a record the source reads for this query: a
	// longer one is skipped, and said (0 means DefaultMaxRecordBytes). The
	// engine sets it, from --max-record-bytes, for every source alike.
	MaxRecordBytes int
}
