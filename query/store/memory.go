package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
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

// marksFor are the earlier imports of texts of format that begin with
// head.
func (im *Import) marksFor(ctx context.Context, head []byte, format string) ([]*mark, error) {
	full := sha256.Sum256(head[:min(len(head), headBytes)])
	rows, err := im.tx.QueryContext(ctx, `SELECT head, head_len, points, name, imported_at FROM imports WHERE (head = ? OR head_len < ?) AND format = ?`, full[:], headBytes, format)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var marks []*mark
	for rows.Next() {
		var h, points []byte
		var n int
		var m mark
		var at int64
		if err := rows.Scan(&h, &n, &points, &m.name, &at); err != nil {
			return nil, err
		}
		if n > len(head) || n < headBytes && !bytes.Equal(h, sumOf(head[:n])) {
			continue // a short text that this one does not begin with
		}
		if m.points = decodePoints(points); len(m.points) == 0 {
			continue
		}
		m.at = time.Unix(at, 0)
		marks = append(marks, &m)
	}
	return marks, rows.Err()
}

func sumOf(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// remember notes what this import read of a text.
func (im *Import) remember(ctx context.Context, head []byte, points []point, in Input, format string) error {
	n := min(len(head), headBytes)
	_, err := im.tx.ExecContext(ctx, `INSERT INTO imports (head, head_len, bytes, points, name, file, format, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		sumOf(head[:n]), n, points[len(points)-1].off, encodePoints(points), in.Name, nullString(in.File), format, time.Now().Unix())
	return err
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

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

// migrate brings a store of version 1 to this version: the imports table.
func (im *Import) migrate(ctx context.Context) error {
	var version int
	if err := im.tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version >= storeVersion {
		return nil
	}
	_, err := im.tx.ExecContext(ctx, importsSchema+fmt.Sprintf("PRAGMA user_version = %d;", storeVersion))
	return err
}
