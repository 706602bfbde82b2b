package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// A query goes by index, never through the whole table: SQLite's plan for
// it names the key indexes and scans nothing.
func TestStoreQueryPlan(t *testing.T) {
	t.Parallel()
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, wildcard := range []bool{false, true} {
		rows, err := s.e.(*sqliteStore).db.Query(`EXPLAIN QUERY PLAN `+storeQuery(wildcard), "com.example", "com.example/")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		t.Logf("wildcard %v:\n%s", wildcard, text)
		for _, want := range []string{"USING INDEX records_name_key", "USING INDEX records_data_key", "USING PRIMARY KEY"} {
			if !strings.Contains(text, want) {
				t.Errorf("wildcard %v: the plan does not say %q:\n%s", wildcard, want, text)
			}
		}
		for _, line := range plan {
			if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING") {
				t.Errorf("wildcard %v: the plan scans a table: %q\n%s", wildcard, line, text)
			}
		}
	}
}

// An import gives its connection back, committed or not.
func TestImportReleasesConnection(t *testing.T) {
	t.Parallel()
	s, err := OpenStore(filepath.Join(t.TempDir(), "store.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, commit := range []bool{true, false} {
		im, err := s.BeginImport(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if commit {
			im.Commit(context.Background())
		} else {
			im.Rollback()
		}
		if n := s.e.(*sqliteStore).db.Stats().InUse; n != 0 {
			t.Errorf("commit %v: %d connections still in use", commit, n)
		}
	}
}

// A store the user cannot write to (a shared snapshot: 0444 in a 0555
// directory) is queried without writing: no pragma that writes, no side
// file, the file as it was.
func TestReadOnlyStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := OpenStore(path, true)
	if err != nil {
		t.Fatal(err)
	}
	im, err := s.BeginImport(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Read(context.Background(), "dump", strings.NewReader(`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	os.Remove(path + ".lock")
	before, _ := os.ReadFile(path)
	e, err := openSQLite(path, false, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	ro := &Store{Path: path, e: e}
	defer ro.Close()
	ind, _ := pdns.ParseIndicator("a.example")
	n := 0
	if err := ro.Query(context.Background(), ind, pdns.Sink{Record: func(pdns.Record) error { n++; return nil }, Problem: func(error) {}}); err != nil || n != 1 {
		t.Fatalf("%v, %d records", err, n)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the store changed")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("side files made: %v", entries)
	}
}
