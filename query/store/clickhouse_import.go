package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
)

// chImport is an import into a ClickHouse store. Its rows go to the
// servers as they are made, in RowBinary, through a few INSERTs a table at
// once (a server parses one INSERT on one core: two take in twice as many
// rows a second), tagged with the import's id. Commit waits for them all, then
// writes the import's rows of imports: from then on, and not before, the
// rows count.
type chImport struct {
	s       *chStore
	id      uint64 // random: the rows' import
	ordinal uint64 // the order of this import among the store's
	seq     uint64 // rows written so far
	ctx     context.Context
	cancel  context.CancelFunc
	tables  [2]chTable // records, data_keys
	wrote   bool
	done    bool     // committed
	read    []chMark // the texts read, to be remembered
}

// chMark is what the import read of one text, to be remembered.
type chMark struct {
	head   []byte
	points []point
	in     Input
	format string
}

// chTable is where the rows of one table go: the INSERTs into it.
type chTable struct {
	insert  string // the query
	streams []*chStream
	next    int    // the stream the next buffer goes to
	buf     []byte // rows not yet handed to a stream
}

// chStream is one INSERT of an import, fed buffers of rows.
type chStream struct {
	bufs chan []byte
	done chan error // the INSERT's end
}

const chBuffer = 1 << 20 // bytes of rows handed to an INSERT at once

func (s *chStore) begin(ctx context.Context, _ func()) (importer, error) {
	if err := s.makeSchema(ctx); err != nil {
		return nil, err
	}
	var last uint64
	if err := s.c.scan(ctx, fmt.Sprintf(`SELECT max(ordinal) FROM %s.imports`, s.db), func(r *rowReader) { last = r.u64() }); err != nil {
		return nil, err
	}
	var id [8]byte
	rand.Read(id[:])
	im := &chImport{s: s, id: binary.LittleEndian.Uint64(id[:]) >> 1, ordinal: last + 1}
	im.tables[0].insert = fmt.Sprintf(`INSERT INTO %s.records (name_key, rrname, rrtype, rdata, time_first, time_last, count, has_count, extra, seq, import) FORMAT RowBinary`, s.db)
	im.tables[1].insert = fmt.Sprintf(`INSERT INTO %s.data_keys (key, name_key, rrname, rrtype, rdata, import) FORMAT RowBinary`, s.db)
	im.ctx, im.cancel = context.WithCancel(context.Background())
	return im, nil
}

// start starts the INSERTs into a table.
func (t *chTable) start(im *chImport) {
	n := min(max(runtime.GOMAXPROCS(0), 1), 4)
	for range n {
		st := &chStream{bufs: make(chan []byte, 2), done: make(chan error, 1)}
		t.streams = append(t.streams, st)
		go func() {
			st.done <- im.s.c.exec(im.ctx, t.insert, &chanReader{c: st.bufs, stop: im.ctx.Done()})
		}()
	}
}

// chanReader reads the buffers sent on c, until it is closed (the end),
// or until stop is (the import was stopped: an error, which ends the
// INSERT without its end).
type chanReader struct {
	c    chan []byte
	stop <-chan struct{}
	rest []byte
}

var errStoppedImport = errors.New("the import was stopped")

