package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// ImportStats says what an import did.
type ImportStats struct {
	Read    int   // records read (the refused ones too)
	New     int   // rows added to the store
	Merged  int   // records merged into a row: one already there, or one read before
	Refused int   // bad records, skipped
	Bytes   int64 // bytes read from the dumps (compressed, for a gzip file)
	// Saturated is how many rows' counts reached pdns.MaxCount with this
	// import: their sum stops there.
	Saturated int
}

// Import loads COF dumps into a store, all in one transaction: until
// Commit, queries see the store as it was, and an import that is stopped
// (interrupted, killed, failed) leaves it as it was. Records are merged
// into the rows of the store as they are written (storeSchema), so that
// memory does not grow with the dumps.
type Import struct {
	store *Store
	// MaxRecordBytes bounds a record, as for every source (0 means
	// pdns.DefaultMaxRecordBytes).
	MaxRecordBytes int
	// Problem receives each bad record, which is skipped.
	Problem func(error)
	// Progress, if set, receives the counts every importBatch records.
	Progress func(ImportStats)

	lock      *os.File
	conn      *sql.Conn
	tx        *sql.Tx
	upsert    *sql.Stmt   // importRows rows at a time
	stats     ImportStats // with Bytes of the dumps read whole
	staged    int         // records read since the last count
	maxID     int64       // the largest row id before the batch
	saturated int         // rows whose count was at its largest before the import
	dumpBytes int64       // of the dump being read, so far
	// indexAtEnd: the store was empty; the key indexes are made at the end
	indexAtEnd bool
}

const (
	importBatch   = 10_000 // records between two reports of progress
	importRows    = 100    // rows in one statement
	importColumns = 9
)

// multiKeys are the keys of a record whose rdata array holds more than one
// indicator: they go to the data_keys table.
type multiKeys struct {
	rrname, rrtype, rdata string
	keys                  []string
}

// upsertRecords merges rows into the store: the COF key is unique; the
// times are the earliest and the latest, the counts add up, and the rest
// (the record as first imported) stays.
var upsertRecords = `INSERT INTO records (rrname, rrtype, rdata, time_first, time_last, count, record, name_key, data_key) VALUES %s
 ON CONFLICT (rrname, rrtype, rdata) DO UPDATE SET
   time_first = coalesce(min(records.time_first, excluded.time_first), records.time_first, excluded.time_first),
   time_last = coalesce(max(records.time_last, excluded.time_last), records.time_last, excluded.time_last),
   count = CASE WHEN records.count IS NULL AND excluded.count IS NULL THEN NULL
           WHEN coalesce(records.count, 0) > ` + maxCount + ` - coalesce(excluded.count, 0) THEN ` + maxCount + `
           ELSE coalesce(records.count, 0) + coalesce(excluded.count, 0) END`

// maxCount is pdns.MaxCount in SQL: a sum of counts stops there (counts
// are vetted: none is negative), and stays an INTEGER.
var maxCount = strconv.FormatInt(pdns.MaxCount, 10)

// countSaturated counts the rows whose count is at its largest.
var countSaturated = `SELECT count(*) FROM records WHERE count = ` + maxCount

// BeginImport starts an import into s. Another import into the same store
// is waited for (waiting is called first, if it must wait); queries are not.
func (s *Store) BeginImport(ctx context.Context, waiting func()) (*Import, error) {
	lock, err := os.OpenFile(s.Path+".lock", os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600) // never through a link
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if waiting != nil {
			waiting()
		}
		if err := flockContext(ctx, lock); err != nil {
			return nil, err // and the lock file is closed
		}
	}
	im := &Import{store: s, lock: lock}
	if err := im.begin(ctx); err != nil {
		im.Rollback()
		return nil, err
	}
	return im, nil
}

// flockContext takes the lock, giving up when ctx is done. On an error it
// closes the file: when ctx is done, once the lock comes, which lets it go
// at once (the file is not closed under a flock that waits on it).
func flockContext(ctx context.Context, lock *os.File) error {
	fd := int(lock.Fd())
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(fd, syscall.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			lock.Close()
		}
		return err
	case <-ctx.Done():
		go func() {
			<-done
			lock.Close()
		}()
		return ctx.Err()
	}
}

