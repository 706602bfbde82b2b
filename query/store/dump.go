package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Dump answers queries from a local COF NDJSON dump (--source), for air-gapped work and
// demonstrations. A record answers an FQDN when its rrname or one of its
// rdata values is that name, an IP address when one of its rdata values
// (or its rrname) is that address, and a wildcard (*.example.com) when one
// of them is a name under it. The dump is read anew for each query, so
// memory does not grow with its size.
type Dump struct {
	Path string

	once sync.Once // bad lines of the dump are reported by the first query only
}

// Query streams the records of the dump that answer ind.
func (f *Dump) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	fh, err := os.Open(f.Path)
	if err != nil {
		return &pdns.QueryError{Indicator: ind.Value, Err: err}
	}
	defer fh.Close()
	report := false
	f.once.Do(func() { report = true })
	rr := pdns.NewRecordReader(fh, sink.MaxRecordBytes)
	for n := 1; ; n++ {
		rec, err := rr.Next()
		var bad *pdns.BadRecordError
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &bad):
			if report {
				sink.Problem(&pdns.RecordError{Indicator: ind.Value, Where: fmt.Sprintf("%s line %d", f.Path, bad.Line), Err: bad.Err})
			}
			continue
		case err != nil:
			return &pdns.QueryError{Indicator: ind.Value, Err: dumpError(f.Path, err)}
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
// error of pdns.RecordReader.Next other than io.EOF and a *pdns.BadRecordError.
func dumpError(name string, err error) error {
	return fmt.Errorf("%s: %w", name, fileError(err))
}

// fileError says what ended the reading of a file early (dumpError).
func fileError(err error) error {
	switch {
	case errors.As(err, new(*pdns.AnswerError)):
		return fmt.Errorf("the file is %v", err)
	case err == pdns.ErrCut:
		return errors.New("the file ends inside a record")
	}
	return err
}
