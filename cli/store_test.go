package cli_test

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/store"
)

// An import killed half-way (SIGKILL: no chance to clean up) leaves the
// store as it was before it, whole, and the next import goes ahead.
func TestImportKilled(t *testing.T) {
	if _, err := exec.LookPath("circl-pdns"); err != nil {
		t.Fatal("circl-pdns is not on $PATH (TestMain puts it there)")
	}
	store := filepath.Join(t.TempDir(), "store.db")
	first := exec.Command("circl-pdns", "--store", store, "--import")
	first.Stdin = strings.NewReader(`{"rrname":"before.example","rrtype":"A","rdata":"192.0.2.1","count":1}`)
	if out, err := first.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	cmd := exec.Command("circl-pdns", "--store", store, "--import")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A pipe holds 64 KB: once this write returns, the import has read
	// (and written into the store's log, uncommitted) nearly all of it.
	records := strings.Join(circltest.Generate("killed.example", 15_000), "\n") + "\n"
	if _, err := in.Write([]byte(records)); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()

	db, err := sql.Open("sqlite", store)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	var rows int
	db.QueryRow(`PRAGMA integrity_check`).Scan(&check)
	db.QueryRow(`SELECT count(*) FROM records`).Scan(&rows)
	if check != "ok" || rows != 1 {
		t.Errorf("after the killed import: integrity %q, %d rows; want ok, the 1 from before", check, rows)
	}
	again := exec.Command("circl-pdns", "--store", store, "--import")
	again.Stdin = strings.NewReader(records)
	if out, err := again.CombinedOutput(); err != nil || !strings.Contains(string(out), "15,000 new") {
		t.Fatalf("the next import: %v: %s", err, out)
	}
	if n := countRecords(t, store, "killed.example"); n != 15_000 {
		t.Errorf("%d records after the next import, want 15000", n)
	}
}

// An import interrupted (SIGINT, SIGTERM) stops, says nothing was
// imported, and exits 130 or 143; the store is as it was.
func TestImportInterrupted(t *testing.T) {
	t.Parallel()
	store := filepath.Join(t.TempDir(), "store.db")
	records := strings.Join(circltest.Generate("stopped.example", 5_000), "\n") + "\n" // past a pipe's 64 KB
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
		cmd := exec.Command("circl-pdns", "--store", store, "--import")
		in, _ := cmd.StdinPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Write([]byte(records)); err != nil { // returns once the import is reading
			t.Fatal(err)
		}
		cmd.Process.Signal(sig)
		cmd.Wait()
		in.Close()
		if got := cmd.ProcessState.ExitCode(); got != want || !strings.Contains(stderr.String(), "circl-pdns: --import interrupted: nothing was imported into "+store+"\n") {
			t.Errorf("%v: exit status %d, want %d; stderr:\n%s", sig, got, want, stderr.String())
		}
	}
	if n := countRecords(t, store, "stopped.example"); n != 0 {
		t.Errorf("%d records after interrupted imports", n)
	}
}

// countRecords is how many records the store at path has for q.
func countRecords(t *testing.T, path, q string) int {
	t.Helper()
	s, err := store.OpenStore(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ind, err := pdns.ParseIndicator(q)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.Query(context.Background(), ind, pdns.Sink{Record: func(pdns.Record) error { n++; return nil }, Problem: func(error) {}}); err != nil {
		t.Fatal(err)
	}
	return n
}