func (im *Import) begin(ctx context.Context) (err error) {
	if im.conn, err = im.store.db.Conn(ctx); err != nil {
		return err
	}
	if im.tx, err = im.conn.BeginTx(ctx, nil); err != nil {
		return err
	}
	if err := im.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM records`).Scan(&im.maxID); err != nil {
		return err
	}
	if err := im.tx.QueryRowContext(ctx, countSaturated).Scan(&im.saturated); err != nil {
		return err
	}
	if im.maxID == 0 { // an empty store: its key indexes are made at the end
		if _, err := im.tx.ExecContext(ctx, `DROP INDEX records_name_key; DROP INDEX records_data_key`); err != nil {
			return err
		}
		im.indexAtEnd = true
	}
	im.upsert, err = im.tx.PrepareContext(ctx, fmt.Sprintf(upsertRecords, rowsOf(importRows, importColumns)))
	return err
}

// rowsOf is the VALUES of n rows of cols parameters each.
func rowsOf(n, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

// Read imports one dump, named name in messages: COF records in any layout
// the record stage reads, gzip-compressed or not. The records are decoded
// in a goroutine of their own while the store writes the ones before.
func (im *Import) Read(ctx context.Context, name string, r io.Reader) error {
	chunks := make(chan *importChunk, 4)
	stop := make(chan struct{})
	defer close(stop)
	go decodeDump(r, name, im.MaxRecordBytes, chunks, stop) // it alone reads r
	defer func() { im.stats.Bytes += im.dumpBytes; im.dumpBytes = 0 }()
	for {
		var c *importChunk
		select {
		case c = <-chunks:
		case <-ctx.Done(): // even while the dump is waited for
			return ctx.Err() // and the transaction is rolled back
		}
		if c == nil {
			return nil
		}
		im.dumpBytes = c.bytes
		for _, p := range c.problems {
			if im.Problem != nil {
				im.Problem(p)
			}
		}
		im.stats.Read += c.read
		im.stats.Refused += len(c.problems)
		if err := ctx.Err(); err != nil {
			return err // and the transaction is rolled back
		}
		if err := im.write(ctx, c); err != nil {
			return err
		}
		if c.err != nil {
			return c.err
		}
	}
}

// importChunk is up to importRows records of a dump, ready to write.
type importChunk struct {
	rows     []any // importColumns a row
	multi    []multiKeys
	problems []error // bad records, skipped
	read     int     // records read, bad ones too
	bytes    int64   // of the dump read so far (compressed, for gzip)
	err      error   // what ended the dump early
}

// decodeDump reads the records of a dump (gzip-compressed or not) into
// chunks, until its end or until stop is closed.
func decodeDump(r io.Reader, name string, max int, chunks chan<- *importChunk, stop <-chan struct{}) {
	defer close(chunks)
	counted := &countingReader{r: r}
	c := &importChunk{}
	send := func() bool {
		c.bytes = counted.n
		select {
		case chunks <- c:
			c = &importChunk{}
			return true
		case <-stop:
			return false
		}
	}
	br := bufio.NewReaderSize(counted, 64<<10)
	var in io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			c.err = fmt.Errorf("%s: %w", name, err)
			send()
			return
		}
		defer zr.Close()
		in = zr
	}
	rr := pdns.NewRecordReader(in, max)
	for {
		rec, err := rr.Next()
		var bad *pdns.BadRecordError
		switch {
		case err == io.EOF:
			send()
			return
		case errors.As(err, &bad): // over-long ones too
			c.read++
			c.problems = append(c.problems, &pdns.RecordError{Indicator: name, Where: fmt.Sprintf("line %d", bad.Line), Err: bad.Err})
			continue
		case err != nil:
			c.err = dumpError(name, err)
			send()
			return
		}
		c.read++
		if err := c.add(&rec); err != nil {
			c.err = err
			send()
			return
		}
		if len(c.rows) == importRows*importColumns && !send() {
			return
		}
	}
}

// add makes the row of one record.
func (c *importChunk) add(r *pdns.Record) error {
	var nameKey, dataKey any
	if n := pdns.IndicatorOf(r.RRName); n != "" {
		nameKey = storeKey(n)
	}
	var keys []string
	for _, v := range r.RData {
		if n := pdns.IndicatorOf(v); n != "" {
			keys = append(keys, storeKey(n))
		}
	}
	rdata, err := r.RDataJSON()
	if err != nil {
		return err
	}
	switch len(keys) {
	case 0:
	case 1:
		dataKey = keys[0]
	default: // an array with several: rows of their own
		c.multi = append(c.multi, multiKeys{r.RRName, r.RRType, rdata, keys})
	}
	c.rows = append(c.rows, r.RRName, r.RRType, rdata, number(r, "time_first"), number(r, "time_last"), number(r, "count"), r.JSON(), nameKey, dataKey)
	return nil
}

// write writes a chunk into the store, and says the progress every
// importBatch records.
func (im *Import) write(ctx context.Context, c *importChunk) error {
	if n := len(c.rows) / importColumns; n == importRows {
		if _, err := im.upsert.ExecContext(ctx, c.rows...); err != nil {
			return err
		}
	} else if n > 0 {
		if _, err := im.tx.ExecContext(ctx, fmt.Sprintf(upsertRecords, rowsOf(n, importColumns)), c.rows...); err != nil {
			return err
		}
	}
	for _, m := range c.multi {
		for _, key := range m.keys {
			if _, err := im.tx.ExecContext(ctx, `INSERT OR IGNORE INTO data_keys (key, record)
			 SELECT ?, id FROM records WHERE rrname = ? AND rrtype = ? AND rdata = ?`, key, m.rrname, m.rrtype, m.rdata); err != nil {
				return err
			}
		}
	}
	if im.staged += c.read; im.staged >= importBatch {
		return im.count(ctx)
	}
	return nil
}

// number is the numeric member key of r, or nil when it was not given.
func number(r *pdns.Record, key string) any {
	if n, ok := r.Number(key); ok {
		return n
	}
	return nil
}

// countingReader counts the bytes read through it: the progress of an
// import, in the bytes of the dump (compressed, for gzip).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// count counts the rows added, and says the progress.
func (im *Import) count(ctx context.Context) error {
	var maxID int64
	if err := im.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM records`).Scan(&maxID); err != nil {
		return err
	}
	im.stats.New += int(maxID - im.maxID)
	im.maxID = maxID
	im.stats.Merged = im.stats.Read - im.stats.Refused - im.stats.New // everything read is written now
	im.staged = 0
	if im.Progress != nil {
		im.Progress(im.Stats())
	}
	return nil
}

