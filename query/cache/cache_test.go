package cache_test

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circl-pdns/circl-pdns/query/cache"
	"github.com/circl-pdns/circl-pdns/query/circl"
	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/pdns/pdnstest"
)

func newCache(t *testing.T, srv *circltest.Server, dir string) *cache.Cache {
	return &cache.Cache{Dir: dir, TTL: time.Hour, Key: srv.Endpoint() + " rrtype= active=true", Source: srv.NewClient()}
}

// files lists the cache directory.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCacheHitMissStaleRefreshOffline(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 5)...)
	dir := filepath.Join(t.TempDir(), "cache")
	c := newCache(t, srv, dir)

	first := pdnstest.Ask(c, "example.com") // miss: asks the server, keeps the answer
	if first.Err != nil || len(first.Records) != 5 || len(srv.Requests()) != 3 || c.Hits() != 0 {
		t.Fatalf("miss: %v, %d records, %d requests, %d hits", first.Err, len(first.Records), len(srv.Requests()), c.Hits())
	}
	second := pdnstest.Ask(c, "example.com") // hit: the server is not asked
	if second.Err != nil || second.RData() != first.RData() || len(srv.Requests()) != 3 || c.Hits() != 1 {
		t.Fatalf("hit: %v, %s, %d requests, %d hits", second.Err, second.RData(), len(srv.Requests()), c.Hits())
	}
	for i := range first.Records {
		if first.Records[i].Raw != second.Records[i].Raw {
			t.Errorf("record %d: %q from the cache, %q from the server", i, second.Records[i].Raw, first.Records[i].Raw)
		}
	}

	// stale: older than the TTL, asked again
	path := filepath.Join(dir, files(t, dir)[0])
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(path, old, old)
	if r := pdnstest.Ask(c, "example.com"); r.Err != nil || len(srv.Requests()) != 6 {
		t.Fatalf("stale: %v, %d requests", r.Err, len(srv.Requests()))
	}
	if fi, _ := os.Stat(path); time.Since(fi.ModTime()) > time.Minute {
		t.Error("stale: the answer was not stored anew")
	}

	// refresh: asked again though fresh
	c.Refresh = true
	if r := pdnstest.Ask(c, "example.com"); r.Err != nil || len(srv.Requests()) != 9 {
		t.Fatalf("refresh: %v, %d requests", r.Err, len(srv.Requests()))
	}

	// offline: any age is good, a miss is an error, the network is not used
	os.Chtimes(path, old, old)
	off := &cache.Cache{Dir: dir, TTL: time.Hour, Key: c.Key, Offline: true}
	if r := pdnstest.Ask(off, "example.com"); r.Err != nil || len(r.Records) != 5 {
		t.Fatalf("offline hit: %v, %d records", r.Err, len(r.Records))
	}
	var miss *cache.MissError
	if r := pdnstest.Ask(off, "other.example"); !errors.As(r.Err, &miss) || miss.Failure() != pdns.CacheMiss || len(srv.Requests()) != 9 {
		t.Fatalf("offline miss: %v, %d requests", r.Err, len(srv.Requests()))
	}
}

func TestCacheKey(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 1)...)
	dir := t.TempDir()
	c := newCache(t, srv, dir)
	pdnstest.Ask(c, "example.com")
	c.Key = srv.Endpoint() + " rrtype=A active=true" // another question: another answer
	pdnstest.Ask(c, "example.com")
	if n := len(files(t, dir)); n != 2 || len(srv.Requests()) != 2 {
		t.Errorf("%d files after %d requests, want 2 and 2", n, len(srv.Requests()))
	}
}

// TestCacheKeepsOnlyWholeAnswers: an answer that failed, had a bad line or
// a warning, or was stopped by a limit is not kept.
func TestCacheKeepsOnlyWholeAnswers(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("ok.example", pdnstest.Lines("ok.example", 3)...)
	srv.Fail("down.example", circltest.Fault{Status: 500})
	srv.Fail("bad.example", circltest.Fault{Body: pdnstest.Rec("bad.example", "192.0.2.1") + "\n{oops\n"})
	srv.Add("warned.example", pdnstest.Lines("warned.example", 1)...)
	srv.Fail("warned.example", circltest.Fault{Header: map[string]string{"x-dribble-errors": `["capped"]`}})
	srv.Add("cut.example", pdnstest.Lines("cut.example", 5)...)
	srv.Fail("cut.example", circltest.Fault{Cut: 1})
	dir := t.TempDir()
	c := newCache(t, srv, dir)
	for _, q := range []string{"down.example", "bad.example", "warned.example", "cut.example"} {
		pdnstest.Ask(c, q)
	}
	ind, _ := pdns.ParseIndicator("ok.example")
	limited := errors.New("enough")
	c.Query(context.Background(), ind, pdns.Sink{Record: func(pdns.Record) error { return limited }, Problem: func(error) {}})
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("kept %v", got)
	}
	pdnstest.Ask(c, "ok.example")
	if got := files(t, dir); len(got) != 1 || !strings.HasPrefix(got[0], "ok.example.") {
		t.Errorf("kept %v, want the answer to ok.example", got)
	}
}

