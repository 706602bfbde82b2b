package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/circl-pdns/circl-pdns/query/cache"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// ImportStats says what an import did.
type ImportStats struct {
	Read    int // records read (the refused ones too)
	New     int // rows added to the store
	Merged  int // records merged into a row: one already there, or one read before
	Refused int // bad records, skipped
	// BadLines are the lines of logs that could not be read, or whose
	// answers were refused: skipped.
	BadLines int
	Bytes    int64 // bytes read from the dumps (compressed, for a gzip file)
	// Saturated is how many rows' counts reached pdns.MaxCount with this
	// import: their sum stops there.
	Saturated int
}

// Import loads COF dumps and DNS logs into a store. Until Commit, queries
// see the store as it was, and an import that is stopped (interrupted,
// killed, failed) leaves it as it was. The inputs are read, their records
// made, in goroutines of their own while the store's engine writes the
// records before them, merging them as passive DNS stores do.
type Import struct {
	store *Store
	imp   importer
	// MaxRecordBytes bounds a record, as for every source (0 means
	// pdns.DefaultMaxRecordBytes).
	MaxRecordBytes int
	// Problem receives each bad record, which is skipped.
	Problem func(error)
	// Progress, if set, receives the counts as the inputs are read.
	Progress func(ImportStats)
	// Format is the format of the inputs; FormatUnknown (the default):
	// each is recognised by its content.
	Format pdns.InputFormat
	// SensorID, if set, is the sensor_id of the records made of logs.
	SensorID string
	// Done, if set, receives what each input held once it is read.
	Done func(InputStats)

	stats     ImportStats // with Bytes of the inputs read whole
	staged    int         // records written since progress was last said
	dumpBytes int64       // of the input being read, so far
	wrote     bool        // records of the input being read were written
}

// importer is an engine's side of an import: what it remembers of the
// inputs imported before, and the writing of records.
type importer interface {
	// marks are the earlier imports of texts of format that begin with head.
	marks(ctx context.Context, head []byte, format string) ([]*mark, error)
	// remember notes what this import read of a text, to be known once
	// the import is committed.
	remember(ctx context.Context, head []byte, points []point, in Input, format string) error
	// write writes records, merging them into the store's.
	write(ctx context.Context, rows []storeRow) error
	// commit makes the import visible, and says what it added.
	commit(ctx context.Context, st *ImportStats) error
	// rollback ends the import, leaving the store as it was if it was
	// not committed.
	rollback()
}

// storeRow is one record as an engine writes it.
type storeRow struct {
	rrname, rrtype string
	rdata          string // the rdata member as JSON: a string, or an array
	first, last    int64  // 0: not given
	count          int64
	hasCount       bool
	record         string   // the record as imported, compact JSON
	extra          string   // its other members (extraOf), for an engine that keeps them apart
	nameKey        string   // rrname as an indicator, labels reversed; "" if it is none
	dataKeys       []string // the rdata values that are indicators, labels reversed
}

// BeginImport starts an import into s. Another import into the same store
// may be waited for (waiting is called first, if it must wait); queries are
// not.
func (s *Store) BeginImport(ctx context.Context, waiting func()) (*Import, error) {
	imp, err := s.e.begin(ctx, waiting)
	if err != nil {
		return nil, err
	}
	return &Import{store: s, imp: imp}, nil
}

const (
	importBatch = 10_000 // records between two reports of progress
	importRows  = 100    // records in one chunk
)

// Input is one input of an import: a COF dump or a DNS log.
type Input struct {
	Name string // for messages
	R    io.Reader
	File string // the file's identity (device:inode), or "" for standard input
}

// InputStats say what one input held and what was done with it.
type InputStats struct {
	Name    string
	Format  pdns.LogFormat
	Log     pdns.LogStats // a log's lines, and what of them was not stored
	Records int           // records read (a dump), records made of the observations (a log); refused ones too
	Refused int           // bad records, bad lines
	Text    int64         // bytes of its text (after gzip)
	Before  int64         // of them, read by an earlier import: skipped
	Held    int           // bytes of a last line without its end, left for the next import
	Again   bool          // all of it was imported before: nothing was done
	Since   string        // the earlier import it extends or repeats: its name
}

// InputError is an input given up on: nothing of it was imported, and the
// import goes on with the others.
type InputError struct {
	Name string
	Err  error
}

