package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
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
		rows, err := s.db.Query(`EXPLAIN QUERY PLAN `+storeQuery(wildcard), "com.example", "com.example/")
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
		if n := s.db.Stats().InUse; n != 0 {
			t.Errorf("commit %v: %d connections still in use", commit, n)
		}
	}
}