// Stats are the counts so far.
func (im *Import) Stats() ImportStats {
	st := im.stats
	st.Bytes += im.dumpBytes
	return st
}

// Commit merges what is staged and makes the import visible.
func (im *Import) Commit(ctx context.Context) (ImportStats, error) {
	defer im.Rollback()
	if err := im.count(ctx); err != nil {
		return im.stats, err
	}
	var saturated int
	if err := im.tx.QueryRowContext(ctx, countSaturated).Scan(&saturated); err != nil {
		return im.stats, err
	}
	im.stats.Saturated = saturated - im.saturated
	if im.indexAtEnd {
		// sorted in temporary files, not in memory: a store of any size
		if _, err := im.tx.ExecContext(ctx, `PRAGMA temp_store = FILE; `+storeKeyIndexes+`; PRAGMA temp_store = MEMORY`); err != nil {
			return im.stats, err
		}
	}
	if err := im.tx.Commit(); err != nil {
		return im.stats, err
	}
	return im.stats, nil
}

// Rollback ends an import, leaving the store as it was if it was not
// committed, and lets the next import in.
func (im *Import) Rollback() {
	if im.upsert != nil {
		im.upsert.Close()
	}
	if im.tx != nil {
		im.tx.Rollback()
	}
	if im.conn != nil {
		im.conn.Close()
	}
	if im.lock != nil {
		im.lock.Close() // and its lock
		im.lock = nil
	}
}
