package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// load reads a COF fixture from testdata.
func load(t *testing.T, name string) []pdns.Record {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []pdns.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r, err := pdns.DecodeRecord(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func ind(t *testing.T, s string) pdns.Indicator {
	t.Helper()
	i, err := pdns.ParseIndicator(s)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
// Only files under testdata/golden are ever written.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./output -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./output -update rewrites it; review the diff):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// write sends each fixture's records as the answer to one indicator, then
// an indicator with no records.
func write(t *testing.T, w Writer, answers map[string][]pdns.Record, order ...string) {
	t.Helper()
	for _, q := range order {
		i := ind(t, q)
		for _, r := range answers[q] {
			if err := w.Record(i, &r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.End(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	recs := load(t, "records.ndjson")
	answers := map[string][]pdns.Record{
		"www.threatq.com": recs[:2],
		"threatq.com":     recs[2:4],
		"bücher.example":  recs[4:],
		"104.196.175.197": recs[:1],
		"evil.example":    load(t, "hostile.ndjson"),
	}
	order := []string{"www.threatq.com", "threatq.com", "nothing.example", "bücher.example", "104.196.175.197"}
	tests := []struct {
		name   string
		format string
		o      Options
		order  []string
	}{
		{"records.jsonl", "jsonl", Options{}, order},
		{"records.table", "table", Options{}, order},
		{"records-40.table", "table", Options{Width: 40}, order},
		{"records-60.table", "table", Options{Width: 60}, order},
		{"records-80.table", "table", Options{Width: 80}, order},
		{"records-120.table", "table", Options{Width: 120}, order},
		{"records-200.table", "table", Options{Width: 200}, order},
		{"records-36.table", "table", Options{Width: 36}, order},
		{"records-80-wide.table", "table", Options{Width: 80, Wide: true}, order},
		{"records-noheader.table", "table", Options{NoHeader: true}, order[:1]},
		{"records.text", "text", Options{}, order},
		{"records-60.timeline", "timeline", Options{Width: 60}, order},
		{"records-80.timeline", "timeline", Options{Width: 80}, order},
		{"records-120.timeline", "timeline", Options{Width: 120}, order},
		{"hostile.timeline", "timeline", Options{Width: 80}, []string{"evil.example"}},
		{"hostile.text", "text", Options{}, []string{"evil.example"}},
		{"records.csv", "csv", Options{}, order},
		{"records.threatq.jsonl", "threatq", Options{}, order},
		{"hostile.jsonl", "jsonl", Options{}, []string{"evil.example"}},
		{"hostile.table", "table", Options{Width: 100}, []string{"evil.example"}},
		{"hostile.csv", "csv", Options{}, []string{"evil.example"}},
		{"hostile-terminal.csv", "csv", Options{Terminal: true}, []string{"evil.example"}},
		{"hostile.threatq.jsonl", "threatq", Options{}, []string{"evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			write(t, New(tt.format, &buf, tt.o), answers, tt.order...)
			golden(t, tt.name, buf.Bytes())
			if tt.format == "table" || tt.format == "text" || tt.format == "timeline" || tt.o.Terminal {
				assertTerminalSafe(t, buf.String())
			}
			if (tt.format == "table" || tt.format == "timeline") && tt.o.Width > 0 {
				for _, line := range strings.Split(buf.String(), "\n") {
					if w := runewidth.StringWidth(line); w > tt.o.Width {
						t.Errorf("line of %d columns, wider than %d: %q", w, tt.o.Width, line)
					}
				}
			}
			if tt.format == "table" && strings.HasPrefix(tt.name, "records") {
				assertWholeNames(t, buf.String(), answers, tt.order)
			}
		})
	}
}

// assertWholeNames fails unless every name and address of the answers
// (rrnames, and the rdata of types whose rdata are names or addresses)
// stands whole on one line of a table.
func assertWholeNames(t *testing.T, table string, answers map[string][]pdns.Record, order []string) {
	t.Helper()
	lines := strings.Split(table, "\n")
	whole := func(s string) bool {
		for _, l := range lines {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	}
	for _, q := range order {
		for _, r := range answers[q] {
			names := []string{r.RRName}
			if nameTypes[r.RRType] {
				names = append(names, r.RData...)
			}
			for _, n := range names {
				if !whole(n) {
					t.Errorf("%q is not whole on any line", n)
				}
			}
		}
	}
}

// assertTerminalSafe fails when s holds anything a terminal would act on
// besides line ends.
func assertTerminalSafe(t *testing.T, s string) {
	t.Helper()
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", ""), "\n", "") // line ends, CSV's included
	for _, r := range s {
		if unsafeRune(r) {
			t.Errorf("raw %U reaches the terminal", r)
		}
	}
}

func TestJSONLKeepsTheValue(t *testing.T) {
	t.Parallel()
	// The escapes change the bytes, not the JSON value.
	var buf bytes.Buffer
	write(t, NewJSONL(&buf, Options{}), map[string][]pdns.Record{"evil.example": load(t, "hostile.ndjson")}, "evil.example")
	for i, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		r, err := pdns.DecodeRecord([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		want := load(t, "hostile.ndjson")[i]
		if strings.Join(r.RData, "|") != strings.Join(want.RData, "|") || r.RRName != want.RRName {
			t.Errorf("line %d: rdata %q, want %q", i+1, r.RData, want.RData)
		}
		for _, c := range line {
			if unsafeRune(c) {
				t.Errorf("line %d: raw %U", i+1, c)
			}
		}
	}
}

func TestJSONLValue(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	j := NewJSONL(&buf, Options{})
	for _, v := range []any{"\u202eevil", map[string]any{"b": 1, "a": []any{true, nil}}, 3.5} {
		if err := j.Value(pdns.Indicator{}, v); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	want := "\"\\u202eevil\"\n{\"a\":[true,null],\"b\":1}\n3.5\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

// TestGraphs: the graph of a small pivot, as DOT and as Cytoscape.js
// elements: names and addresses, the given indicator, a hub, edges with
// the record on them.
func TestGraphs(t *testing.T) {
	t.Parallel()
	recs := load(t, "records.ndjson")
	given := pdns.Indicator{Value: "www.threatq.com", Kind: pdns.FQDN, Pivoting: true}
	hop1 := pdns.Indicator{Value: "threatq.com", Kind: pdns.FQDN, Pivoting: true, Hop: 1, Via: "www.threatq.com"}
	hub := pdns.Indicator{Value: "104.196.175.197", Kind: pdns.IPv4, Pivoting: true, Hop: 1, Via: "www.threatq.com", Hub: true}
	for _, tt := range []struct {
		name string
		new  func(io.Writer, Options) Writer
	}{
		{"pivot.dot", func(w io.Writer, o Options) Writer { return NewDot(w, o) }},
		{"pivot.graph.json", func(w io.Writer, o Options) Writer { return NewCytoscape(w, o) }},
	} {
		var buf bytes.Buffer
		w := tt.new(&buf, Options{})
		for _, step := range []struct {
			q    pdns.Indicator
			recs []pdns.Record
		}{{given, recs[:2]}, {hop1, recs[2:4]}, {hub, []pdns.Record{recs[0], recs[0], recs[0]}}} {
			for i := range step.recs {
				w.Record(step.q, &step.recs[i])
			}
			w.End(step.q)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		golden(t, tt.name, buf.Bytes())
	}
	var g struct {
		Elements struct {
			Nodes []struct{ Data map[string]any } `json:"nodes"`
			Edges []struct{ Data map[string]any } `json:"edges"`
		} `json:"elements"`
	}
	b, _ := os.ReadFile(filepath.Join("..", "testdata", "golden", "pivot.graph.json"))
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Elements.Nodes) == 0 || len(g.Elements.Edges) == 0 {
		t.Fatalf("no nodes or edges: %s", b)
	}
	for _, e := range g.Elements.Edges {
		for _, k := range []string{"id", "source", "target", "rrname", "rrtype", "rdata"} {
			if _, ok := e.Data[k]; !ok {
				t.Errorf("edge without %s: %v", k, e.Data)
			}
		}
	}
	marks := map[string]string{}
	for _, n := range g.Elements.Nodes {
		marks[n.Data["id"].(string)] = fmt.Sprintf("given=%v hub=%v kind=%v", n.Data["given"], n.Data["hub"], n.Data["kind"])
	}
	if marks["www.threatq.com"] != "given=true hub=false kind=name" || marks["104.196.175.197"] != "given=false hub=true kind=address" {
		t.Errorf("marks: %v", marks)
	}
}

// TestTimelineColor: bars are coloured by type only when asked, and the
// colour never reaches the text from the server.
func TestTimelineColor(t *testing.T) {
	t.Parallel()
	recs := load(t, "records.ndjson")
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		write(t, NewTimeline(&buf, Options{Width: 80, Color: color}), map[string][]pdns.Record{"www.threatq.com": recs[:2]}, "www.threatq.com")
		got := buf.String()
		if has := strings.Contains(got, "\x1b[33m━"); has != color { // CNAME in yellow
			t.Errorf("color %v: %q", color, got)
		}
		if color && !strings.Contains(got, "CNAME threatq.com.") {
			t.Errorf("the text is coloured too: %q", got)
		}
	}
}

// TestTableBlocks: below 40 columns, a record is a block of lines; a name
// too long to follow its label takes a line of its own, whole.
func TestTableBlocks(t *testing.T) {
	t.Parallel()
	r := pdns.Record{RRName: "14.93.194.185.in-addr.arpa", RRType: "PTR", RData: []string{"a-rather-long-host-name.example.org."}}
	var buf bytes.Buffer
	write(t, NewTable(&buf, Options{Width: 38}), map[string][]pdns.Record{"x.example": {r}}, "x.example")
	want := "x.example: 1 record\n\nrrname: 14.93.194.185.in-addr.arpa\ntype:   PTR\nrdata:\na-rather-long-host-name.example.org.\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestTableLongAnswer: a long answer is written in blocks that line up.
func TestTableLongAnswer(t *testing.T) {
	t.Parallel()
	var recs []pdns.Record
	for i := range tableBlock + 500 {
		rdata := fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		if i >= tableBlock {
			rdata = fmt.Sprintf("10.100.%d.%d", i/256, i%256) // wider than any of the first block
		}
		r, err := pdns.DecodeRecord([]byte(fmt.Sprintf(`{"rrname":"big.example","rrtype":"A","rdata":%q,"time_first":1,"time_last":2,"count":%d}`, rdata, i+1)))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	for _, width := range []int{0, 100} {
		var buf bytes.Buffer
		write(t, NewTable(&buf, Options{Width: width}), map[string][]pdns.Record{"big.example": recs}, "big.example")
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		// a heading, the header, a line a record, and the size at the end
		if len(lines) != len(recs)+3 || lines[0] != "big.example: 1,000 records and more" || lines[len(lines)-1] != "big.example: 1,500 records" {
			t.Fatalf("width %d: %d lines for %d records: %q ... %q", width, len(lines), len(recs), lines[0], lines[len(lines)-1])
		}
		end := strings.Index(lines[1], "COUNT") + len("COUNT") // right-aligned
		for _, i := range []int{1, tableBlock, tableBlock + 1, len(recs)} {
			line := lines[i+1]
			if got := strings.Index(line, " "+fmt.Sprint(i)+"  ") + 1 + len(fmt.Sprint(i)); width > 0 && got != end {
				t.Errorf("width %d, record %d: COUNT ends at column %d, want %d:\n%s\n%s", width, i, got, end, lines[1], line)
			}
		}
	}
}

// BenchmarkTableHugeCell: one record with a 1 MB rdata (and one with a
// 1 MB name), at 80 columns, cut and wrapped. Linear in the cell.
func BenchmarkTableHugeCell(b *testing.B) {
	huge := strings.Repeat("x", 1<<20)
	recs := []pdns.Record{
		{RRName: "big.example", RRType: "TXT", RData: []string{huge}, Count: 1},
		{RRName: huge + ".example", RRType: "A", RData: []string{"192.0.2.1"}, Count: 1},
	}
	q := pdns.Indicator{Value: "big.example"}
	for _, wide := range []bool{false, true} {
		b.Run(fmt.Sprintf("wide=%v", wide), func(b *testing.B) {
			for b.Loop() {
				tb := NewTable(io.Discard, Options{Width: 80, Wide: wide})
				for i := range recs {
					tb.Record(q, &recs[i])
				}
				tb.End(q)
			}
		})
	}
}

// BenchmarkTable200k: an answer of 200,000 records at 120 columns.
func BenchmarkTable200k(b *testing.B) {
	recs := make([]pdns.Record, 200000)
	for i := range recs {
		recs[i] = pdns.Record{RRName: "big.example", RRType: "A", RData: []string{fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)},
			Count: int64(i%997 + 1), TimeFirst: 1400000000 + int64(i)*60, TimeLast: 1500000000 + int64(i)*60}
	}
	q := pdns.Indicator{Value: "big.example"}
	b.ReportAllocs()
	for b.Loop() {
		tb := NewTable(io.Discard, Options{Width: 120})
		for i := range recs {
			tb.Record(q, &recs[i])
		}
		tb.End(q)
	}
}

// TestThreatQSpill: an answer too large to hold goes through a temporary
// file; the output is the same as for small answers.
func TestThreatQSpill(t *testing.T) {
	answers := map[string][]pdns.Record{}
	for _, q := range []string{"a.example", "b.example"} {
		for i := range 300 {
			answers[q] = append(answers[q], pdns.Record{RRName: q, RRType: "A", RData: []string{fmt.Sprintf("192.0.2.%d", i%250)}})
		}
	}
	var want bytes.Buffer
	write(t, NewThreatQ(&want), answers, "a.example", "b.example")

	defer func(n int) { spillMemory = n }(spillMemory)
	spillMemory = 256
	var got bytes.Buffer
	w := NewThreatQ(&got)
	for _, name := range []string{"a.example", "b.example"} {
		q := ind(t, name)
		for i := range answers[name] {
			w.Record(q, &answers[name][i])
		}
		if w.cur.attributes.file == nil || w.cur.related.file == nil {
			t.Fatal("nothing was spilled to a file")
		}
		w.End(q)
	}
	w.Close()
	if got.String() != want.String() {
		t.Errorf("spilled:\n%s\nwant\n%s", got.String(), want.String())
	}
	if n := strings.Count(want.String(), `"Resource Data"`); n != 2*250 {
		t.Errorf("%d attributes, want 500 (repeats left out)", n)
	}
}

// A record with an empty rdata array is a row like any other, at every
// width: its rdata cell is empty.
func TestTableEmptyRData(t *testing.T) {
	t.Parallel()
	r, err := pdns.DecodeRecord([]byte(`{"rrname":"e.example","rrtype":"NS","rdata":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{0, 50, 80} {
		var buf bytes.Buffer
		write(t, NewTable(&buf, Options{Width: width}), map[string][]pdns.Record{"e.example": {r}}, "e.example")
		if !strings.Contains(buf.String(), "e.example: 1 record") || !strings.Contains(buf.String(), "e.example  ") {
			t.Errorf("width %d:\n%s", width, buf.String())
		}
	}
}

// cut leaves a text that fits exactly, wide runes too; past the width it
// ends in an ellipsis.
func TestCut(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in    string
		width int
		want  string
	}{
		{"abcde", 5, "abcde"},
		{"abcdef", 5, "abcd…"},
		{"日本語", 6, "日本語"},
		{"日本語", 5, "日本…"},
	} {
		if got := cut(tt.in, tt.width); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

// Names longer than their column are written whole where the line has no
// room, on a line of their own: no line is wider than the terminal.
func TestTableLongNames(t *testing.T) {
	t.Parallel()
	var recs []pdns.Record
	for _, line := range []string{
		`{"rrname":"a-very-long-name-that-overflows-the-column.example","rrtype":"CNAME","rdata":"another-very-long-target-name-that-overflows.example.","count":3}`,
		`{"rrname":"x.example","rrtype":"CNAME","rdata":"another-long-target-name-that-overflows-the-column.example.","count":3}`,
	} {
		r, err := pdns.DecodeRecord([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	answers := map[string][]pdns.Record{"*.example": recs}
	for _, width := range []int{60, 80} {
		var buf bytes.Buffer
		write(t, NewTable(&buf, Options{Width: width}), answers, "*.example")
		for _, line := range strings.Split(buf.String(), "\n") {
			if w := runewidth.StringWidth(line); w > width {
				t.Errorf("width %d: a line of %d columns: %q", width, w, line)
			}
		}
		assertWholeNames(t, buf.String(), answers, []string{"*.example"})
	}
}

// TestFitsTheWidth: whatever a record holds (the largest count, wide
// characters in a type or in rdata), the table and the timeline never
// draw a line wider than the terminal, counted in display cells.
func TestFitsTheWidth(t *testing.T) {
	t.Parallel()
	answers := map[string][]pdns.Record{"wide.example": load(t, "hostile-wide.ndjson"), "evil.example": load(t, "hostile.ndjson")}
	for _, format := range []string{"table", "timeline"} {
		for _, width := range []int{40, 60, 80, 120} {
			var buf bytes.Buffer
			write(t, New(format, &buf, Options{Width: width, Terminal: true}), answers, "wide.example", "evil.example")
			checkWidth(t, fmt.Sprintf("%s at %d", format, width), buf.String(), width)
		}
	}
}

// checkWidth fails for a line of out wider than width display cells.
func checkWidth(t *testing.T, what, out string, width int) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if w := runewidth.StringWidth(line); w > width {
			t.Errorf("%s: a line of %d cells:\n%s", what, w, line)
		}
	}
}

// TestTableColumnsFromTheWidth: the columns come from the width, not from
// the first answer: a short name with long text first does not push the
// longer names of the next answer onto lines of their own, and off a
// terminal every row lines up (the TYPE column at one offset).
func TestTableColumnsFromTheWidth(t *testing.T) {
	t.Parallel()
	rec := func(name, rrtype, rdata string) pdns.Record {
		return pdns.Record{RRName: name, RRType: rrtype, RData: []string{rdata}, TimeFirst: 1700000000, TimeLast: 1700086400, Count: 1}
	}
	answers := map[string][]pdns.Record{
		"a.example":      {rec("a.example", "TXT", strings.Repeat("text ", 40))},
		"longer.example": {rec("a-rather-longer-name.longer.example", "A", "192.0.2.1"), rec("b.longer.example", "A", "192.0.2.2")},
	}
	for _, width := range []int{0, 100, 120} {
		var buf bytes.Buffer
		write(t, NewTable(&buf, Options{Width: width}), answers, "a.example", "longer.example")
		typeAt := -1
		for _, line := range strings.Split(buf.String(), "\n") {
			if !strings.Contains(line, "example  ") {
				continue // headings, wrapped text
			}
			if strings.HasPrefix(line, "a-rather-longer-name.longer.example") && !strings.Contains(line, " A ") {
				t.Errorf("width %d: the longer name took a line of its own:\n%s", width, buf.String())
			}
			at := strings.Index(line, " TXT ") + strings.Index(line, " A ") + 1
			if typeAt >= 0 && at != typeAt {
				t.Errorf("width %d: TYPE at column %d, then at %d:\n%s", width, typeAt, at, buf.String())
			}
			typeAt = at
		}
	}
}

// The summary's table, on a terminal: every line within the width, the
// dates and sources whole (two lines an answer below 100 columns), a long
// name on a line of its own, a failed answer not said unseen.
func TestSummaryTable(t *testing.T) {
	t.Parallel()
	rec, err := pdns.DecodeRecord([]byte(`{"rrname":"www.threatq.com","rrtype":"A","rdata":"104.196.175.197","time_first":1496995637,"time_last":1499951111,"count":6}`))
	if err != nil {
		t.Fatal(err)
	}
	rec.Source = "circl"
	long := pdns.Indicator{Value: "a-very-long-name-that-takes-its-own-line.example.com", Kind: pdns.FQDN}
	for _, width := range []int{60, 80, 120} {
		var buf bytes.Buffer
		w := NewSummary(&buf, Options{Width: width, Terminal: true, Sources: true})
		q := pdns.Indicator{Value: "www.threatq.com", Kind: pdns.FQDN}
		w.Record(q, &rec)
		w.End(q)
		w.Failed(long, &pdns.SourcesError{Indicator: long.Value, Failed: []pdns.SourceFailure{{Source: "d4", Err: errors.New("down")}}})
		w.End(long)
		w.Close()
		out := buf.String()
		checkWidth(t, fmt.Sprint("summary at ", width), out, width)
		for _, want := range []string{"2017-06-09", "2017-07-13", "circl:1", "d4:failed", "\n" + long.Value + "\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("at %d columns, no %q in\n%s", width, want, out)
			}
		}
		if lines := strings.Count(out, "\n"); width < 100 && lines != 7 || width >= 100 && lines != 4 {
			t.Errorf("at %d columns, %d lines:\n%s", width, lines, out)
		}
		_, after, _ := strings.Cut(out, long.Value+"\n")
		if f := strings.Fields(after); len(f) == 0 || f[0] != "?" {
			t.Errorf("at %d columns, the failed answer is not said unknown:\n%s", width, out)
		}
	}
}

// With several sources the table has a SOURCE column: on the record's line
// from 100 columns, on its second line below (at 80, one line left names
// 12 columns).
func TestTableSources(t *testing.T) {
	t.Parallel()
	rec, err := pdns.DecodeRecord([]byte(`{"rrname":"www.threatq.com","rrtype":"A","rdata":"104.196.175.197","time_first":1496995637,"time_last":1499951111,"count":6}`))
	if err != nil {
		t.Fatal(err)
	}
	rec.Source = "d4"
	q := pdns.Indicator{Value: "www.threatq.com", Kind: pdns.FQDN}
	for width, want := range map[int]string{
		80:  "\nwww.threatq.com               A       104.196.175.197\n  2017-06-09 .. 2017-07-13        6  d4\n",
		120: "\nwww.threatq.com     A       104.196.175.197                      6  2017-06-09 08:07:17  2017-07-13 13:05:11  d4\n",
	} {
		var buf bytes.Buffer
		w := NewTable(&buf, Options{Width: width, Terminal: true, Sources: true})
		w.Record(q, &rec)
		w.End(q)
		if !strings.Contains(buf.String(), want) {
			t.Errorf("at %d columns:\n%s\nwant a row\n%s", width, buf.String(), want)
		}
		checkWidth(t, "table", buf.String(), width)
	}
}
