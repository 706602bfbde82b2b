package cache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A directory of another user is refused, even when nobody else may write
// to it: its owner could.
func TestPrivateDirOwner(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := privateDir(dir, "state directory", "a watch state", os.Geteuid()); err != nil {
		t.Fatal(err)
	}
	err := privateDir(dir, "state directory", "a watch state", os.Geteuid()+1)
	if err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("got %v", err)
	}
}

// The lock is never taken through a link: a planted one is refused, and
// creates nothing where it points.
func TestLockRefusesALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "planted")
	if err := os.Symlink(target, filepath.Join(dir, ".circl-pdns.lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); err == nil {
		t.Error("a lock through a link was taken")
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the link's target was made")
	}
}

// A file written whole replaces a link at its place; it never writes
// through it, and is 0600.
func TestAtomicFileReplacesALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target"), filepath.Join(dir, "link")
	os.WriteFile(target, []byte("precious"), 0o644)
	os.Symlink(target, link)
	f, err := CreateAtomic(dir)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if err := f.Commit(link); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "precious" {
		t.Errorf("written through the link: %q", b)
	}
	fi, err := os.Lstat(link)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("%v, %v", fi.Mode(), err)
	}
}
