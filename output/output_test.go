package output

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// load reads a COF fixture from testdata.
func load(t *testing.T, name string) []query.Record {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []query.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r, err := query.DecodeRecord(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func ind(t *testing.T, s string) query.Indicator {
	t.Helper()
	i, err := query.ParseIndicator(s)
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
func write(t *testing.T, w Writer, answers map[string][]query.Record, order ...string) {
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
	recs := load(t, "records.ndjson")
	answers := map[string][]query.Record{
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
		{"records.table", "table", Options{ShowQuery: true}, order},
		{"records-narrow.table", "table", Options{Width: 72}, order[:2]},
		{"records-noheader.table", "table", Options{NoHeader: true}, order[:1]},
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
			if tt.format == "table" || tt.o.Terminal {
				assertTerminalSafe(t, buf.String())
			}
			if tt.format == "table" && tt.o.Width > 0 {
				for _, line := range strings.Split(buf.String(), "\n") {
					if w := len([]rune(line)); w > tt.o.Width {
						t.Errorf("line of %d columns, wider than %d: %q", w, tt.o.Width, line)
					}
				}
			}
		})
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
	// The escapes change the bytes, not the JSON value.
	var buf bytes.Buffer
	write(t, NewJSONL(&buf), map[string][]query.Record{"evil.example": load(t, "hostile.ndjson")}, "evil.example")
	for i, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		r, err := query.DecodeRecord([]byte(line))
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
	var buf bytes.Buffer
	j := NewJSONL(&buf)
	for _, v := range []any{"\u202eevil", map[string]any{"b": 1, "a": []any{true, nil}}, 3.5} {
		if err := j.Value(query.Indicator{}, v); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	want := "\"\\u202eevil\"\n{\"a\":[true,null],\"b\":1}\n3.5\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

// TestTableLongAnswer: a long answer is written in blocks that line up.
func TestTableLongAnswer(t *testing.T) {
	var recs []query.Record
	for i := range tableBlock + 500 {
		rdata := fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		if i >= tableBlock {
			rdata = fmt.Sprintf("10.100.%d.%d", i/256, i%256) // wider than any of the first block
		}
		r, err := query.DecodeRecord([]byte(fmt.Sprintf(`{"rrname":"big.example","rrtype":"A","rdata":%q,"time_first":1,"time_last":2,"count":%d}`, rdata, i+1)))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	for _, width := range []int{0, 100} {
		var buf bytes.Buffer
		write(t, NewTable(&buf, Options{Width: width}), map[string][]query.Record{"big.example": recs}, "big.example")
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != len(recs)+1 {
			t.Fatalf("width %d: %d lines for %d records and a header", width, len(lines), len(recs))
		}
		col := strings.Index(lines[0], "COUNT")
		for _, i := range []int{1, tableBlock, tableBlock + 1, len(lines) - 1} {
			if got := strings.Index(lines[i], "  "+fmt.Sprint(i)+" ") + 2; width > 0 && got != col {
				t.Errorf("width %d, line %d: COUNT at column %d, want %d:\n%s\n%s", width, i, got, col, lines[0], lines[i])
			}
		}
	}
}
