package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
)

// File answers queries from a local COF NDJSON dump, for air-gapped work and
// demonstrations. A record answers an FQDN when its rrname or one of its
// rdata values is that name, an IP address when one of its rdata values
// (or its rrname) is that address, and a wildcard (*.example.com) when one
// of them is a name under it. The dump is read anew for each query, so
// memory does not grow with its size.
type File struct {
	Path           string
	MaxRecordBytes int // 0 means DefaultMaxRecordBytes

	once sync.Once // bad lines of the dump are reported by the first query only
}

// Query streams the records of the dump that answer ind.
func (f *File) Query(ctx context.Context, ind Indicator, sink Sink) error {
	fh, err := os.Open(f.Path)
	if err != nil {
		return &QueryError{Indicator: ind.Value, Err: err}
	}
	defer fh.Close()
	report := false
	f.once.Do(func() { report = true })
	rr := NewRecordReader(fh, f.MaxRecordBytes)
	for n := 1; ; n++ {
		rec, err := rr.Next()
		var bad *BadRecordError
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &bad):
			if report {
				sink.Problem(&RecordError{Indicator: ind.Value, Where: fmt.Sprintf("%s line %d", f.Path, bad.Line), Err: bad.Err})
			}
			continue
		case err != nil:
			return &QueryError{Indicator: ind.Value, Err: dumpError(f.Path, err)}
		}
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if rec.Answers(ind) {
			if err := sink.Record(rec); err != nil {
				return err
			}
		}
	}
}

// dumpError is what ended the reading of the dump named name early: an
// error of RecordReader.Next other than io.EOF and a *BadRecordError.
func dumpError(name string, err error) error {
	switch {
	case errors.As(err, new(*AnswerError)):
		return fmt.Errorf("%s: the file is %v", name, err)
	case err == errCut:
		return fmt.Errorf("%s: the file ends inside a record", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// Answers says whether the record answers a query for ind: one of its
// Names is ind, or, for a wildcard, is under its name.
func (r *Record) Answers(ind Indicator) bool {
	if !ind.Wildcard {
		return slices.Contains(r.Names(), ind.Value)
	}
	return slices.ContainsFunc(r.Names(), func(n string) bool {
		return strings.HasSuffix(n, ind.Suffix()) && IsIndicator(n)
	})
}

// Names are the indicators a record answers a query for: its rrname and
// each of its rdata values, written as indicators are (names in lower case
// without the final dot, addresses in canonical form), without repeats.
func (r *Record) Names() []string {
	names := make([]string, 0, 1+len(r.RData))
	for _, s := range append([]string{r.RRName}, r.RData...) {
		if a, err := netip.ParseAddr(s); err == nil {
			s = a.Unmap().String()
		} else {
			s = strings.ToLower(strings.TrimSuffix(s, "."))
		}
		if !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	return names
}
