package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// The one way the command keeps files of its own (the cache's answers, the
// --new state): in a private directory, named after what they hold, written
// whole or not at all, and pruned by age.

// PrivateDir makes dir (0700, with its missing parents) if it is not
// there, and refuses one that others can write to, or that another user
// owns: they could plant what the command reads back (a cached answer, a
// watch state), or read it. It never changes the mode of a directory it
// did not make. what names the directory in messages ("cache directory"),
// holds what they could plant.
func PrivateDir(dir, what, holds string) error { return privateDir(dir, what, holds, os.Geteuid()) }

// privateDir is PrivateDir for the user uid.
func privateDir(dir, what, holds string, uid int) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fi, err = os.Stat(dir)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	mode := fmt.Sprintf("%04o", fi.Mode().Perm()|sticky(fi.Mode()))
	switch st, ok := fi.Sys().(*syscall.Stat_t); {
	case !fi.IsDir():
		return fmt.Errorf("%s %s: not a directory", what, dir)
	case ok && int(st.Uid) != uid:
		return fmt.Errorf("%s %s belongs to another user (uid %d): they could plant %s or read what is kept there; use a directory of your own (it is made 0700 if missing)", what, dir, st.Uid, holds)
	case fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky != 0:
		return fmt.Errorf("%s %s is shared (mode %s): others could plant %s; use a directory of your own (it is made 0700 if missing)", what, dir, mode, holds)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s %s can be written by others (mode %s): they could plant %s; run chmod go-w %s, or use another directory (it is made 0700 if missing)", what, dir, mode, holds, dir)
	}
	return nil
}

// sticky is the sticky bit of a mode, in the place chmod gives it.
func sticky(m fs.FileMode) fs.FileMode {
	if m&fs.ModeSticky != 0 {
		return 0o1000
	}
	return 0
}

// maxName is the most of a value a file name holds: a name is at most 255
// bytes, and the hash, which covers the whole value, tells long ones apart.
const maxName = 200

// FileName is the name of the file that holds value in scope (the server,
// the key of an answer): the value, cut to fit, a hash of scope and value,
// and ext.
func FileName(scope, value, ext string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + value))
	if len(value) > maxName {
		value = value[:maxName]
	}
	return value + "." + hex.EncodeToString(sum[:8]) + ext
}

// The temporary files of writers, and a name that only they match.
const tempPattern = ".circl-pdns-*.tmp"

var tempRE = regexp.MustCompile(`^\.circl-pdns-[0-9]+\.tmp$`)

// AtomicFile is a file written under a temporary name in its directory,
// and put in place whole by Commit, with one rename: a reader never sees
// half of it, and two writers at once leave one whole file. The temporary
// file is made 0600 and new (never through a link); the rename replaces a
// link at the place rather than follow it.
type AtomicFile struct {
	*os.File
}

// CreateUnnamed is a new temporary file (0600, O_EXCL: never through a
// link), already removed: nothing of it is left behind, whatever happens.
// What an import reads twice, and the records of a source waiting for its
// turn, are kept in one.
func CreateUnnamed() (*os.File, error) {
	f, err := os.CreateTemp("", "circl-pdns-*.tmp")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CreateAtomic starts a file in dir.
func CreateAtomic(dir string) (*AtomicFile, error) {
	f, err := os.CreateTemp(dir, tempPattern) // 0600, O_EXCL
	if err != nil {
		return nil, err
	}
	return &AtomicFile{f}, nil
}

// Commit puts what was written at path, once it is on disk.
func (a *AtomicFile) Commit(path string) error {
	err := a.Sync()
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.Name(), path)
	}
	if err != nil {
		os.Remove(a.Name())
		return err
	}
	a.File = nil
	return nil
}

// Discard removes the file unless it was committed.
func (a *AtomicFile) Discard() {
	if a.File != nil {
		a.Close()
		os.Remove(a.Name())
		a.File = nil
	}
}

// Lock takes the lock of dir (a file in it, never followed if it is a
// link), waiting for another process that holds it; unlock lets it go.
func Lock(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".circl-pdns.lock"), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return func() { f.Close() }, nil // closing lets the lock go
}

// Prune removes the regular files of dir that own says are the command's
// own (and the temporary files of writers that were killed) once older
// than age, and says how many it removed of those own says. Nothing else in
// the directory is touched.
func Prune(dir string, age time.Duration, own func(name string) bool) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !own(name) && !tempRE.MatchString(name) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) <= age {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return n, err
		}
		if own(name) {
			n++
		}
	}
	return n, nil
}
