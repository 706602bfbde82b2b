package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/store"
)

// The ClickHouse servers the tests use: $CIRCL_PDNS_TEST_CLICKHOUSE, the
// HTTP host:port of each, the shards of the cluster pdns_shards, in the
// order of its remote_servers (.ci/run starts two, and says how). Without
// it the ClickHouse tests skip, except under CI=true, where they fail.
//
// The skip is the README's promise: `go test ./...` passes on a machine
// with no ClickHouse, saying which tests it left out and how to run them.
func clickhouseServers(t *testing.T) []string {
	t.Helper()
	servers := strings.Split(os.Getenv("CIRCL_PDNS_TEST_CLICKHOUSE"), ",")
	if len(servers) < 2 || slices.Contains(servers, "") {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but not two ClickHouse servers in $CIRCL_PDNS_TEST_CLICKHOUSE (.ci/run starts two)")
		}
		t.Skip("no ClickHouse servers: set $CIRCL_PDNS_TEST_CLICKHOUSE to host:port,host:port (the HTTP ports of the two shards of a cluster pdns_shards; .ci/run starts them) to run the ClickHouse tests")
	}
	return servers
}

// engine is a way to make an empty store for a test.
type engine struct {
	name string
	open func(t *testing.T, create bool) *store.Store
}

// engines are the engines a test of the contract runs on: SQLite always;
// ClickHouse, one server and two shards, when servers are given.
func engines(t *testing.T) []engine {
	t.Helper()
	es := []engine{{"sqlite", func(t *testing.T, create bool) *store.Store {
		path := filepath.Join(t.TempDir(), "store.db")
		return openStore(t, path, create)
	}}}
	if os.Getenv("CIRCL_PDNS_TEST_CLICKHOUSE") == "" && os.Getenv("CI") != "true" {
		t.Log("no ClickHouse: the contract runs on SQLite only (see clickhouseServers)")
		return es
	}
	servers := clickhouseServers(t)
	es = append(es,
		engine{"clickhouse", func(t *testing.T, create bool) *store.Store {
			return openStore(t, newDatabase(t, servers[:1], ""), create)
		}},
		engine{"clickhouse-2-shards", func(t *testing.T, create bool) *store.Store {
			return openStore(t, newDatabase(t, servers, "pdns_shards"), create)
		}})
	return es
}

func openStore(t *testing.T, target string, create bool) *store.Store {
	t.Helper()
	s, err := store.Open(target, store.Options{Create: create})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newDatabase is the URL of a database of its own for the test, on
// servers (as one cluster's shards), dropped at its end.
func newDatabase(t *testing.T, servers []string, cluster string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	db := "t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		for _, s := range servers {
			chExec(t, s, "DROP DATABASE IF EXISTS "+db)
		}
	})
	u := "clickhouse://" + strings.Join(servers, ",") + "/" + db
	if cluster != "" {
		u += "?cluster=" + cluster
	}
	return u
}

// chExec runs a statement on a server, and returns its answer (TSV).
func chExec(t *testing.T, server, query string) string {
	t.Helper()
	resp, err := http.Post("http://"+server+"/?"+url.Values{"query": {query}}.Encode(), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s", query, body)
	}
	return string(body)
}