func (e *InputError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Read imports one input, named name in messages (ReadInput).
func (im *Import) Read(ctx context.Context, name string, r io.Reader) error {
	return im.ReadInput(ctx, Input{Name: name, R: r})
}

// ReadInput imports one input: a COF dump in any layout the record stage
// reads, or a DNS log (Zeek, Suricata, passivedns), told apart by their
// content (Format forces one); gzip-compressed or not. An input that
// cannot be read, found before any of its records was written (not a
// format it knows, a log cut short while what it made was still merged in
// memory), is an *InputError: nothing of it is imported, and the import
// can go on. Any other error ends the import, which leaves the store as it
// was. An input the store imported before is skipped, and a log that has
// grown since is read from where the last import stopped (memory.go).
//
// (A savepoint an input would let every error leave nothing of it, but
// SQLite keeps what a savepoint may restore in memory: 1.7 GB to merge a
// dump of 1,000,000 records into a full store.)
func (im *Import) ReadInput(ctx context.Context, in Input) (err error) {
	im.wrote = false
	st, err := im.read(ctx, in)
	im.stats.Bytes += im.dumpBytes
	im.dumpBytes = 0
	var ie *InputError
	if errors.As(err, &ie) && im.wrote {
		err = ie.Err // some of it is written: the import cannot go on without the rest
		err = fmt.Errorf("%s: %w", in.Name, err)
	}
	if err == nil && im.Done != nil {
		im.Done(st)
	}
	return err
}

// read reads one input; an error of the input itself is an *InputError.
func (im *Import) read(ctx context.Context, in Input) (st InputStats, err error) {
	st.Name = in.Name
	inputErr := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ie *InputError
		if errors.As(err, &ie) {
			return err
		}
		return &InputError{Name: in.Name, Err: err}
	}
	again, start := rereadable(in.R)
	rec := &recorder{r: in.R, on: again == nil} // what is read before the format is known
	counted, text, closeText, err := openText(rec)
	if err != nil {
		return st, inputErr(err)
	}
	defer func() { closeText() }()
	c, err := newContent(text)
	if err != nil {
		return st, inputErr(err)
	}
	format := im.Format
	if format.Format == pdns.FormatUnknown {
		if format.Format, err = pdns.SniffLog(c.head); err != nil {
			return st, inputErr(err)
		}
	}
	st.Format = format.Format
	marks, err := im.imp.marks(ctx, c.head, format.Format.String())
	if err != nil {
		return st, err
	}
	c.lines = format.Format != pdns.FormatCOF
	if c.lines {
		c.resume(marks)
	} else if len(marks) > 0 {
		// a dump that begins as one imported before: is it that dump,
		// whole? Its digest says, before anything is parsed. Then it is
		// read again from its start: the file, or what was read of
		// standard input, kept in an unnamed temporary file.
		if again == nil {
			f, err := cache.CreateUnnamed()
			if err != nil {
				return st, err
			}
			defer f.Close()
			if err := rec.to(f); err != nil {
				return st, err
			}
			again = f
		}
		m, err := sameText(c, marks)
		switch {
		case err == nil && rec.err != nil:
			return st, rec.err // the temporary file could not be written
		case err != nil:
			return st, inputErr(err)
		case m != nil:
			st.Text, st.Before, st.Again, st.Since = c.off, c.off, true, m.name
			im.dumpBytes = counted.n.Load()
			return st, nil
		}
		if _, err := again.Seek(start, io.SeekStart); err != nil {
			return st, inputErr(err)
		}
		closeText()
		if counted, text, closeText, err = openText(again); err != nil {
			return st, inputErr(err)
		}
		if c, err = newContent(text); err != nil {
			return st, inputErr(err)
		}
	}
	rec.stop()
	progress := func() { im.dumpBytes = counted.n.Load() }
	if format.Format == pdns.FormatCOF {
		err = im.readDump(ctx, in.Name, c, &st, progress)
	} else {
		err = im.readLog(ctx, in.Name, c, format, &st, progress)
	}
	if err != nil {
		return st, inputErr(err)
	}
	points := c.end()
	st.Text, st.Before, st.Held = c.off, c.done, c.tail
	for _, m := range marks {
		if format.Format == pdns.FormatCOF && m.end() == c.off && m.points[len(m.points)-1] == points[len(points)-1] {
			c.done, c.since = c.off, m // the same dump, whole
		}
	}
	if c.since != nil {
		st.Since = c.since.name
	}
	if st.Before = c.done; c.off == c.done && c.off > 0 {
		st.Again = true // nothing new: nothing to remember either
		return st, nil
	}
	if c.off == 0 {
		return st, nil
	}
	return st, im.imp.remember(ctx, c.head, points, in, format.Format.String())
}

