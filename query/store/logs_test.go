package store_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/pdns/pdnstest"
	"github.com/circl-pdns/circl-pdns/query/store"
)

// begin begins an import into s, rolled back at the end of the test if
// it is not committed; what it says of each input goes to *stats, its
// problems to *problems.
func begin(t *testing.T, s *store.Store, stats *[]store.InputStats, problems *[]string) *store.Import {
	t.Helper()
	im, err := s.BeginImport(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(im.Rollback)
	im.Done = func(st store.InputStats) { *stats = append(*stats, st) }
	im.Problem = func(err error) { *problems = append(*problems, err.Error()) }
	return im
}

// importText imports texts into s in one import, and returns what each
// input held.
func importText(t *testing.T, s *store.Store, texts ...string) []store.InputStats {
	t.Helper()
	var got []store.InputStats
	var problems []string
	im := begin(t, s, &got, &problems)
	for i, text := range texts {
		if err := im.ReadInput(context.Background(), store.Input{Name: string(rune('a' + i)), R: strings.NewReader(text)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	return got
}

// rows are the records of s, sorted, with their merged times and counts.
func rows(t *testing.T, s *store.Store) string {
	t.Helper()
	db, err := sql.Open("sqlite", s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Query(`SELECT rrname, rrtype, rdata, time_first, time_last, count FROM records ORDER BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b strings.Builder
	for r.Next() {
		var name, typ, rdata string
		var first, last, count int64
		r.Scan(&name, &typ, &rdata, &first, &last, &count)
		fmt.Fprintf(&b, "%s %s %s %d %d %d\n", name, typ, rdata, first, last, count)
	}
	return b.String()
}

// bigLog is a Zeek log of some checkpoints.
func bigLog(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := pdnstest.ZeekLog(&b, 8*store.CheckpointEvery()/200, 300, 1764547200); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A log imported in parts (as it grew, then rotated and compressed) gives
// the store what it gives imported whole, once: each part is read from
// where the last import stopped, and the same text again adds nothing.
func TestImportResumes(t *testing.T) {
	t.Parallel()
	log := bigLog(t)
	whole := newStore(t)
	importText(t, whole, log)
	want := rows(t, whole)

	parts := newStore(t)
	mb := store.CheckpointEvery()
	cut := 5*mb + 12345 // inside a line, past five checkpoints
	st := importText(t, parts, log[:cut])
	held := cut - (strings.LastIndexByte(log[:cut], '\n') + 1)
	if st[0].Held != held || st[0].Before != 0 {
		t.Errorf("the first part: %+v; want %d bytes of its last line held", st[0], held)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(log))
	zw.Close()
	st = importText(t, parts, gz.String()) // rotated: the whole log, compressed
	if st[0].Before != int64(cut-held) || st[0].Again {
		t.Errorf("the whole log after the first part: %+v; want it read from %d", st[0], cut-held)
	}
	if got := rows(t, parts); got != want {
		t.Errorf("imported in two parts, the store differs from the log imported whole")
	}
	st = importText(t, parts, log, log[:cut], gz.String())
	for i, s := range st {
		if !s.Again {
			t.Errorf("input %d again: %+v", i, s)
		}
	}
	if got := rows(t, parts); got != want {
		t.Errorf("after importing the same texts again, the store changed")
	}
}

// A text that begins as an earlier one did, then differs, is read from the
// last checkpoint they share; an older copy, shorter, up to its last
// checkpoint.
func TestImportDiverges(t *testing.T) {
	t.Parallel()
	log := bigLog(t)
	mb := store.CheckpointEvery()
	at := 3*mb + 777 // the byte that differs
	i := strings.IndexAny(log[at:], "0123456789") + at
	other := log[:i] + string('0'+(log[i]-'0'+1)%10) + log[i+1:]

	s := newStore(t)
	importText(t, s, log)
	st := importText(t, s, other)
	// its checkpoints are the first line ends after each MiB
	cp := int64(3*mb + strings.IndexByte(log[3*mb-1:], '\n'))
	if st[0].Before != cp {
		t.Errorf("a text that differs after %d bytes: read from %d, want %d (the checkpoint before)", at, st[0].Before, cp)
	}
	header := log[:strings.Index(log, "\n1764547200")+1]
	tail := newStore(t)
	importText(t, tail, header+other[cp:])
	if got, want := sum(t, s)-sum(t, tail), sum(t, newStoreOf(t, log)); got != want {
		t.Errorf("the counts of the store hold %d more than the log's %d: the part read before was counted twice", got-want, want)
	}

	older := log[:5*mb+mb/2]
	older = older[:strings.LastIndexByte(older, '\n')+1]
	st = importText(t, s, older)
	cp5 := int64(5*mb + strings.IndexByte(log[5*mb-1:], '\n'))
	if st[0].Before != cp5 || st[0].Again || st[0].Since != "a" {
		t.Errorf("an older copy: %+v; want it read from %d", st[0], cp5)
	}
}

func newStoreOf(t *testing.T, text string) *store.Store {
	s := newStore(t)
	importText(t, s, text)
	return s
}

// sum is the sum of the counts of s.
func sum(t *testing.T, s *store.Store) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT coalesce(sum(count), 0) FROM records`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A line too long is skipped, named and counted, and the log goes on; an
// input that cannot be read leaves nothing, and the others are imported.
func TestImportLogProblems(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	var problems []string
	var stats []store.InputStats
	im := begin(t, s, &stats, &problems)
	im.MaxRecordBytes = 300
	log := pdnstest.ZeekHeader("2025-12-01-00-00-00") +
		"1764547200\tC1\t10.0.0.1\t1\t10.0.0.2\t53\tudp\t1\t0.1\ta.example\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t192.0.2.1\t1.0\tF\n" +
		"1764547200\tC2\t10.0.0.1\t1\t10.0.0.2\t53\tudp\t1\t0.1\t" + strings.Repeat("x", 2000) + "\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t192.0.2.2\t1.0\tF\n" +
		"1764547200\tC3\t10.0.0.1\t1\t10.0.0.2\t53\tudp\t1\t0.1\tc.example\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t192.0.2.3\t1.0\tF\n"
	if err := im.ReadInput(context.Background(), store.Input{Name: "dns.log", R: strings.NewReader(log)}); err != nil {
		t.Fatal(err)
	}
	err := im.ReadInput(context.Background(), store.Input{Name: "notes.txt", R: strings.NewReader("hello\n")})
	var ie *store.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "notes.txt: the input is no format circl-pdns reads") {
		t.Errorf("notes.txt: %v", err)
	}
	err = im.ReadInput(context.Background(), store.Input{Name: "cut.log.gz", R: bytes.NewReader(gzipped(log)[:200])})
	if !errors.As(err, &ie) {
		t.Errorf("a cut gzip file: %v", err)
	}
	st, err := im.Commit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 2 || st.BadLines != 1 || len(problems) != 1 || !strings.Contains(problems[0], "dns.log: line 10: line longer than 300 bytes, skipped") {
		t.Errorf("%+v %q", st, problems)
	}
	if len(stats) != 1 || stats[0].Format != pdns.FormatZeek || stats[0].Log.Lines != 11 {
		t.Errorf("%+v", stats)
	}
	if got := ask(t, s, "c.example"); len(got) != 1 {
		t.Errorf("the line after the long one: %q", got)
	}

	// a line longer than what is read at once: dropped as it is read, not
	// held; its bytes are still the text's (the same text again is known)
	huge := strings.Replace(log, strings.Repeat("x", 2000), strings.Repeat("y", 1_200_000), 1)
	for range 2 {
		problems, stats = nil, nil
		im := begin(t, s, &stats, &problems)
		im.MaxRecordBytes = 100_000
		if err := im.ReadInput(context.Background(), store.Input{Name: "huge.log", R: strings.NewReader(huge)}); err != nil {
			t.Fatal(err)
		}
		st, err := im.Commit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(stats) != 1 || stats[0].Again {
			break
		}
		if st.BadLines != 1 || len(problems) != 1 || !strings.Contains(problems[0], "huge.log: line 10: line longer than 100000 bytes, skipped") || stats[0].Log.Lines != 11 {
			t.Errorf("%+v %q %+v", st, problems, stats)
		}
	}
	if len(stats) != 1 || !stats[0].Again {
		t.Errorf("the same text with a long line, again: %+v", stats)
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// A dump read again is known by its digest before it is parsed, whether
// it can be read twice (a file) or not (a pipe: what is read is kept in an
// unnamed temporary file); one that only begins the same is imported.
func TestImportDumpAgain(t *testing.T) {
	t.Parallel()
	var dump strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&dump, `{"rrname":"n%d.example","rrtype":"A","rdata":"192.0.2.%d","time_first":1,"time_last":2,"count":1}`+"\n", i, i%250)
	}
	longer := dump.String() + `{"rrname":"last.example","rrtype":"A","rdata":"192.0.2.1","count":5}` + "\n"
	pipe := func(s string) io.Reader { return io.MultiReader(strings.NewReader(s)) } // not an io.Seeker
	for _, tt := range []struct {
		name string
		r    func(string) io.Reader
	}{{"file", func(s string) io.Reader { return strings.NewReader(s) }}, {"pipe", pipe}, {"gzip pipe", func(s string) io.Reader { return pipe(string(gzipped(s))) }}} {
		s := newStore(t)
		stats := func(text string) store.InputStats {
			var st []store.InputStats
			var problems []string
			im := begin(t, s, &st, &problems)
			if err := im.ReadInput(context.Background(), store.Input{Name: tt.name, R: tt.r(text)}); err != nil {
				t.Fatal(err)
			}
			if _, err := im.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			return st[0]
		}
		stats(dump.String())
		if st := stats(dump.String()); !st.Again || st.Records != 0 {
			t.Errorf("%s: the same dump again: %+v", tt.name, st)
		}
		if st := stats(longer); st.Again || st.Records != 3001 {
			t.Errorf("%s: a longer dump: %+v", tt.name, st)
		}
		if got := ask(t, s, "n7.example"); len(got) != 1 || !strings.Contains(got[0], `"count":2`) {
			t.Errorf("%s: %q, want the record counted once a dump", tt.name, got)
		}
	}
}

// An input that fails after some of its records were written ends the
// import, which leaves the store as it was.
func TestImportFailsMidway(t *testing.T) {
	t.Parallel()
	var dump strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&dump, `{"rrname":"n%d.example","rrtype":"A","rdata":"192.0.2.1"}`+"\n", i)
	}
	gz := gzipped(dump.String())
	s := newStore(t)
	importText(t, s, `{"rrname":"before.example","rrtype":"A","rdata":"192.0.2.1"}`)
	var stats []store.InputStats
	var problems []string
	im := begin(t, s, &stats, &problems)
	err := im.ReadInput(context.Background(), store.Input{Name: "cut.gz", R: bytes.NewReader(gz[:len(gz)*3/4])})
	var ie *store.InputError
	if err == nil || errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "cut.gz: ") {
		t.Errorf("a dump cut after records were written: %v, want an error that ends the import", err)
	}
	im.Rollback()
	if got := ask(t, s, "n1.example"); len(got) != 0 {
		t.Errorf("the store changed: %q", got)
	}
}
