// Package query is the domain of circl-pdns: indicators read from the user,
// the Passive DNS records that answer them, and the sources of those answers
// (the CIRCL service over HTTP, or a local dump). It knows nothing of flags
// or output formats.
package query

import "context"

// Source answers the query for one indicator.
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
	// or a RecordError for one bad line.
	Problem func(error)
}
