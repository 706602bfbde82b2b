package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// The store remembers what it imported, so that importing the same input
// twice never counts its records twice, and a log that has grown since is
// imported from where the last import stopped.
//
// It remembers contents, not file names: the text of an input (after gzip)
// is known by the SHA-256 of its first headBytes bytes, and each import
// notes how far it read and the SHA-256 of the text up to there, and of
// the text up to checkpoints on the way (a log's first line end after
// every checkpointEvery bytes). An input whose text begins as an earlier
// one's did, up to one of its checkpoints or its end, was imported up to
// there: what follows, and only that, is imported. A rotated log, renamed
// and compressed, is still the log it was. The file's name and identity
// (device and inode) are kept for people (and for sqlite3).
//
// In SQLite, the imports table:
const importsSchema = `
CREATE TABLE IF NOT EXISTS imports (
  id          INTEGER PRIMARY KEY,
  head        BLOB NOT NULL,    -- SHA-256 of the first head_len bytes of the text
  head_len    INTEGER NOT NULL, -- 4096, or the whole text when it is shorter
  bytes       INTEGER NOT NULL, -- the text read, up to the end of its last whole line
  points      BLOB NOT NULL,    -- checkpoints: 8 bytes of offset, 32 of SHA-256, each; the last at bytes
  name        TEXT NOT NULL,    -- the file as given, or "standard input"
  file        TEXT,             -- device:inode of the file
  format      TEXT NOT NULL,
  imported_at INTEGER NOT NULL  -- epoch seconds
);
CREATE INDEX IF NOT EXISTS imports_head ON imports (head);
`

const headBytes = 4096

// checkpointEvery is the distance between checkpoints: 1 MB (the tests
// make it smaller, to test many on small logs).
var checkpointEvery int64 = 1 << 20

// point is the digest of a text up to an offset.
type point struct {
	off int64
	sum [sha256.Size]byte
}

// mark is what an earlier import read of a text.
type mark struct {
	name   string
	at     time.Time
	points []point // ascending; the last is where it stopped
	next   int     // the next point this text is to be checked at
}

// end is where the import stopped.
func (m *mark) end() int64 { return m.points[len(m.points)-1].off }

// headOf is what an import notes of the head of a text: the SHA-256 of
// its first headBytes bytes (or of all of it, shorter), and their number.
func headOf(head []byte) (sum []byte, n int) {
	n = min(len(head), headBytes)
	return sumOf(head[:n]), n
}

// newMark is the mark of an import noted as a head (sum, n) and points,
// for a text that begins with head; nil if that text is another.
func newMark(head, sum []byte, n int, points []byte, name string, at int64) *mark {
	if n > len(head) || !bytes.Equal(sum, sumOf(head[:n])) {
		return nil // a text that this one does not begin with
	}
	m := &mark{name: name, at: time.Unix(at, 0), points: decodePoints(points)}
	if len(m.points) == 0 {
		return nil
	}
	return m
}

func sumOf(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func encodePoints(points []point) []byte {
	b := make([]byte, 0, len(points)*(8+sha256.Size))
	for _, p := range points {
		b = binary.BigEndian.AppendUint64(b, uint64(p.off))
		b = append(b, p.sum[:]...)
	}
	return b
}

func decodePoints(b []byte) []point {
	const size = 8 + sha256.Size
	if len(b)%size != 0 {
		return nil // not ours: no mark
	}
	points := make([]point, 0, len(b)/size)
	for ; len(b) > 0; b = b[size:] {
		p := point{off: int64(binary.BigEndian.Uint64(b))}
		copy(p.sum[:], b[8:size])
		points = append(points, p)
	}
	return points
}