func (r *chanReader) Read(p []byte) (int, error) {
	for len(r.rest) == 0 {
		select {
		case b, ok := <-r.c:
			if !ok {
				return 0, io.EOF
			}
			r.rest = b
		case <-r.stop:
			return 0, errStoppedImport
		}
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}

func (im *chImport) write(ctx context.Context, rows []storeRow) error {
	for i := range im.tables {
		if im.tables[i].buf == nil { // as large as it will be: never grown
			im.tables[i].buf = make([]byte, 0, chBuffer+chBuffer/4)
		}
	}
	w, k := rowWriter{b: im.tables[0].buf}, rowWriter{b: im.tables[1].buf}
	for _, r := range rows {
		w.str(r.nameKey)
		w.str(r.rrname)
		w.str(r.rrtype)
		w.str(r.rdata)
		w.u64(uint64(r.first))
		w.u64(uint64(r.last))
		w.u64(uint64(r.count))
		w.u8(r.hasCount)
		w.str(r.extra)
		w.u64(im.ordinal<<32 | im.seq)
		w.u64(im.id)
		im.seq++
		for _, key := range r.dataKeys {
			k.str(key)
			k.str(r.nameKey)
			k.str(r.rrname)
			k.str(r.rrtype)
			k.str(r.rdata)
			k.u64(im.id)
		}
	}
	im.tables[0].buf, im.tables[1].buf = w.b, k.b
	for i := range im.tables {
		if len(im.tables[i].buf) >= chBuffer {
			if err := im.flush(ctx, &im.tables[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush hands the rows of a table not yet sent to its next INSERT.
func (im *chImport) flush(ctx context.Context, t *chTable) error {
	if len(t.buf) == 0 {
		return nil
	}
	if t.streams == nil {
		t.start(im)
	}
	st := t.streams[t.next%len(t.streams)]
	t.next++
	select {
	case st.bufs <- t.buf:
		t.buf, im.wrote = nil, true
		return nil
	case err := <-st.done: // it ended before its rows: an error
		if err == nil {
			err = errors.New("clickhouse: an INSERT ended early")
		}
		st.done <- err
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// marks are the earlier imports of texts of format that begin with head:
// the committed ones, and this one's.
func (im *chImport) marks(ctx context.Context, head []byte, format string) ([]*mark, error) {
	sum, _ := headOf(head)
	q := fmt.Sprintf(`SELECT head, head_len, points, name, imported_at FROM %s.imports WHERE (head = unhex('%s') OR head_len < %d) AND format = %s`,
		im.s.db, hex.EncodeToString(sum), headBytes, quote(format))
	var marks []*mark
	err := im.s.c.scan(ctx, q, func(r *rowReader) {
		h, n, points, name, at := r.str(), r.u32(), r.str(), r.str(), r.u64()
		if m := newMark(head, []byte(h), int(n), []byte(points), name, int64(at)); m != nil && r.err == nil {
			marks = append(marks, m)
		}
	})
	for _, m := range im.read {
		h, n := headOf(m.head)
		if m.format == format {
			if mk := newMark(head, h, n, encodePoints(m.points), m.in.Name, time.Now().Unix()); mk != nil {
				marks = append(marks, mk)
			}
		}
	}
	return marks, err
}

// extraMembers: the rows need the records' other members apart (extraOf).
func (im *chImport) extraMembers() bool { return true }

func (im *chImport) remember(_ context.Context, head []byte, points []point, in Input, format string) error {
	im.read = append(im.read, chMark{head, points, in, format})
	return nil
}

// commit waits for the INSERTs, then writes the import's rows of imports,
// which make its records count.
func (im *chImport) commit(ctx context.Context, st *ImportStats) error {
	for i := range im.tables {
		if err := im.flush(ctx, &im.tables[i]); err != nil {
			return err
		}
	}
	for _, t := range im.tables {
		for _, s := range t.streams {
			close(s.bufs)
		}
	}
	for _, t := range im.tables {
		for _, s := range t.streams {
			if err := <-s.done; err != nil {
				return err
			}
		}
	}
	if !im.wrote && len(im.read) == 0 {
		im.done = true
		return nil
	}
	w := rowWriter{}
	row := func(head []byte, headLen int, points []point, in Input, format string) {
		w.u64(im.id)
		w.u64(im.ordinal)
		w.str(string(head))
		w.u32(uint32(headLen))
		var end int64
		if len(points) > 0 {
			end = points[len(points)-1].off
		}
		w.u64(uint64(end))
		w.str(string(encodePoints(points)))
		w.str(in.Name)
		w.str(in.File)
		w.str(format)
		w.u64(uint64(time.Now().Unix()))
	}
	for _, m := range im.read {
		sum, n := headOf(m.head)
		row(sum, n, m.points, m.in, m.format)
	}
	if len(im.read) == 0 { // records, but no text to remember: the import still counts
		row(nil, 0, nil, Input{}, "")
	}
	q := fmt.Sprintf(`INSERT INTO %s.imports (id, ordinal, head, head_len, bytes, points, name, file, format, imported_at) FORMAT RowBinary`, im.s.db)
	if err := im.s.c.exec(ctx, q, bytes.NewReader(w.b)); err != nil {
		return err
	}
	im.done = true
	return nil
}

// rollback stops the INSERTs of an import not committed, and deletes what
// they wrote (which no query counts anyway) as best it can.
func (im *chImport) rollback() {
	if im.done {
		return
	}
	im.done = true
	im.cancel()
	var wg sync.WaitGroup
	for _, t := range im.tables {
		for _, s := range t.streams {
			wg.Add(1)
			go func() { defer wg.Done(); <-s.done }()
		}
	}
	wg.Wait()
	if !im.wrote {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, h := range im.s.hosts {
		for _, t := range []string{"records", "data_keys"} {
			im.s.c.on(h).exec(ctx, fmt.Sprintf(`ALTER TABLE %s.%s%s DELETE WHERE import = %d`, im.s.db, t, im.s.local, im.id), nil)
		}
	}
}