// openText is the text of the input r: r itself, or what it decompresses
// to when it is gzip; counted counts the bytes read of r.
func openText(r io.Reader) (counted *countingReader, text io.Reader, close func() error, err error) {
	counted = &countingReader{r: r}
	br := bufio.NewReaderSize(counted, 64<<10)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return counted, zr, zr.Close, nil
	}
	return counted, br, func() error { return nil }, nil
}

// rereadable is r, and where it is, when it can be read again from there:
// a regular file (standard input too, when it is one), or a reader in
// memory; nil for a pipe.
func rereadable(r io.Reader) (io.ReadSeeker, int64) {
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			return nil, 0
		}
	}
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		return nil, 0
	}
	at, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0
	}
	return rs, at
}

// recorder keeps what is read through it: in memory until to gives it a
// file, and nothing once stopped.
type recorder struct {
	r   io.Reader
	on  bool
	buf []byte
	w   io.Writer
	err error // of writing to w
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	switch {
	case !r.on:
	case r.w != nil:
		if _, werr := r.w.Write(p[:n]); werr != nil && r.err == nil {
			r.err = werr
		}
	default:
		r.buf = append(r.buf, p[:n]...)
	}
	return n, err
}

// to writes what was kept to w, and what is read from now on.
func (r *recorder) to(w io.Writer) error {
	if _, err := w.Write(r.buf); err != nil {
		return err
	}
	r.buf, r.w, r.on = nil, w, true
	return nil
}

func (r *recorder) stop() { r.on, r.buf, r.w = false, nil, nil }

// sameText reads the rest of c, hashing it, and returns the earlier
// import of the same whole text, if there is one.
func sameText(c *content, marks []*mark) (*mark, error) {
	for {
		if _, err := c.next(0); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
	}
	end := c.end()
	for _, m := range marks {
		if m.points[len(m.points)-1] == end[len(end)-1] {
			return m, nil
		}
	}
	return nil, nil
}

// readDump reads a COF dump: its records decoded in a goroutine of their
// own while the store writes the ones before.
func (im *Import) readDump(ctx context.Context, name string, c *content, st *InputStats, progress func()) error {
	chunks := make(chan *importChunk, 4)
	stop := make(chan struct{})
	defer close(stop)
	go decodeDump(&contentReader{c: c, max: im.maxRecordBytes()}, name, im.MaxRecordBytes, im.newChunker(chunks, stop))
	return im.drain(ctx, chunks, st, progress)
}

// drain writes the chunks of one input until the last.
func (im *Import) drain(ctx context.Context, chunks <-chan *importChunk, st *InputStats, progress func()) error {
	for {
		var c *importChunk
		select {
		case c = <-chunks:
		case <-ctx.Done(): // even while the input is waited for
			return ctx.Err() // and the transaction is rolled back
		}
		if c == nil {
			return nil
		}
		progress()
		if im.Progress != nil && len(c.rows) == 0 { // a log being read: what it has read so far
			im.Progress(im.Stats())
		}
		for _, p := range c.problems {
			if im.Problem != nil {
				im.Problem(p)
			}
		}
		im.stats.Read += c.read
		im.stats.Refused += c.refused
		st.Records += c.read
		st.Refused += c.refused
		if err := ctx.Err(); err != nil {
			return err // and the transaction is rolled back
		}
		if err := im.write(ctx, c); err != nil {
			return err
		}
		im.wrote = im.wrote || len(c.rows) > 0
		if c.err != nil {
			return c.err
		}
	}
}

func (im *Import) maxRecordBytes() int {
	if im.MaxRecordBytes > 0 {
		return im.MaxRecordBytes
	}
	return pdns.DefaultMaxRecordBytes
}

// contentReader reads the text of a dump block by block.
type contentReader struct {
	c    *content
	max  int
	rest []byte
}

