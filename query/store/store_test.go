package store_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/store"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.OpenStore(filepath.Join(t.TempDir(), "sub", "store.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// load imports dumps into s in one import, and returns what it said.
func load(t *testing.T, s *store.Store, dumps ...string) (store.ImportStats, []string) {
	t.Helper()
	im, err := s.BeginImport(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	im.Problem = func(err error) { problems = append(problems, err.Error()) }
	for i, d := range dumps {
		if err := im.Read(context.Background(), fmt.Sprintf("dump%d", i+1), strings.NewReader(d)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := im.Commit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st, problems
}

// ask returns the answer of src to q as jsonl prints it.
func ask(t *testing.T, src pdns.Source, q string) []string {
	t.Helper()
	ind, err := pdns.ParseIndicator(q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	err = src.Query(context.Background(), ind, pdns.Sink{
		Record:  func(r pdns.Record) error { out = append(out, string(r.AppendJSON(nil))); return nil },
		Problem: func(err error) { t.Errorf("%s: %v", q, err) },
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// The merge: one row per (rrname, rrtype, rdata); the earliest time_first,
// the latest time_last, the sum of the counts; the rest of the first.
func TestStoreMerge(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dump := strings.Join([]string{
		`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":100,"time_last":200,"count":2,"sensor_id":"s1"}`,
		`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.2","time_first":10,"time_last":20}`,
		`{"count":"3","rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":50,"time_last":150,"origin":"x"}`,
		`{"rrname":"a.example","rrtype":1,"rdata":["192.0.2.1"],"time_last":300,"count":null}`,
		`{"rrname":"t.example","rrtype":"TXT","rdata":"\u0041"}`,
		`{"rrname":"t.example","rrtype":"TXT","rdata":"A"}`,
	}, "\n")
	st, problems := load(t, s, dump)
	if len(problems) > 0 || st.Read != 6 || st.New != 4 || st.Merged != 2 || st.Refused != 0 {
		t.Errorf("stats %+v, problems %v; want 6 read, 4 new, 2 merged", st, problems)
	}
	want := []string{
		`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":50,"time_last":200,"count":5,"sensor_id":"s1"}`,
		`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.2","time_first":10,"time_last":20}`,
	}
	// ["192.0.2.1"] is another rdata than "192.0.2.1": a row of its own
	want = append(want, `{"rrname":"a.example","rrtype":"A","rdata":["192.0.2.1"],"time_last":300,"count":null}`)
	if got := ask(t, s, "a.example"); !slices.Equal(got, want) {
		t.Errorf("a.example:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := ask(t, s, "t.example"); len(got) != 1 || got[0] != `{"rrname":"t.example","rrtype":"TXT","rdata":"\u0041"}` {
		t.Errorf(`t.example: %q; want one row, "A" however written, as first imported`, got)
	}
	// a real SQLite file, with its key indexes (made at the end of the
	// first import)
	db, err := sql.Open("sqlite", s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, indexes int
	db.QueryRow(`SELECT count(*) FROM records`).Scan(&rows)
	db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name LIKE 'records_%_key'`).Scan(&indexes)
	if rows != 4 || indexes != 2 {
		t.Errorf("%d rows, %d key indexes; want 4 and 2", rows, indexes)
	}
	// the same dump again: nothing is counted twice
	st, _ = load(t, s, dump)
	if st.New != 0 || st.Merged != 0 || st.Read != 0 {
		t.Errorf("again: %+v, want nothing read", st)
	}
	// another dump with the same records: the counts add up, no row is added
	st, _ = load(t, s, dump+"\n")
	if st.New != 0 || st.Merged != 6 {
		t.Errorf("another: %+v, want 0 new, 6 merged", st)
	}
	got := ask(t, s, "192.0.2.1")
	if len(got) != 2 || !strings.Contains(got[0], `"time_first":50,"time_last":200,"count":10,`) || got[1] != want[2] {
		t.Errorf("after a second import:\n%s", strings.Join(got, "\n"))
	}
}

// askable adds to set what may be asked of r: its names and addresses,
// and the wildcards of the domains above its names.
func askable(r *pdns.Record, set map[string]bool) {
	for _, n := range r.Names() {
		if !pdns.IsIndicator(n) {
			continue
		}
		set[n] = true
		for labels := strings.Split(n, "."); len(labels) > 1; labels = labels[1:] {
			set["*."+strings.Join(labels[1:], ".")] = true
		}
	}
}

// testdata is a file of the project's testdata.
func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// generatedDump is a dump of many records of a name and of an address,
// and the cases a store must write as --source reads them (case, final
// dots, an array of rdata, an MX, an IPv6 address to make canonical, a
// PTR, an IDN and its A-label), then more.
func generatedDump(more ...string) string {
	return strings.Join(slices.Concat(circltest.Generate("big.example", 400), circltest.Generate("10.0.0.1", 50),
		[]string{
			`{"rrname":"Mixed.Example.ORG.","rrtype":"cname","rdata":"Target.Example.org.","count":"7"}`,
			`{"rrname":"multi.example.org","rrtype":"NS","rdata":["ns1.example.net.","ns2.example.net."]}`,
			`{"rrname":"mx.example.org","rrtype":"MX","rdata":"10 mail.example.org."}`,
			`{"rrname":"v6.example.org","rrtype":"AAAA","rdata":"2001:DB8::1"}`,
			`{"rrname":"1.2.0.192.in-addr.arpa","rrtype":"PTR","rdata":"host.example.org."}`,
			`{"rrname":"b\u00fccher.example","rrtype":"A","rdata":"192.0.2.9"}`,
			`{"rrname":"xn--bcher-kva.example","rrtype":"A","rdata":"192.0.2.9"}`,
		}, more), "\n")
}

// A store answers as --source does, for every indicator of a dump and for
// the wildcards of its domains: the same records, in the same order (for a
// dump without a record twice, which the store merges).
func TestStoreParity(t *testing.T) {
	t.Parallel()
	demo, hostile := testdata(t, "demo.ndjson"), testdata(t, "hostile.ndjson")
	generated := generatedDump()
	for name, dump := range map[string]string{"demo": demo, "hostile": hostile, "generated": generated} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name+".ndjson")
			os.WriteFile(path, []byte(dump), 0o600)
			file := &store.Dump{Path: path}
			s := newStore(t)
			load(t, s, dump)
			// every indicator the dump holds, and the domains above them
			asked := map[string]bool{}
			rr := pdns.NewRecordReader(strings.NewReader(dump), 0)
			for {
				r, err := rr.Next()
				if err != nil {
					var bad *pdns.BadRecordError
					if errors.As(err, &bad) {
						continue
					}
					break
				}
				askable(&r, asked)
			}
			if len(asked) < 2 {
				t.Fatalf("only %d indicators in the dump", len(asked))
			}
			answered := 0
			for q := range asked {
				if _, err := pdns.ParseIndicator(q); err != nil {
					continue // *.com.: a TLD is a wildcard too, "*.arpa" is one
				}
				want, got := ask(t, file, q), ask(t, s, q)
				if !slices.Equal(got, want) {
					t.Errorf("%s: the store says\n%s\n--source says\n%s", q, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if len(want) > 0 {
					answered++
				}
			}
			t.Logf("%d indicators asked, %d with records", len(asked), answered)
		})
	}
}

// A wildcard is every name under a domain, by rrname or by rdata, not the
// domain itself.
func TestStoreWildcard(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	load(t, s, strings.Join([]string{
		`{"rrname":"example.com","rrtype":"A","rdata":"192.0.2.1"}`,
		`{"rrname":"www.example.com.","rrtype":"A","rdata":"192.0.2.2"}`,
		`{"rrname":"a.b.example.com","rrtype":"AAAA","rdata":"2001:db8::1"}`,
		`{"rrname":"alias.other.org","rrtype":"CNAME","rdata":"cdn.example.com."}`,
		`{"rrname":"notexample.com","rrtype":"A","rdata":"192.0.2.3"}`,
		`{"rrname":"mx.other.org","rrtype":"MX","rdata":"10 mail.example.com."}`,
	}, "\n"))
	var got []string
	for _, r := range ask(t, s, "*.example.com") {
		got = append(got, r[strings.Index(r, `"rrname":"`)+10:strings.Index(r, `","rrtype"`)])
	}
	if want := []string{"www.example.com.", "a.b.example.com", "alias.other.org"}; !slices.Equal(got, want) {
		t.Errorf("*.example.com: %q, want %q", got, want)
	}
	if got := ask(t, s, "*.b.example.com"); len(got) != 1 {
		t.Errorf("*.b.example.com: %q", got)
	}
}

// Bad records are named with their line, skipped and counted; the rest is
// imported. A gzip dump is read as the same dump.
func TestStoreImportBadAndGzip(t *testing.T) {
	t.Parallel()
	dump := strings.Join([]string{
		`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1"}`,
		`{"rrname":"a.example","rrtype":"A",`,
		`not json`,
		`{"rrname":"a.example","rrtype":"A"}`,
		`{"rrname":"b.example","rrtype":"A","rdata":"192.0.2.2"}`,
	}, "\n")
	s := newStore(t)
	st, problems := load(t, s, dump)
	if st.Read != 4 || st.New != 2 || st.Refused != 2 || len(problems) != 2 {
		t.Errorf("stats %+v, problems %q", st, problems)
	}
	for i, want := range []string{"dump1: line 2: ", "dump1: line 4: no rdata"} {
		if i >= len(problems) || !strings.HasPrefix(problems[i], want) {
			t.Errorf("problem %d: %q, want %q...", i, problems, want)
		}
	}
	// over the record limit: refused like a bad record; not COF at all: the dump is refused
	im, err := newStore(t).BeginImport(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	im.MaxRecordBytes = 100
	var long []string
	im.Problem = func(err error) { long = append(long, err.Error()) }
	if err := im.Read(context.Background(), "long", strings.NewReader(`{"rrname":"a.example","rrtype":"TXT","rdata":"`+strings.Repeat("x", 200)+`"}`+"\n"+`{"rrname":"b.example","rrtype":"A","rdata":"192.0.2.2"}`)); err != nil {
		t.Fatal(err)
	}
	if st := im.Stats(); len(long) != 1 || !strings.HasPrefix(long[0], "long: line 1: record longer than 100 bytes") || st.Read != 2 || st.Refused != 1 {
		t.Errorf("an over-long record: %q, %+v", long, st)
	}
	if err := im.Read(context.Background(), "page.html", strings.NewReader("<html><body>Not found</body></html>")); err == nil || !strings.HasPrefix(err.Error(), "page.html: the file is ") {
		t.Errorf("an HTML page imported: %v", err)
	}
	if err := im.Read(context.Background(), "broken.gz", strings.NewReader("\x1f\x8b not gzip after all")); err == nil || !strings.HasPrefix(err.Error(), "broken.gz: gzip: ") {
		t.Errorf("a broken gzip file imported: %v", err)
	}

	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(dump))
	zw.Close()
	gz := newStore(t)
	if st, _ := load(t, gz, z.String()); st.New != 2 || st.Refused != 2 {
		t.Errorf("gzip: %+v", st)
	}
	if a, b := ask(t, s, "192.0.2.2"), ask(t, gz, "192.0.2.2"); !slices.Equal(a, b) || len(a) != 1 {
		t.Errorf("gzip: %q, plain: %q", b, a)
	}
}

// An import is all or nothing: queries see the store as it was until it is
// committed, and one stopped half-way leaves the store as it was.
func TestStoreImportIsolation(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	load(t, s, `{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","count":1}`)
	reader, err := store.OpenStore(s.Path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	im, err := s.BeginImport(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Join(circltest.Generate("a.example", 25_000), "\n") // past a batch: written, not committed
	if err := im.Read(context.Background(), "big", strings.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, reader, "a.example"); len(got) != 1 {
		t.Errorf("during the import: %d records, want the 1 from before", len(got))
	}
	im.Rollback() // stopped
	if got := ask(t, reader, "a.example"); len(got) != 1 {
		t.Errorf("after a stopped import: %d records, want the 1 from before", len(got))
	}

	// an interruption stops the import at once; nothing was imported
	ctx, cancel := context.WithCancel(context.Background())
	im, err = s.BeginImport(ctx, nil)
	if err != nil {
		t.Fatal("the lock of the stopped import is still held:", err)
	}
	cancel()
	if err := im.Read(ctx, "big", strings.NewReader(big)); !errors.Is(err, context.Canceled) {
		t.Errorf("an interrupted import: %v", err)
	}
	im.Rollback()
	if got := ask(t, reader, "a.example"); len(got) != 1 {
		t.Errorf("after an interrupted import: %d records", len(got))
	}

	st, _ := load(t, s, big)
	if got := ask(t, reader, "a.example"); len(got) != st.New+1 || st.New != 25_000 {
		t.Errorf("after the import: %d records (%+v)", len(got), st)
	}
}

// Two imports into one store: the second waits for the first, then merges.
func TestStoreImportsWait(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	first, err := s.BeginImport(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Read(context.Background(), "first", strings.NewReader(`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","count":1}`)); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	done := make(chan error)
	go func() {
		other, err := store.OpenStore(s.Path, false)
		if err != nil {
			done <- err
			return
		}
		defer other.Close()
		second, err := other.BeginImport(context.Background(), func() { close(waiting) })
		if err != nil {
			done <- err
			return
		}
		if err := second.Read(context.Background(), "second", strings.NewReader(`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","count":2}`)); err != nil {
			done <- err
			return
		}
		_, err = second.Commit(context.Background())
		done <- err
	}()
	<-waiting // the second is held while the first has not ended
	if _, err := first.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := ask(t, s, "a.example"); len(got) != 1 || !strings.Contains(got[0], `"count":3`) {
		t.Errorf("after both: %q, want one row, count 3", got)
	}
}

// A store is refused where there is none, or where the file is something
// else: not SQLite, another application's database, a store of a version
// this command does not know.
func TestOpenStoreRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := store.OpenStore(filepath.Join(dir, "none.db"), false); !errors.Is(err, store.ErrNoStore) {
		t.Errorf("a missing store: %v", err)
	}
	other := filepath.Join(dir, "other.db")
	os.WriteFile(other, []byte("not a database at all, but long enough to look at: "+strings.Repeat("x", 200)), 0o600)
	if _, err := store.OpenStore(other, false); err == nil || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Errorf("a file that is not a database: %v", err)
	}
	for name, tt := range map[string]struct{ setup, why string }{
		"app.db":     {`CREATE TABLE customers (name TEXT)`, "an SQLite database, but not a circl-pdns store"},
		"appid.db":   {`PRAGMA application_id = 1234; PRAGMA user_version = 1`, "of another application (application_id 0x4d2)"},
		"future.db":  {`PRAGMA user_version = 99`, "a store of version 99"},
		"future2.db": {`PRAGMA application_id = 1885630067; PRAGMA user_version = 3; CREATE TABLE records (x)`, "a store of version 3"},
	} {
		path := filepath.Join(dir, name)
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(tt.setup); err != nil {
			t.Fatal(err)
		}
		db.Close()
		before, _ := os.ReadFile(path)
		for _, create := range []bool{false, true} { // queried, or imported into
			if _, err := store.OpenStore(path, create); err == nil || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("%s (%s): %v, want %q", name, tt.setup, err, tt.why)
			}
		}
		// refused as it was found: not switched to WAL, no side file
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s: the file changed", name)
		}
		if _, err := os.Stat(path + "-wal"); err == nil {
			t.Errorf("%s: a -wal file was made", name)
		}
	}
	// a link is not followed: not to make a store, not to open one
	link := filepath.Join(dir, "link.db")
	os.Symlink(filepath.Join(dir, "target.db"), link)
	if _, err := store.OpenStore(link, true); err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("a link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "target.db")); err == nil {
		t.Error("the link's target was made")
	}
}

// Counts that add up past int64 stay the largest count, not a negative one.
func TestStoreCountOverflow(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	big := `{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","count":9223372036854775000}`
	st, _ := load(t, s, big+"\n"+big)
	if got := ask(t, s, "a.example"); len(got) != 1 || !strings.Contains(got[0], `"count":9223372036854775807`) || st.Saturated != 1 {
		t.Errorf("%q, %d saturated", got, st.Saturated)
	}
	// again: it stays there, an integer, and is not said twice
	st, _ = load(t, s, big)
	if got := ask(t, s, "a.example"); len(got) != 1 || !strings.Contains(got[0], `"count":9223372036854775807`) || st.Saturated != 0 {
		t.Errorf("%q, %d saturated", got, st.Saturated)
	}
}

// An import waiting for another one gives up when it is interrupted.
func TestStoreImportWaitInterrupted(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	first, err := s.BeginImport(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := s.BeginImport(ctx, cancel); !errors.Is(err, context.Canceled) { // cancelled as it starts to wait
		t.Errorf("an interrupted wait: %v", err)
	}
}

// The store keeps a record as output writes it (compact, numbers as
// numbers, the type's name), so that SQL on the file sees clean JSON.
func TestStoreKeepsRecordsNormalised(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	load(t, s, `{"rrname": "q.example", "rrtype": "a", "rdata": "192.0.2.9", "count": "4"}`)
	db, err := sql.Open("sqlite", s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var record string
	var count int
	db.QueryRow(`SELECT record, record ->> '$.count' FROM records`).Scan(&record, &count)
	if record != `{"rrname":"q.example","rrtype":"A","rdata":"192.0.2.9","count":4}` || count != 4 {
		t.Errorf("kept %s (count %d)", record, count)
	}
}
