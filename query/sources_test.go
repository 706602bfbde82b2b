package query_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// sourceFunc is a pdns.Source made of a function.
type sourceFunc func(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error

func (f sourceFunc) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	return f(ctx, ind, sink)
}

// gives is a source that gives records named names, once release is
// closed (nil: at once), then returns err.
func gives(release chan struct{}, err error, names ...string) sourceFunc {
	return func(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
		if release != nil {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		for _, n := range names {
			r, err := pdns.DecodeRecord([]byte(`{"rrname":"` + n + `","rrtype":"A","rdata":"192.0.2.1","count":1}`))
			if err != nil {
				return err
			}
			if err := sink.Record(r); err != nil {
				return err
			}
		}
		return err
	}
}

// The sources' records leave in the sources' order, whichever ends first,
// each saying its source; one that fails is named, the others' records
// are all given.
func TestSourcesOrderAndFailure(t *testing.T) {
	slow := make(chan struct{})
	down := errors.New("connection refused")
	last := make(chan struct{})
	m := &query.Sources{List: []query.Named{
		{Name: "first", Source: gives(slow, nil, "a1", "a2")},
		{Name: "broken", Source: gives(nil, down, "b1")},
		{Name: "third", Source: sourceFunc(func(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
			defer close(last)
			return gives(nil, nil, "c1")(ctx, ind, sink)
		})},
	}}
	go func() { <-last; close(slow) }() // the first source ends last
	var got []string
	err := m.Query(context.Background(), pdns.Indicator{Value: "x.example"}, pdns.Sink{
		Record:  func(r pdns.Record) error { got = append(got, r.Source+":"+r.RRName); return nil },
		Problem: func(error) {},
	})
	if want := []string{"first:a1", "first:a2", "broken:b1", "third:c1"}; !slices.Equal(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
	var se *pdns.SourcesError
	if !errors.As(err, &se) || len(se.Failed) != 1 || se.Failed[0].Source != "broken" || !errors.Is(err, down) {
		t.Fatalf("error %v, want the broken source's", err)
	}
	if f := pdns.FailureOf(err); f.Status != pdns.ExitFailed {
		t.Errorf("status %d, want 1", f.Status)
	}
	if err.Error() != "x.example: broken: connection refused" {
		t.Errorf("message %q", err.Error())
	}
}

// When the engine has enough (an error from the sink), the query ends at
// once: the sources still asking are stopped, and waited for.
func TestSourcesStop(t *testing.T) {
	enough := errors.New("enough")
	stopped := make(chan struct{})
	m := &query.Sources{List: []query.Named{
		{Name: "one", Source: gives(nil, nil, "a1", "a2")},
		{Name: "never", Source: sourceFunc(func(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
			<-ctx.Done() // answers nothing until stopped
			close(stopped)
			return ctx.Err()
		})},
	}}
	err := m.Query(context.Background(), pdns.Indicator{Value: "x.example"}, pdns.Sink{
		Record:  func(pdns.Record) error { return enough },
		Problem: func(error) {},
	})
	if !errors.Is(err, enough) {
		t.Fatalf("error %v, want the sink's", err)
	}
	select {
	case <-stopped: // Query returned after the other source ended
	default:
		t.Error("Query returned while a source was still asking")
	}
}

// The records of a source waiting for its turn are held in memory up to a
// bound, then in a file: given back in their order, each record whole,
// however many; merged too.
func TestSourcesHold(t *testing.T) {
	files := query.SetHoldRecords(t, 3)
	var many []string
	for i := range 10 {
		many = append(many, fmt.Sprintf("n%d.example", i))
	}
	for _, merge := range []bool{false, true} {
		slow, last := make(chan struct{}), make(chan struct{})
		m := &query.Sources{Merge: merge, List: []query.Named{
			{Name: "first", Source: gives(slow, nil, "a1", "n3.example")},
			{Name: "second", Source: sourceFunc(func(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
				defer close(last)
				return gives(nil, nil, many...)(ctx, ind, sink)
			})},
		}}
		go func() { <-last; close(slow) }() // the second gives all of its records before the first any
		before := files()
		var got []string
		err := m.Query(context.Background(), pdns.Indicator{Value: "x.example"}, pdns.Sink{
			Record: func(r pdns.Record) error {
				got = append(got, fmt.Sprintf("%s%v:%s=%s/%d", r.Source, r.Sources, r.RRName, strings.Join(r.RData, ","), r.Count))
				return nil
			},
			Problem: func(err error) { t.Error(err) },
		})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		if merge { // n3.example from both: one record, counts summed
			want = []string{"[first]:a1=192.0.2.1/1", "[first second]:n3.example=192.0.2.1/2"}
			for _, n := range many {
				if n != "n3.example" {
					want = append(want, "[second]:"+n+"=192.0.2.1/1")
				}
			}
		} else {
			want = []string{"first[]:a1=192.0.2.1/1", "first[]:n3.example=192.0.2.1/1"}
			for _, n := range many {
				want = append(want, "second[]:"+n+"=192.0.2.1/1")
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("merge %v:\n got %q\nwant %q", merge, got, want)
		}
		if n := files() - before; n != 1 {
			t.Errorf("merge %v: the records were held in %d files, want 1", merge, n)
		}
	}
}
