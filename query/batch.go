package query

import (
	"context"
	"errors"
	"io"
)

// Handler receives the results of a Batch, in input order.
type Handler interface {
	// Record receives one record of ind's answer; an error ends the batch.
	Record(ind Indicator, r Record) error
	// Done is called once an indicator's query has ended; err is why it
	// failed, if it did. An error returned ends the batch.
	Done(ind Indicator, err error) error
	// Problem receives an input error, or a problem that does not end a
	// query (a Warning, a RecordError).
	Problem(err error)
}

// Batch queries each indicator of a Reader against a Source.
type Batch struct {
	Source Source
}

// Run reads indicators as they come (so that it works behind tail -f) and
// queries each in turn. It stops early when ctx is done (even while input is
// awaited), when a Handler method returns an error, or on an AuthError,
// since every further query would be refused too; it returns that error.
func (b *Batch) Run(ctx context.Context, in *Reader, h Handler) error {
	type item struct {
		ind Indicator
		err error
	}
	items := make(chan item)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a reader blocked on standard input must not block cancellation
		for {
			ind, err := in.Next()
			select {
			case items <- item{ind, err}:
			case <-stop:
				return
			}
			if err == io.EOF {
				return
			}
		}
	}()
	for {
		var it item
		select {
		case it = <-items:
		case <-ctx.Done():
			return ctx.Err()
		}
		var inputErr *InputError
		switch {
		case it.err == io.EOF:
			return nil
		case errors.As(it.err, &inputErr):
			h.Problem(it.err)
			continue
		case it.err != nil:
			return it.err
		}
		ind := it.ind
		qerr := b.Source.Query(ctx, ind, Sink{
			Record:  func(r Record) error { return h.Record(ind, r) },
			Problem: h.Problem,
		})
		if err := h.Done(ind, qerr); err != nil {
			return err
		}
		var auth *AuthError
		if errors.As(qerr, &auth) {
			return qerr
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}