func TestCacheFilesAreGzipNDJSONPrivate(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.RequireBasicAuth("analyst", "Canary-Pw-7731")
	srv.Add("example.com", pdnstest.Lines("example.com", 2)...)
	dir := filepath.Join(t.TempDir(), "cache")
	c := newCache(t, srv, dir)
	c.Source.(*circl.Client).User, c.Source.(*circl.Client).Password = "analyst", "Canary-Pw-7731"
	if r := pdnstest.Ask(c, "example.com"); r.Err != nil {
		t.Fatal(r.Err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	name := files(t, dir)[0]
	fi, _ := os.Stat(filepath.Join(dir, name))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(filepath.Join(dir, name))
	f, _ := os.Open(filepath.Join(dir, name))
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(zr)
	if string(text) != strings.Join(pdnstest.Lines("example.com", 2), "\n")+"\n" {
		t.Errorf("cached %q, want the lines as received", text)
	}
	for _, s := range []string{string(raw), string(text), name, zr.Name, zr.Comment} {
		if strings.Contains(s, "Canary") || strings.Contains(s, "analyst") {
			t.Errorf("a credential in the cache: %q", s)
		}
	}
}

// TestCacheConcurrentFill: writers filling the same entry at once never
// leave a partial one; every read sees a whole answer.
func TestCacheConcurrentFill(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 300)...)
	dir := t.TempDir()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newCache(t, srv, dir)
			c.Refresh = true
			for range 5 {
				if r := pdnstest.Ask(c, "example.com"); r.Err != nil || len(r.Records) != 300 {
					t.Errorf("fill: %v, %d records", r.Err, len(r.Records))
				}
				off := &cache.Cache{Dir: dir, TTL: time.Hour, Key: c.Key, Offline: true}
				if r := pdnstest.Ask(off, "example.com"); r.Err != nil || len(r.Records) != 300 {
					t.Errorf("read while others write: %v, %d records", r.Err, len(r.Records))
				}
			}
		}()
	}
	wg.Wait()
	if got := files(t, dir); len(got) != 1 {
		t.Errorf("left %v", got)
	}
}

func TestCachePrune(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	c := newCache(t, srv, dir)
	pdnstest.Ask(c, "old.example")
	pdnstest.Ask(c, "new.example")
	os.WriteFile(filepath.Join(dir, ".circl-pdns-12345.tmp"), []byte("a killed writer's"), 0o600)
	// not the cache's own: a user's files, however old and however named
	for _, f := range []string{"notes.txt", "my-capture.ndjson.gz", ".tmp-12345", "x.0123456789abcdeg.ndjson.gz"} {
		os.WriteFile(filepath.Join(dir, f), []byte("not ours"), 0o600)
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, f := range files(t, dir) {
		if !strings.HasPrefix(f, "new.") {
			os.Chtimes(filepath.Join(dir, f), old, old)
		}
	}
	n, err := c.Prune()
	got := strings.Join(files(t, dir), " ")
	want := `^\.tmp-12345 my-capture\.ndjson\.gz new\.example\.[0-9a-f]{16}\.ndjson\.gz notes\.txt x\.0123456789abcdeg\.ndjson\.gz$`
	if err != nil || n != 1 || !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("pruned %d (%v), left\n%s\nwant\n%s", n, err, got, want)
	}
}

// A cached answer that cannot be read whole gives no partial output: it is
// found damaged first, asked again, replaced, with a warning; offline, it is
// an error naming the indicator and the file.
func TestCacheDamagedEntries(t *testing.T) {
	t.Parallel()
	damages := map[string]func(path string){
		"truncated": func(p string) {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o600)
		},
		"not gzip": func(p string) { os.WriteFile(p, []byte(strings.Join(pdnstest.Lines("example.com", 500), "\n")), 0o600) },
		"empty":    func(p string) { os.WriteFile(p, nil, 0o600) },
		"a bad record inside": func(p string) {
			f, _ := os.Create(p)
			zw := gzip.NewWriter(f)
			io.WriteString(zw, strings.Join(pdnstest.Lines("example.com", 244), "\n")+"\n{oops\n")
			zw.Close()
			f.Close()
		},
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			srv := circltest.NewServer()
			defer srv.Close()
			srv.Add("example.com", pdnstest.Lines("example.com", 500)...)
			dir := t.TempDir()
			c := newCache(t, srv, dir)
			pdnstest.Ask(c, "example.com")
			path := filepath.Join(dir, files(t, dir)[0])
			damage(path)

			off := &cache.Cache{Dir: c.Dir, TTL: c.TTL, Key: c.Key, Offline: true}
			r := pdnstest.Ask(off, "example.com")
			var de *cache.DamagedError
			if !errors.As(r.Err, &de) || len(r.Records) != 0 || !strings.HasPrefix(r.Err.Error(), "example.com: the cached answer "+path+" is damaged: ") {
				t.Errorf("offline: %v, %d records", r.Err, len(r.Records))
			}

			asked := len(srv.Requests())
			r = pdnstest.Ask(c, "example.com")
			if r.Err != nil || len(r.Records) != 500 || len(r.Problems) != 1 || len(srv.Requests()) == asked ||
				!strings.Contains(r.Problems[0].Error(), "warning: example.com: the cached answer "+path+" is damaged (") {
				t.Fatalf("online: %v, %d records, %v", r.Err, len(r.Records), r.Problems)
			}
			asked = len(srv.Requests())
			if r := pdnstest.Ask(c, "example.com"); r.Err != nil || len(r.Records) != 500 || len(r.Problems) != 0 || len(srv.Requests()) != asked || c.Hits() != 1 {
				t.Errorf("replaced entry: %v, %d records, %v, %d hits", r.Err, len(r.Records), r.Problems, c.Hits())
			}
		})
	}
}