// same says whether two answers are the same records in the same order:
// the same members with the same values (the SQLite store keeps a record's
// members in the order it was imported in, ClickHouse's writes rrname,
// rrtype, rdata, the times and the count first).
func same(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		var x, y map[string]any
		if json.Unmarshal([]byte(a[i]), &x) != nil || json.Unmarshal([]byte(b[i]), &y) != nil || !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// The contract of a store, whatever its engine: the same answers, merged
// the same way, from the same imports.
func TestContract(t *testing.T) {
	t.Parallel()
	demo, hostile, zeek := testdata(t, "demo.ndjson"), testdata(t, "hostile.ndjson"), testdata(t, "logs/zeek-dns.log")
	generated := generatedDump( // and a TXT value written two ways: one record
		`{"rrname":"t.example","rrtype":"TXT","rdata":"\u0041","bailiwick":"example.","zone_time_first":1}`,
		`{"rrname":"t.example","rrtype":"TXT","rdata":"A","count":2}`,
	)
	merging := strings.Join([]string{
		`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":100,"time_last":200,"count":2,"sensor_id":"s1"}`,
		`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.2","time_first":10,"time_last":20}`,
		`{"count":"3","rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":50,"time_last":150,"origin":"x"}`,
		`{"rrname":"a.example","rrtype":1,"rdata":["192.0.2.1"],"time_last":300,"count":null}`,
		`{"rrname":"big.example","rrtype":"A","rdata":"192.0.2.9","count":9223372036854775000}`,
		`{"rrname":"big.example","rrtype":"A","rdata":"192.0.2.9","count":9223372036854775000}`,
	}, "\n")
	// what each import is, and what is asked of the store after it
	imports := [][]string{{demo}, {hostile}, {generated}, {merging, merging + "\n"}, {zeek}}
	var reference [][]string // SQLite's answers
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t, true)
			var got [][]string
			for _, texts := range imports {
				load(t, s, texts...)
				for _, q := range asked(t, texts) {
					got = append(got, append([]string{q}, ask(t, s, q)...))
				}
			}
			if e.name == "sqlite" {
				reference = got
				if n := len(got); n < 200 {
					t.Fatalf("only %d questions", n)
				}
				return
			}
			if len(got) != len(reference) {
				t.Fatalf("%d questions, SQLite %d", len(got), len(reference))
			}
			for i := range got {
				if !same(got[i][1:], reference[i][1:]) {
					t.Errorf("%s: %s says\n%s\nSQLite says\n%s", got[i][0], e.name, firstDiff(got[i][1:], reference[i][1:]), firstDiff(reference[i][1:], got[i][1:]))
				}
			}
		})
	}
	if reference == nil {
		t.Fatal("SQLite did not run first")
	}
}

// firstDiff is a, from where it differs from b (a few records of it).
func firstDiff(a, b []string) string {
	i := 0
	for i < len(a) && i < len(b) && same(a[i:i+1], b[i:i+1]) {
		i++
	}
	return fmt.Sprintf("(%d records; from record %d:)\n%s", len(a), i+1, strings.Join(a[i:min(len(a), i+3)], "\n"))
}

// asked are the questions a test asks after importing texts: every name
// and address their records hold, the domains above them as wildcards.
func asked(t *testing.T, texts []string) []string {
	t.Helper()
	set := map[string]bool{}
	for _, text := range texts {
		var recs []pdns.Record
		if f, _ := pdns.SniffLog([]byte(text)); f == pdns.FormatCOF {
			rr := pdns.NewRecordReader(strings.NewReader(text), 0)
			for {
				r, err := rr.Next()
				if err == io.EOF {
					break
				}
				if err == nil {
					recs = append(recs, r)
				}
			}
		} else {
			p, _ := pdns.NewLogParser(pdns.InputFormat{Format: f}, 0, nil)
			var tally pdns.Tally
			p.Parse([]byte(text), 1, &tally)
			tally.Drain(func(r pdns.Record) error { recs = append(recs, r); return nil }, func(error) {})
		}
		for i := range recs {
			askable(&recs[i], set)
		}
	}
	var qs []string
	for q := range set {
		if _, err := pdns.ParseIndicator(q); err == nil {
			qs = append(qs, q)
		}
	}
	slices.Sort(qs)
	return qs
}

// Imports are all or nothing on every engine: queries see the store as it
// was until one is committed; one stopped half-way, or interrupted, leaves
// it as it was, and the same input imported again after it counts once.
func TestContractIsolation(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t, true)
			load(t, s, `{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","count":1}`)
			reader, err := store.Open(s.Path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			big := strings.Join(circltest.Generate("a.example", 25_000), "\n")
			im, err := s.BeginImport(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := im.Read(context.Background(), "big", strings.NewReader(big)); err != nil {
				t.Fatal(err)
			}
			if got := ask(t, reader, "a.example"); len(got) != 1 {
				t.Errorf("during the import: %d records, want the 1 from before", len(got))
			}
			im.Rollback()
			if got := ask(t, reader, "a.example"); len(got) != 1 {
				t.Errorf("after a stopped import: %d records, want the 1 from before", len(got))
			}
			ctx, cancel := context.WithCancel(context.Background())
			im, err = s.BeginImport(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			if err := im.Read(ctx, "big", strings.NewReader(big)); err == nil {
				t.Errorf("an interrupted import read on")
			}
			im.Rollback()
			if got := ask(t, reader, "a.example"); len(got) != 1 {
				t.Errorf("after an interrupted import: %d records", len(got))
			}
			load(t, s, big)
			if got, want := ask(t, reader, "a.example"), ask(t, reference(t, `{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","count":1}`, big), "a.example"); !same(got, want) {
				t.Errorf("after the import: %d records, want %d (as imported once into a new store)", len(got), len(want))
			}
		})
	}
}

