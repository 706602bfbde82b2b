package query_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// recordsSource answers from records in memory, as a dump does: a record
// answers the indicators among its names. It notes what it was asked.
type recordsSource struct {
	recs  []pdns.Record
	mu    sync.Mutex
	asked []string
}

func (s *recordsSource) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	s.mu.Lock()
	s.asked = append(s.asked, ind.Value)
	s.mu.Unlock()
	for _, r := range s.recs {
		if r.Answers(ind) {
			if err := sink.Record(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// counter counts what a batch gives out.
type counter struct{ n int }

func (c *counter) Record(pdns.Indicator, *pdns.Record) error { c.n++; return nil }
func (c *counter) Value(pdns.Indicator, any) error           { c.n++; return nil }
func (c *counter) Done(pdns.Indicator, error) error          { return nil }
func (c *counter) Problem(error)                             {}

// FuzzPivotNew runs any records through --pivot and --new: the run ends
// within its budget, asks only what records vetted by type point to (never
// a wildcard, a special-use name or a private address), and a second
// --new run over the same answers prints nothing.
//
//	go test ./query -run XXX -fuzz FuzzPivotNew -fuzztime 5m
func FuzzPivotNew(f *testing.F) {
	for _, name := range []string{"pivot.ndjson", "demo.ndjson", "hostile-targets.ndjson", "hostile-values.ndjson"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "start.example", "CNAME", "www.start.example.")
	}
	f.Add([]byte{}, "start.example", "MX", "10 localhost.")
	f.Fuzz(pivotNew)
}

// pivotNew is FuzzPivotNew on one input.
func pivotNew(t *testing.T, in []byte, rrname, rrtype, rdata string) {
	var recs []pdns.Record
	one, _ := json.Marshal(map[string]any{"rrname": rrname, "rrtype": rrtype, "rdata": rdata})
	for _, line := range append([][]byte{one}, bytes.Split(in, []byte("\n"))...) {
		if r, err := pdns.DecodeRecord(line); err == nil && len(recs) < 500 {
			recs = append(recs, r)
		}
	}
	given := []string{"start.example", "www.threatq.com", "192.0.2.7"}
	if r, err := pdns.ParseIndicator(rrname); err == nil && !r.Wildcard {
		given = append(given, r.Value)
	}
	state := &query.State{Dir: t.TempDir(), Server: "fuzz"}
	run := func() (*recordsSource, int) {
		src := &recordsSource{recs: recs}
		pivot := &query.Pivot{Hops: 3, MaxQueries: 40, MaxFanout: 20}
		b := &query.Batch{Source: src, Selection: &query.Selection{Watch: state}, Pivot: pivot, Concurrency: 3}
		h := &counter{}
		if err := b.Run(context.Background(), pdns.NewReader(given, nil), h); err != nil {
			t.Fatal(err)
		}
		return src, h.n
	}
	src, _ := run()
	if len(src.asked) > 40 {
		t.Errorf("%d queries, past the budget of 40", len(src.asked))
	}
	isGiven := map[string]bool{}
	for _, g := range given {
		isGiven[g] = true
	}
	for _, a := range src.asked {
		if isGiven[a] {
			continue
		}
		if ip, err := netip.ParseAddr(a); err == nil {
			if ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
				t.Errorf("asked %s", a)
			}
		} else if name, ok := pdns.HostName(a); !ok || name != a || name == "localhost" || name == "invalid" {
			t.Errorf("asked %q, which no record vetted by type points to", a)
		}
	}
	if _, n := run(); n != 0 {
		t.Errorf("a second --new run printed %d records", n)
	}
}