// The cache never changes the mode of a directory it did not make, and
// refuses one that others can write to.
func TestCacheDirectoryModes(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 1)...)

	shared := filepath.Join(t.TempDir(), "shared")
	os.Mkdir(shared, 0o755)
	os.Chmod(shared, 0o755)
	c := newCache(t, srv, shared)
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	pdnstest.Ask(c, "example.com")
	if fi, _ := os.Stat(shared); fi.Mode().Perm() != 0o755 || len(files(t, shared)) != 1 {
		t.Errorf("a readable directory: mode %v, %v", fi.Mode().Perm(), files(t, shared))
	}

	tmp := filepath.Join(t.TempDir(), "tmp")
	os.Mkdir(tmp, 0o777)
	os.Chmod(tmp, 0o777|os.ModeSticky)
	c = newCache(t, srv, tmp)
	err := c.Check()
	if err == nil || !strings.Contains(err.Error(), "is shared (mode 1777)") || strings.Contains(err.Error(), "chmod") {
		t.Errorf("a directory like /tmp: %v (never advise loosening it)", err)
	}
	pdnstest.Ask(c, "example.com") // answered, not stored
	if fi, _ := os.Stat(tmp); fi.Mode() != os.ModeDir|os.ModeSticky|0o777 || len(files(t, tmp)) != 0 {
		t.Errorf("a directory like /tmp: mode %v, %v", fi.Mode(), files(t, tmp))
	}

	made := filepath.Join(t.TempDir(), "a", "b")
	c = newCache(t, srv, made)
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(made); fi.Mode().Perm() != 0o700 {
		t.Errorf("made: mode %v", fi.Mode().Perm())
	}
}

// Long names are cached too, and told apart by their hash.
func TestCacheLongNames(t *testing.T) {
	t.Parallel()
	label := strings.Repeat("a", 60)
	long1 := strings.Join([]string{label, label, label, label, "x1.exampl"}, ".") // 253 bytes
	long2 := strings.Join([]string{label, label, label, label, "x2.exampl"}, ".")
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add(long1, pdnstest.Rec(long1, "192.0.2.1"))
	srv.Add(long2, pdnstest.Rec(long2, "192.0.2.2"))
	dir := t.TempDir()
	c := newCache(t, srv, dir)
	for range 2 {
		for _, q := range []string{long1, long2} {
			if r := pdnstest.Ask(c, q); r.Err != nil || len(r.Records) != 1 || r.Records[0].RRName != q {
				t.Fatalf("%s: %v %d", q, r.Err, len(r.Records))
			}
		}
	}
	if c.Hits() != 2 || len(files(t, dir)) != 2 {
		t.Errorf("%d hits, %v", c.Hits(), files(t, dir))
	}
}

// A record accepted from the server is accepted from the cache: one limit.
func TestCacheMaxRecordBytes(t *testing.T) {
	t.Parallel()
	big := pdnstest.Rec("example.com", strings.Repeat("t", 5<<20))
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", big, pdnstest.Rec("example.com", "192.0.2.1"))
	c := newCache(t, srv, t.TempDir())
	for i := range 2 {
		if r := pdnstest.AskMax(context.Background(), c, "example.com", 8<<20); r.Err != nil || len(r.Records) != 2 || len(r.Problems) != 0 {
			t.Fatalf("run %d: %v, %d records, %v", i, r.Err, len(r.Records), r.Problems)
		}
	}
	if c.Hits() != 1 {
		t.Errorf("%d hits", c.Hits())
	}
}

// An answer in any layout is cached as NDJSON, a record a line.
func TestCacheStoresNDJSON(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.SetStyle(circltest.Styles["pretty"])
	srv.Add("example.com", pdnstest.Lines("example.com", 3)...)
	dir := t.TempDir()
	c := newCache(t, srv, dir)
	pdnstest.Ask(c, "example.com")
	f, err := os.Open(filepath.Join(dir, files(t, dir)[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, _ := gzip.NewReader(f)
	text, _ := io.ReadAll(zr)
	if want := strings.Join(pdnstest.Lines("example.com", 3), "\n") + "\n"; string(text) != want {
		t.Errorf("cached\n%s\nwant\n%s", text, want)
	}
}
