// Package output writes query results in the formats circl-pdns offers.
// Each format is one Writer; none of them knows about HTTP or flags.
package output

import (
	"github.com/circl-pdns/circl-pdns/query"
)

// Writer writes the records of a run, one indicator's answer after another.
type Writer interface {
	// Record writes (or holds) one record of the answer to q.
	Record(q query.Indicator, r *query.Record) error
	// End closes the answer to q, which may have had no records at all.
	// What was written so far reaches the underlying writer, so that a
	// reader at the other end of a pipe sees each answer as it completes.
	End(q query.Indicator) error
	// Close writes what is still held.
	Close() error
}
