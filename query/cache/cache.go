// Package cache keeps whole answers on disk (--cache, --offline), in front
// of another source, and is the one way the command keeps files of its own:
// private directories, files written whole under a lock and never through a
// link, pruning by age (files.go), which the --new state uses too.
package cache

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
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
// half answer to be served. A cached answer is read whole before any of
// its records is passed on: a damaged one is a miss, asked again and
// replaced. The files are 0600, in a directory made 0700 (one that others
// can write to is refused, see Check): what an analyst looked up is
// sensitive.
type Cache struct {
	Dir string
	TTL time.Duration // how old a cached answer may be
	// Key describes what, besides the indicator, makes an answer: the
	// endpoint and the headers that change it (not the credentials).
	Key string
	// Source answers misses; nil with Offline.
	Source pdns.Source
	// Offline answers from the cache only, whatever the age; a miss is an
	// error and nothing is asked of the network.
	Offline bool
	// Refresh ignores cached answers, but stores the new ones.
	Refresh bool
	Log     *slog.Logger // when set: hit, miss or stale for each indicator

	hits atomic.Int64
}

// MissError is an indicator not in the cache, with --offline.
type MissError struct{ Indicator string }

func (e *MissError) Error() string {
	return e.Indicator + ": not in the cache, and offline"
}
func (e *MissError) Failure() pdns.Failure { return pdns.CacheMiss }

// DamagedError is a cached answer that cannot be read whole.
type DamagedError struct {
	Indicator, Path string
	Err             error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s: the cached answer %s is damaged: %v", e.Indicator, e.Path, e.Err)
}
func (e *DamagedError) Unwrap() error         { return e.Err }
func (e *DamagedError) Failure() pdns.Failure { return pdns.CacheDamaged }

// Check makes the cache directory (0700, with its missing parents) if it
// is not there, and refuses one that others can write to: they could plant
// answers. It never changes the mode of a directory it did not make.
func (c *Cache) Check() error { return PrivateDir(c.Dir, "cache directory", "answers") }

// Hits is how many queries the cache answered.
func (c *Cache) Hits() int { return int(c.hits.Load()) }

// The cache's own files: answers, <indicator>.<16 hex digits>.ndjson.gz,
// and temporary files. Nothing else in the directory is touched.
var cacheFileRE = regexp.MustCompile(`^[^/]+\.[0-9a-f]{16}\.ndjson\.gz$`)

// path is where the answer to ind is kept.
func (c *Cache) path(ind pdns.Indicator) string {
	return filepath.Join(c.Dir, FileName(c.Key, ind.Value, ".ndjson.gz"))
}

// Query answers from the cache when it can, and otherwise asks the Source,
// keeping a copy of the answer when it came whole.
func (c *Cache) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	path := c.path(ind)
	state := "miss"
	if !c.Refresh {
		if fi, err := os.Stat(path); err == nil {
			age := time.Since(fi.ModTime())
			if c.Offline || age <= c.TTL {
				err := c.read(ctx, path, 1<<30, nil) // whole, before anything is passed on
				if err == nil {
					c.log(ind, "hit", "age", age.Round(time.Second))
					c.hits.Add(1)
					return c.replay(ctx, ind, path, sink)
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				damaged := &DamagedError{Indicator: ind.Value, Path: path, Err: err}
				if c.Offline {
					return damaged
				}
				sink.Problem(&pdns.Warning{Indicator: ind.Value, Msg: fmt.Sprintf("the cached answer %s is damaged (%v): asking the server again", path, err)})
				state = "damaged"
			} else {
				state = "stale"
			}
		}
	} else {
		state = "refresh"
	}
	c.log(ind, state)
	if c.Offline || c.Source == nil {
		return &MissError{Indicator: ind.Value}
	}
	return c.fill(ctx, ind, path, sink)
}

func (c *Cache) log(ind pdns.Indicator, state string, attrs ...any) {
	if c.Log != nil {
		c.Log.Info("cache", append([]any{"indicator", ind.Value, "result", state}, attrs...)...)
	}
}

