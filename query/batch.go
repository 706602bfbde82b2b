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
	// Value receives one output of the jq program, when there is one.
	Value(ind Indicator, v any) error
	// Done is called once an indicator's query has ended; err is why it
	// failed, if it did. An error returned ends the batch.
	Done(ind Indicator, err error) error
	// Problem receives an input error, or a problem that does not end a
	// query (a Warning, a RecordError).
	Problem(err error)
}

// Batch queries each indicator of a Reader against a Source, and passes
// what the Selection keeps to a Handler.
type Batch struct {
	Source    Source
	Selection *Selection // nil keeps every record
}

// emitter hands one indicator's selected records to the Handler.
type emitter struct {
	h   Handler
	ind Indicator
}

func (e emitter) Record(r Record) error { return e.h.Record(e.ind, r) }
func (e emitter) Value(v any) error     { return e.h.Value(e.ind, v) }

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
		sel := b.Selection
		if sel == nil {
			sel = &Selection{}
		}
		x := sel.start(ind, emitter{h, ind}, h.Problem)
		qerr := b.Source.Query(ctx, ind, Sink{Record: x.record, Problem: h.Problem})
		if errors.Is(qerr, ErrLimitReached) {
			qerr = nil
		}
		if err := x.flush(); err != nil && qerr == nil { // what was received is not lost
			qerr = err
		}
		var halt *HaltError
		if errors.As(qerr, &halt) {
			if err := h.Done(ind, nil); err != nil {
				return err
			}
			return halt
		}
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
