package query

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Cache keeps whole answers on disk, for the cron jobs and colleagues that
// ask the same questions every day. It is a Source in front of another one.
//
// An answer is a gzip file of NDJSON lines as the server sent them (zcat
// and jq read it), named after the indicator and a hash of the key: the
// endpoint and every request header that changes the answer, never the
// credentials. Only answers received whole (every page, no error, no bad
// line, no warning) are kept, and they are written to a temporary file
// then renamed, so that a crash or two processes at once never leave a
// half answer to be served. The directory is 0700 and the files 0600: what
// an analyst looked up is sensitive.
type Cache struct {
	Dir string
	TTL time.Duration // how old a cached answer may be
	// Key describes what, besides the indicator, makes an answer: the
	// endpoint and the headers that change it (not the credentials).
	Key string
	// Source answers misses; nil with Offline.
	Source Source
	// Offline answers from the cache only, whatever the age; a miss is an
	// error and nothing is asked of the network.
	Offline bool
	// Refresh ignores cached answers, but stores the new ones.
	Refresh bool
	Log     *slog.Logger // when set: hit, miss or stale for each indicator

	hits atomic.Int64
}

// CacheMissError is an indicator not in the cache, with --offline.
type CacheMissError struct{ Indicator string }

func (e *CacheMissError) Error() string {
	return e.Indicator + ": not in the cache, and offline"
}
func (e *CacheMissError) ExitCode() int { return 1 }
func (e *CacheMissError) Kind() string  { return "cache miss" }

// Hits is how many queries the cache answered.
func (c *Cache) Hits() int { return int(c.hits.Load()) }

const cacheExt = ".ndjson.gz"

// path is where the answer to ind is kept.
func (c *Cache) path(ind Indicator) string {
	sum := sha256.Sum256([]byte(c.Key + "\x00" + ind.Value))
	return filepath.Join(c.Dir, ind.Value+"."+hex.EncodeToString(sum[:8])+cacheExt)
}

// Query answers from the cache when it can, and otherwise asks the Source,
// keeping a copy of the answer when it came whole.
func (c *Cache) Query(ctx context.Context, ind Indicator, sink Sink) error {
	path := c.path(ind)
	state := "miss"
	if !c.Refresh {
		if fi, err := os.Stat(path); err == nil {
			age := time.Since(fi.ModTime())
			if c.Offline || age <= c.TTL {
				c.log(ind, "hit", "age", age.Round(time.Second))
				c.hits.Add(1)
				return c.replay(ctx, ind, path, sink)
			}
			state = "stale"
		}
	} else {
		state = "refresh"
	}
	c.log(ind, state)
	if c.Offline || c.Source == nil {
		return &CacheMissError{Indicator: ind.Value}
	}
	return c.fill(ctx, ind, path, sink)
}

func (c *Cache) log(ind Indicator, state string, attrs ...any) {
	if c.Log != nil {
		c.Log.Info("cache", append([]any{"indicator", ind.Value, "result", state}, attrs...)...)
	}
}

// replay streams a cached answer, line by line, as the server once sent it.
func (c *Cache) replay(ctx context.Context, ind Indicator, path string, sink Sink) error {
	f, err := os.Open(path)
	if err != nil {
		return &QueryError{Indicator: ind.Value, Err: fmt.Errorf("cache: %w", err)}
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return &QueryError{Indicator: ind.Value, Err: fmt.Errorf("cache: %s: %w", path, err)}
	}
	lines := newLineReader(zr, DefaultMaxRecordBytes)
	for {
		b, err := lines.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &QueryError{Indicator: ind.Value, Err: fmt.Errorf("cache: %s: %w", path, err)}
		}
		if lines.line%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := DecodeRecord(b)
		if err != nil { // only whole, good answers are written: the file was damaged
			return &QueryError{Indicator: ind.Value, Err: fmt.Errorf("cache: %s line %d: %w", path, lines.line, err)}
		}
		if err := sink.Record(rec); err != nil {
			return err
		}
	}
}

// fill asks the Source, passing its records on while writing them to a
// temporary file, which becomes the cached answer if the answer came whole.
func (c *Cache) fill(ctx context.Context, ind Indicator, path string, sink Sink) error {
	w, err := c.create(ind)
	if err != nil { // the cache is a help: without it, the query still goes on
		c.log(ind, "not stored", "error", err.Error())
		return c.Source.Query(ctx, ind, sink)
	}
	defer w.discard()
	whole := true
	err = c.Source.Query(ctx, ind, Sink{
		Record: func(r Record) error {
			if whole {
				w.line(r.Raw)
			}
			return sink.Record(r)
		},
		Problem: func(err error) {
			whole = false // a bad line or a warning: replaying would not say it
			sink.Problem(err)
		},
	})
	if err != nil || !whole {
		return err // not whole (an error, a limit reached): not kept
	}
	if err := w.commit(path); err != nil {
		c.log(ind, "not stored", "error", err.Error())
	}
	return nil
}

// cacheWriter writes an answer to a temporary file in the cache directory.
type cacheWriter struct {
	f   *os.File
	bw  *bufio.Writer
	zw  *gzip.Writer
	err error
}

func (c *Cache) create(ind Indicator) (*cacheWriter, error) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(c.Dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		os.Chmod(c.Dir, 0o700) // the analyst's lookups are for the analyst's eyes
	}
	f, err := os.CreateTemp(c.Dir, ".tmp-*") // 0600
	if err != nil {
		return nil, err
	}
	w := &cacheWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10)}
	w.zw, _ = gzip.NewWriterLevel(w.bw, gzip.BestSpeed)
	w.zw.Name = ind.Value + ".ndjson" // what gunzip -N would restore
	w.zw.ModTime = time.Now()
	return w, nil
}

func (w *cacheWriter) line(s string) {
	if w.err == nil {
		_, w.err = io.WriteString(w.zw, s)
	}
	if w.err == nil {
		_, w.err = w.zw.Write([]byte{'\n'})
	}
}

// commit puts the answer in place, whole, with one rename.
func (w *cacheWriter) commit(path string) error {
	err := w.err
	for _, step := range []func() error{w.zw.Close, w.bw.Flush, w.f.Sync, w.f.Close} {
		if err == nil {
			err = step()
		}
	}
	if err == nil {
		err = os.Rename(w.f.Name(), path)
	}
	if err == nil {
		w.f = nil
	}
	return err
}

// discard removes the temporary file unless it was committed.
func (w *cacheWriter) discard() {
	if w.f != nil {
		w.f.Close()
		os.Remove(w.f.Name())
	}
}

// Prune removes the cached answers older than the TTL (and temporary files
// left by writers that were killed), and says how many it removed.
func (c *Cache) Prune() (int, error) {
	entries, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, cacheExt) && !strings.HasPrefix(name, ".tmp-") {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) <= c.TTL {
			continue
		}
		if err := os.Remove(filepath.Join(c.Dir, name)); err != nil {
			return n, err
		}
		if strings.HasSuffix(name, cacheExt) {
			n++
		}
	}
	return n, nil
}