func (r *contentReader) Read(p []byte) (int, error) {
	for len(r.rest) == 0 {
		b, err := r.c.next(r.max)
		if err != nil {
			return 0, err
		}
		r.rest = b.data
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}

// importChunk is up to importRows records of an input, ready to write.
type importChunk struct {
	extra    bool // the rows need their extra
	rows     []storeRow
	problems []error // bad records (or bad lines of a log), skipped
	read     int     // records read, bad ones too
	refused  int     // bad records
	err      error   // what ended the input early
}

// chunker fills a chunk (c) and sends it, until stop is closed.
type chunker struct {
	c    *importChunk
	out  chan<- *importChunk
	stop <-chan struct{}
}

// newChunker is the chunker of an input of im.
func (im *Import) newChunker(out chan<- *importChunk, stop <-chan struct{}) *chunker {
	extra := false
	if e, ok := im.imp.(interface{ extraMembers() bool }); ok {
		extra = e.extraMembers()
	}
	return &chunker{c: &importChunk{extra: extra}, out: out, stop: stop}
}

// send sends the chunk, and starts another; false if the import stopped.
func (k *chunker) send() bool {
	select {
	case k.out <- k.c:
		k.c = &importChunk{extra: k.c.extra}
		return true
	case <-k.stop:
		return false
	}
}

// decodeDump reads the records of a dump into chunks, until its end or
// until stop is closed.
func decodeDump(r io.Reader, name string, maxBytes int, k *chunker) {
	defer close(k.out)
	// The records are read here, in order; their rows are made by
	// workers, a chunk each, and the chunks sent in order: on two cores a
	// chunk is made while the next is read.
	type job struct {
		c    *importChunk
		recs []pdns.Record
		done chan struct{}
	}
	jobs, ordered := make(chan *job, 8), make(chan *job, 8)
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				for i := range j.recs {
					if err := j.c.add(&j.recs[i]); err != nil && j.c.err == nil {
						j.c.err = err
					}
				}
				close(j.done)
			}
		}()
	}
	sent := make(chan bool, 1) // the sender's end: whether every chunk was sent
	go func() {
		ok := true
		for j := range ordered {
			<-j.done
			if ok {
				k.c = j.c
				ok = k.send() && j.c.err == nil
			}
		}
		sent <- ok
	}()
	defer func() {
		close(jobs)
		close(ordered)
		wg.Wait()
		<-sent
	}()
	c := &importChunk{extra: k.c.extra}
	var recs []pdns.Record
	hand := func() {
		j := &job{c: c, recs: recs, done: make(chan struct{})}
		ordered <- j
		jobs <- j
		c, recs = &importChunk{extra: c.extra}, nil
	}
	rr := pdns.NewRecordReader(r, maxBytes)
	for {
		rec, err := rr.Next()
		var bad *pdns.BadRecordError
		switch {
		case err == io.EOF:
			hand()
			return
		case errors.As(err, &bad): // over-long ones too
			c.read++
			c.refused++
			c.problems = append(c.problems, &pdns.RecordError{Indicator: name, Where: fmt.Sprintf("line %d", bad.Line), Err: bad.Err})
			continue
		case err != nil:
			c.err = fileError(err) // the input is named by InputError
			hand()
			return
		}
		c.read++
		recs = append(recs, rec)
		if len(recs) == importRows {
			select {
			case <-k.stop:
				return
			default:
			}
			hand()
		}
	}
}

// add makes the row of one record.
func (c *importChunk) add(r *pdns.Record) error {
	rdata, err := r.RDataJSON()
	if err != nil {
		return err
	}
	row := storeRow{rrname: r.RRName, rrtype: r.RRType, rdata: rdata, record: r.JSON()}
	if c.extra {
		row.extra = extraOf(r)
	}
	row.first, _ = r.Number("time_first")
	row.last, _ = r.Number("time_last")
	row.count, row.hasCount = r.Number("count")
	if n := pdns.IndicatorOf(r.RRName); n != "" {
		row.nameKey = storeKey(n)
	}
	for _, v := range r.RData {
		if n := pdns.IndicatorOf(v); n != "" {
			if k := storeKey(n); !slices.Contains(row.dataKeys, k) {
				row.dataKeys = append(row.dataKeys, k)
			}
		}
	}
	if c.rows == nil {
		c.rows = make([]storeRow, 0, importRows)
	}
	c.rows = append(c.rows, row)
	return nil
}

// write writes a chunk into the store, and says the progress every
// importBatch records.
func (im *Import) write(ctx context.Context, c *importChunk) error {
	if len(c.rows) > 0 {
		if err := im.imp.write(ctx, c.rows); err != nil {
			return err
		}
	}
	if im.staged += c.read; im.staged >= importBatch {
		im.staged = 0
		if im.Progress != nil {
			im.Progress(im.Stats())
		}
	}
	return nil
}

// countingReader counts the bytes read through it: the progress of an
// import, in the bytes of the dump (compressed, for gzip).
type countingReader struct {
	r io.Reader
	n atomic.Int64 // read by the goroutine that writes, while another reads
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Stats are the counts so far.
func (im *Import) Stats() ImportStats {
	st := im.stats
	st.Bytes += im.dumpBytes
	return st
}

// Commit makes the import visible, and says what it did.
func (im *Import) Commit(ctx context.Context) (ImportStats, error) {
	defer im.Rollback()
	err := im.imp.commit(ctx, &im.stats)
	return im.stats, err
}

// Rollback ends an import, leaving the store as it was if it was not
// committed, and lets the next import in.
func (im *Import) Rollback() { im.imp.rollback() }