// replay streams a cached answer, record by record, as the server once
// sent it. A record over the limit is reported, as it would be from the
// server.
func (c *Cache) replay(ctx context.Context, ind pdns.Indicator, path string, sink pdns.Sink) error {
	err := c.read(ctx, path, sink.MaxRecordBytes, func(rec pdns.Record, bad *pdns.BadRecordError) error {
		if bad != nil {
			sink.Problem(&pdns.RecordError{Indicator: ind.Value, Where: fmt.Sprintf("cache %s line %d", path, bad.Line), Err: bad.Err})
			return nil
		}
		return sink.Record(rec)
	})
	var se sinkError
	if errors.As(err, &se) {
		return se.err
	}
	if err != nil && ctx.Err() == nil {
		return &pdns.QueryError{Indicator: ind.Value, Err: fmt.Errorf("cache: %s: %w", path, err)}
	}
	return err
}

// read reads a cached answer through the record stage, passing each record
// (or record over max) to fn; with fn nil, it only checks the file can be
// read whole: gzip intact to its checksum, every record good.
func (c *Cache) read(ctx context.Context, path string, max int, fn func(pdns.Record, *pdns.BadRecordError) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	switch {
	case err == io.EOF:
		return errors.New("it is empty")
	case err != nil:
		return fmt.Errorf("not gzip: %w", err)
	}
	rr := pdns.NewRecordReader(zr, max)
	for n := 1; ; n++ {
		rec, err := rr.Next()
		var bad *pdns.BadRecordError
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &bad) && fn != nil && errors.As(err, new(*pdns.LineTooLongError)):
			if err := fn(pdns.Record{}, bad); err != nil {
				return sinkError{err}
			}
			continue
		case err == pdns.ErrCut, errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("it ends short")
		case err != nil:
			return err
		}
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if fn != nil {
			if err := fn(rec, nil); err != nil {
				return sinkError{err}
			}
		}
	}
}

// sinkError carries an error of Sink.Record through read.
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }

// fill asks the Source, passing its records on while writing them to a
// temporary file, which becomes the cached answer if the answer came whole.
func (c *Cache) fill(ctx context.Context, ind pdns.Indicator, path string, sink pdns.Sink) error {
	w, err := c.create(ind)
	if err != nil { // the cache is a help: without it, the query still goes on
		c.log(ind, "not stored", "error", err.Error())
		return c.Source.Query(ctx, ind, sink)
	}
	defer w.discard()
	whole := true
	err = c.Source.Query(ctx, ind, pdns.Sink{
		Record: func(r pdns.Record) error {
			if whole {
				w.line(r.Raw)
			}
			return sink.Record(r)
		},
		Problem: func(err error) {
			whole = false // a bad line or a warning: replaying would not say it
			sink.Problem(err)
		},
		MaxRecordBytes: sink.MaxRecordBytes,
	})
	if err != nil || !whole {
		return err // not whole (an error, a limit reached): not kept
	}
	if err := w.commit(path); err != nil {
		c.log(ind, "not stored", "error", err.Error())
	}
	return nil
}

// cacheWriter writes an answer, compressed, to a file put in place whole.
type cacheWriter struct {
	f   *AtomicFile
	bw  *bufio.Writer
	zw  *gzip.Writer
	err error
}

func (c *Cache) create(ind pdns.Indicator) (*cacheWriter, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	f, err := CreateAtomic(c.Dir)
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
	for _, step := range []func() error{w.zw.Close, w.bw.Flush} {
		if err == nil {
			err = step()
		}
	}
	if err == nil {
		err = w.f.Commit(path)
	}
	return err
}

// discard removes the temporary file unless it was committed.
func (w *cacheWriter) discard() { w.f.Discard() }

// Prune removes the cached answers older than the TTL (and temporary files
// left by writers that were killed), and says how many it removed. Only
// files named as the cache names its own are looked at.
func (c *Cache) Prune() (int, error) {
	return Prune(c.Dir, c.TTL, cacheFileRE.MatchString)
}
