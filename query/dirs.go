package query

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// privateDir makes dir (0700, with its missing parents) if it is not
// there, and refuses one that others can write to: they could plant what
// the command reads back (a cached answer, a watch state). It never
// changes the mode of a directory it did not make.
func privateDir(dir, what, holds string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fi, err = os.Stat(dir)
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	case !fi.IsDir():
		return fmt.Errorf("%s %s: not a directory", what, dir)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s %s can be written by others (%v): they could plant %s; use a private directory (it is made 0700 if missing), or run chmod go-w %s", what, dir, fi.Mode(), holds, dir)
	}
	return nil
}

// pruneFiles removes the regular files of dir that own says are the
// command's own (and counts those that count says so) once older than age.
// Nothing else in the directory is touched.
func pruneFiles(dir string, age time.Duration, own, count func(name string) bool) (int, error) {
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
		if !e.Type().IsRegular() || !own(name) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) <= age {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return n, err
		}
		if count(name) {
			n++
		}
	}
	return n, nil
}
