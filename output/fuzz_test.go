package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// The hostile fixtures, and the others, are the fuzzers' seeds.
var fuzzSeeds = []string{"records.ndjson", "demo.ndjson", "pivot.ndjson", "hostile.ndjson", "hostile-values.ndjson",
	"hostile-targets.ndjson", "hostile-empty.ndjson", "hostile-wide.ndjson"}

// FuzzFormats sends the records of any input (one of the values given,
// and the lines of a dump; those the record stage refuses are left out, as
// a run would) through every format,
// and checks that what comes out is what its reader takes: MISP against
// the template's rules, STIX against the schemas, DOT through Graphviz,
// a Cytoscape.js graph with unique ids and resolved edges, JSON lines,
// CSV, a report that parses, a table and a timeline within their width in
// display cells, and nothing raw for a terminal; and that the output stays
// within a bound of the input's size. A panic, a hang or memory without
// end fails the fuzzer itself.
//
//	go test ./output -run XXX -fuzz FuzzFormats -fuzztime 5m
func FuzzFormats(f *testing.F) {
	for _, name := range fuzzSeeds {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "www.example.com", "CNAME", "example.com.", int64(1700000000), int64(1700086400), int64(3))
	}
	f.Add([]byte{}, "e1", "MX", "10 mx.example.com.", int64(0), int64(253402300799), int64(pdns.MaxCount))
	if _, err := exec.LookPath("dot"); err != nil {
		f.Fatal("dot (Graphviz) checks the DOT output: apt-get install graphviz")
	}
	var once sync.Once
	var validate func(string, any) error
	f.Fuzz(func(t *testing.T, in []byte, rrname, rrtype, rdata string, first, last, count int64) {
		once.Do(func() { validate = stixValidator(t) })
		var recs []pdns.Record
		// one record of the values given, whatever they are; then the lines
		one, _ := json.Marshal(map[string]any{"rrname": rrname, "rrtype": rrtype, "rdata": rdata, "time_first": first, "time_last": last, "count": count})
		for _, line := range append([][]byte{one}, bytes.Split(in, []byte("\n"))...) {
			if r, err := pdns.DecodeRecord(line); err == nil && len(recs) < 2000 {
				recs = append(recs, r)
			}
		}
		// a name's answer and an address's, found by a pivot (a hub)
		name := pdns.Indicator{Value: "fuzz.example", Kind: pdns.FQDN, Pivoting: true}
		addr := pdns.Indicator{Value: "192.0.2.1", Kind: pdns.IPv4, Pivoting: true, Hop: 1, Via: "fuzz.example"}
		for _, format := range append(Formats, "report") {
			for _, width := range []int{60, 80, 100} {
				var buf bytes.Buffer
				sources := width != 60 // as in a run of several: each record says its source
				w := New(format, &buf, Options{Width: width, Terminal: true, Now: fixedNow, Sources: sources})
				if format == "report" {
					w = NewReport(&buf, Options{Width: width, Sources: sources})
				}
				for i := range recs {
					q := name
					if i%2 == 1 {
						q = addr
					}
					recs[i].Source, recs[i].Sources = "", nil
					switch {
					case sources && i%3 == 2: // merged
						recs[i].Sources = []string{"circl", "d4.sensor"}
					case sources:
						recs[i].Source = []string{"circl", "store"}[i%2]
					}
					if err := w.Record(q, &recs[i]); err != nil {
						t.Fatalf("%s: %v", format, err)
					}
					if i == len(recs)/2 {
						w.End(name)
					}
				}
				addr.Hub = true
				w.End(name) // again: an answer with nothing more, as --pivot may give
				w.End(addr)
				addr.Hub = false
				if err := w.Close(); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if max := 200*len(in) + 1<<20; buf.Len() > max {
					t.Fatalf("%s: %d bytes out of %d in", format, buf.Len(), len(in))
				}
				checkFormat(t, format, width, validate, buf.Bytes(), len(recs) > 0)
			}
		}
	})
}

// checkFormat checks out as its reader would take it.
func checkFormat(t *testing.T, format string, width int, validate func(string, any) error, out []byte, records bool) {
	t.Helper()
	lines := func() []string { return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") }
	switch format {
	case "jsonl", "threatq":
		for _, l := range lines() {
			if l != "" && !json.Valid([]byte(l)) {
				t.Fatalf("%s: not JSON: %.300s", format, l)
			}
		}
	case "csv":
		if _, err := csv.NewReader(bytes.NewReader(out)).ReadAll(); err != nil {
			t.Fatalf("csv: %v", err)
		}
	case "table", "timeline", "summary": // on a terminal, a summary is a table
		checkWidth(t, format, string(out), width)
	case "misp":
		checkMISP(t, out)
	case "stix":
		checkSTIX(t, validate, out)
	case "dot":
		cmd := exec.Command("dot", "-Tsvg")
		cmd.Stdin = bytes.NewReader(out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dot: %v: %.500s\n%.2000s", err, msg, out)
		}
	case "graph":
		checkGraph(t, out)
	case "report":
		if records {
			checkReport(t, out)
		}
		return // HTML: escaped by html/template, not made for a terminal
	}
	if format != "csv" { // CSV off a terminal keeps the text as received
		assertTerminalSafe(t, string(out))
	}
}

// checkGraph checks Cytoscape.js elements: every id once, nodes and edges
// alike, and every edge between two nodes.
func checkGraph(t *testing.T, out []byte) {
	t.Helper()
	var g struct {
		Elements struct {
			Nodes []struct{ Data map[string]any } `json:"nodes"`
			Edges []struct{ Data map[string]any } `json:"edges"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(out, &g); err != nil {
		t.Fatalf("graph: %v", err)
	}
	ids := map[any]bool{}
	for _, n := range g.Elements.Nodes {
		if ids[n.Data["id"]] {
			t.Errorf("graph: id %v twice", n.Data["id"])
		}
		ids[n.Data["id"]] = true
	}
	for _, e := range g.Elements.Edges {
		if ids[e.Data["id"]] {
			t.Errorf("graph: id %v twice", e.Data["id"])
		}
		if !ids[e.Data["source"]] || !ids[e.Data["target"]] {
			t.Errorf("graph: edge %v between %v and %v, not both nodes", e.Data["id"], e.Data["source"], e.Data["target"])
		}
		ids[e.Data["id"]] = true
	}
}