// An import remembers what it read on every engine: the same dump again
// adds nothing, a log that grew is read from where the last import
// stopped.
func TestContractMemory(t *testing.T) {
	t.Parallel()
	log := bigLog(t)
	cut := strings.LastIndexByte(log[:len(log)/2], '\n') + 1
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			whole := e.open(t, true)
			importText(t, whole, log)
			parts := e.open(t, true)
			importText(t, parts, log[:cut])
			st := importText(t, parts, log, log)
			if st[0].Before != int64(cut) || !st[1].Again {
				t.Errorf("the log grown, then again: %+v", st)
			}
			for _, q := range []string{"host7.zone7.example.com", "*.zone7.example.com", "192.0.7.0", "cdn6.edge.example.net"} {
				if a, b := ask(t, whole, q), ask(t, parts, q); !same(a, b) || len(a) == 0 {
					t.Errorf("%s: imported whole\n%s\nin parts\n%s", q, strings.Join(a, "\n"), strings.Join(b, "\n"))
				}
			}
		})
	}
}

// reference is an SQLite store of texts, each imported once.
func reference(t *testing.T, texts ...string) *store.Store {
	s := openStore(t, filepath.Join(t.TempDir(), "reference.db"), true)
	for _, text := range texts {
		load(t, s, text)
	}
	return s
}

// A ClickHouse store that is not there, asked for: a usage error, as for a
// file; one whose password is wrong: the server's error, without it.
func TestClickHouseOpen(t *testing.T) {
	t.Parallel()
	servers := clickhouseServers(t)
	target := newDatabase(t, servers[:1], "")
	if _, err := store.Open(target, store.Options{}); err == nil || !strings.Contains(err.Error(), "no store there") {
		t.Errorf("a database that is not there: %v", err)
	}
	u := strings.Replace(target, "clickhouse://", "clickhouse://pdns@", 1)
	_, err := store.Open(u, store.Options{Create: true, Password: "wrong-password-123"})
	if err == nil || strings.Contains(err.Error(), "wrong-password-123") || !strings.Contains(err.Error(), "clickhouse "+servers[0]) {
		t.Errorf("a wrong password: %v", err)
	}
	for _, bad := range []string{"clickhouse://h1,h2/db", "clickhouse://host/bad-name", "clickhouse://host/db?cluster=a;b"} {
		if _, err := store.Open(bad, store.Options{Create: true}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// A server that answers nothing is waited for a bounded time: a name and
// a wildcard asked of it fail, saying so, and the query ends. (A server on
// loopback that knows the store, and then stalls: no ClickHouse needed.)
func TestClickHouseStalled(t *testing.T) {
	store.SetClickHouseWait(t, 200*time.Millisecond)
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, _ := io.ReadAll(r.Body) // a query without rows is the body
		if strings.Contains(string(q), "system.tables") {
			w.Write([]byte{3, 0, 0, 0, 0, 0, 0, 0}) // records, data_keys, imports: a UInt64 in RowBinary
			return
		}
		select { // never a byte
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer srv.Close()
	defer close(stop)
	s, err := store.Open("clickhouse://"+srv.Listener.Addr().String()+"/stalled", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, text := range []string{"www.example.com", "*.example.com"} {
		ind, err := pdns.ParseIndicator(text)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Query(context.Background(), ind, pdns.Sink{Record: func(pdns.Record) error { return nil }, Problem: func(error) {}})
		var qe *pdns.QueryError
		if !errors.As(err, &qe) || !strings.Contains(err.Error(), "no whole answer in 200ms") || !strings.Contains(err.Error(), text) {
			t.Errorf("%s: %v", text, err)
		}
	}
}

// A batch holds a bounded number of records: past it, each of its
// indicators is asked again alone, and streamed, with the same answers.
// (Not parallel: it sets the bound for the package.)
func TestClickHouseBatchBound(t *testing.T) {
	servers := clickhouseServers(t)
	s := openStore(t, newDatabase(t, servers[:1], ""), true)
	var dump strings.Builder
	var asks []string
	for i := range 40 {
		name := fmt.Sprintf("n%d.bound.example", i)
		asks = append(asks, name)
		for j := range 10 {
			fmt.Fprintf(&dump, `{"rrname":%q,"rrtype":"A","rdata":"10.1.%d.%d","count":%d,"time_first":%d,"time_last":%d}`+"\n", name, i, j, j+1, 1500000000+i*10+j, 1600000000+j)
		}
		if i < 30 { // and 30 of them point to one address
			fmt.Fprintf(&dump, `{"rrname":%q,"rrtype":"A","rdata":"10.9.9.9","count":1}`+"\n", name)
		}
	}
	asks = append(asks, "10.9.9.9")
	load(t, s, dump.String())
	want := map[string][]string{}
	for _, q := range asks {
		want[q] = ask(t, s, q)
	}
	most := store.SetClickHouseBatchRows(t, 25)
	got := make([][]string, len(asks))
	errs := make([]error, len(asks))
	var wg sync.WaitGroup
	for i, q := range asks { // at once: asked in batches
		wg.Add(1)
		go func() {
			defer wg.Done()
			ind, _ := pdns.ParseIndicator(q)
			errs[i] = s.Query(context.Background(), ind, pdns.Sink{
				Record:  func(r pdns.Record) error { got[i] = append(got[i], string(r.AppendJSON(nil))); return nil },
				Problem: func(err error) { errs[i] = err },
			})
		}()
	}
	wg.Wait()
	for i, q := range asks {
		if errs[i] != nil || !slices.Equal(got[i], want[q]) {
			t.Errorf("%s: %v\n got %q\nwant %q", q, errs[i], got[i], want[q])
		}
	}
	if n := most(); n == 0 || n > 25 {
		t.Errorf("a batch held %d records, the bound is 25", n)
	}
	if len(want["10.9.9.9"]) != 30 {
		t.Errorf("the address has %d records, not 30", len(want["10.9.9.9"]))
	}
}

// A name, an address and a wildcard are found by the primary keys of the
// tables, not by reading them whole: the server's query_log says how many
// rows each query read.
func TestClickHouseIndexes(t *testing.T) {
	t.Parallel()
	servers := clickhouseServers(t)
	target := newDatabase(t, servers[:1], "")
	s := openStore(t, target, true)
	const n = 200_000
	var dump strings.Builder
	for i := range n {
		fmt.Fprintf(&dump, `{"rrname":"h%d.z%d.example","rrtype":"A","rdata":"10.%d.%d.%d","count":1}`+"\n", i, i%1000, i>>16&255, i>>8&255, i&255)
	}
	load(t, s, dump.String())
	db := target[strings.LastIndexByte(target, '/')+1:]
	for q, key := range map[string]string{"h77.z77.example": "'example.z77.h77'", "10.0.1.7": "'7.1.0.10'", "*.z77.example": "'example.z77.'"} {
		if got := ask(t, s, q); len(got) == 0 {
			t.Fatalf("%s: no records", q)
		}
		chExec(t, servers[0], "SYSTEM FLUSH LOGS")
		read := chExec(t, servers[0], fmt.Sprintf(`SELECT max(read_rows) FROM system.query_log WHERE type = 2 AND query LIKE '%%%s.records%%' AND position(query, %s) > 0 AND query NOT LIKE '%%query_log%%'`, db, quoteCH(key)))
		rows := 0
		fmt.Sscan(read, &rows)
		t.Logf("%s: %d rows read, of %d records", q, rows, n)
		if rows == 0 || rows > n/4 {
			t.Errorf("%s: the query read %d rows of a store of %d records: not by its keys", q, rows, n)
		}
	}
}

// quoteCH is s as a ClickHouse string literal (of ASCII without quotes).
func quoteCH(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// Two shards: a record's rows go to one of them, the records are spread
// over both, and the store answers the same through either server.
func TestClickHouseShards(t *testing.T) {
	t.Parallel()
	servers := clickhouseServers(t)
	target := newDatabase(t, servers, "pdns_shards")
	s := openStore(t, target, true)
	dump := strings.Join(circltest.Generate("shards.example", 2000), "\n")
	load(t, s, dump)
	db := target[strings.LastIndexByte(target, '/')+1 : strings.IndexByte(target, '?')]
	for _, server := range servers[:2] {
		var rows int
		fmt.Sscan(chExec(t, server, "SELECT count() FROM "+db+".records_local"), &rows)
		if rows < 500 {
			t.Errorf("%s holds %d of the 2,000 records: the shards are not both used", server, rows)
		}
	}
	other := openStore(t, strings.Replace(target, servers[0]+","+servers[1], servers[1]+","+servers[0], 1), false)
	a, b := ask(t, s, "shards.example"), ask(t, other, "shards.example")
	if len(a) != 2000 || !same(a, b) {
		t.Errorf("%d records through %s, %d through %s", len(a), servers[0], len(b), servers[1])
	}
}
