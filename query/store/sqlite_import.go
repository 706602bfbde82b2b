package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// sqliteImport is an import into an SQLite store: one transaction, taken
// under a lock file (store.db.lock) that makes another import wait.
// Records are merged into the rows of the store as they are written
// (storeSchema), so that memory does not grow with the inputs.
type sqliteImport struct {
	s         *sqliteStore
	lock      *os.File
	conn      *sql.Conn
	tx        *sql.Tx
	upsert    *sql.Stmt // importRows rows at a time
	maxID     int64     // the largest row id before the import
	saturated int       // rows whose count was at its largest before the import
	// indexAtEnd: the store was empty; the key indexes are made at the end
	indexAtEnd bool
}

const importColumns = 9

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

// begin starts an import into s. Another import into the same store is
// waited for (waiting is called first, if it must wait); queries are not.
func (s *sqliteStore) begin(ctx context.Context, waiting func()) (importer, error) {
	lock, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600) // never through a link
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
	im := &sqliteImport{s: s, lock: lock}
	if err := im.begin(ctx); err != nil {
		im.rollback()
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

func (im *sqliteImport) begin(ctx context.Context) (err error) {
	if im.conn, err = im.s.db.Conn(ctx); err != nil {
		return err
	}
	if im.tx, err = im.conn.BeginTx(ctx, nil); err != nil {
		return err
	}
	if err := im.migrate(ctx); err != nil {
		return err
	}
	// What SQLite keeps aside goes to temporary files, not memory: the
	// sorts of the key indexes made at the end.
	if _, err := im.tx.ExecContext(ctx, `PRAGMA temp_store = FILE`); err != nil {
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

// write merges rows into the store.
func (im *sqliteImport) write(ctx context.Context, rows []storeRow) error {
	args := make([]any, 0, len(rows)*importColumns)
	var multi []multiKeys
	for _, r := range rows {
		var nameKey, dataKey any
		if r.nameKey != "" {
			nameKey = r.nameKey
		}
		switch len(r.dataKeys) {
		case 0:
		case 1:
			dataKey = r.dataKeys[0]
		default: // an array with several: rows of their own
			multi = append(multi, multiKeys{r.rrname, r.rrtype, r.rdata, r.dataKeys})
		}
		args = append(args, r.rrname, r.rrtype, r.rdata, nullTime(r.first), nullTime(r.last), nullCount(r.count, r.hasCount), r.record, nameKey, dataKey)
	}
	if len(rows) == importRows {
		if _, err := im.upsert.ExecContext(ctx, args...); err != nil {
			return err
		}
	} else if _, err := im.tx.ExecContext(ctx, fmt.Sprintf(upsertRecords, rowsOf(len(rows), importColumns)), args...); err != nil {
		return err
	}
	for _, m := range multi {
		for _, key := range m.keys {
			if _, err := im.tx.ExecContext(ctx, `INSERT OR IGNORE INTO data_keys (key, record)
			 SELECT ?, id FROM records WHERE rrname = ? AND rrtype = ? AND rdata = ?`, key, m.rrname, m.rrtype, m.rdata); err != nil {
				return err
			}
		}
	}
	return nil
}

// nullTime is a time as SQLite keeps it: NULL when not given.
func nullTime(t int64) any {
	if t == 0 {
		return nil
	}
	return t
}

// nullCount is a count as SQLite keeps it: NULL when not given.
func nullCount(n int64, given bool) any {
	if !given {
		return nil
	}
	return n
}

// commit makes the import visible, and counts the rows it added.
func (im *sqliteImport) commit(ctx context.Context, st *ImportStats) error {
	var maxID int64
	if err := im.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM records`).Scan(&maxID); err != nil {
		return err
	}
	st.New = int(maxID - im.maxID)
	st.Merged = st.Read - st.Refused - st.New // everything read is written now
	var saturated int
	if err := im.tx.QueryRowContext(ctx, countSaturated).Scan(&saturated); err != nil {
		return err
	}
	st.Saturated = saturated - im.saturated
	if im.indexAtEnd {
		// sorted in temporary files (temp_store), not in memory: a store of any size
		if _, err := im.tx.ExecContext(ctx, storeKeyIndexes); err != nil {
			return err
		}
	}
	return im.tx.Commit()
}

// rollback ends an import, leaving the store as it was if it was not
// committed, and lets the next import in.
func (im *sqliteImport) rollback() {
	if im.upsert != nil {
		im.upsert.Close()
	}
	if im.tx != nil {
		im.tx.Rollback()
	}
	if im.conn != nil {
		im.conn.ExecContext(context.Background(), `PRAGMA temp_store = MEMORY`) // as the queries' connections are
		im.conn.Close()
	}
	if im.lock != nil {
		im.lock.Close() // and its lock
		im.lock = nil
	}
}

// marks are the earlier imports of texts of format that begin with head.
func (im *sqliteImport) marks(ctx context.Context, head []byte, format string) ([]*mark, error) {
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
		var name string
		var at int64
		if err := rows.Scan(&h, &n, &points, &name, &at); err != nil {
			return nil, err
		}
		if m := newMark(head, h, n, points, name, at); m != nil {
			marks = append(marks, m)
		}
	}
	return marks, rows.Err()
}

// remember notes what this import read of a text.
func (im *sqliteImport) remember(ctx context.Context, head []byte, points []point, in Input, format string) error {
	sum, n := headOf(head)
	_, err := im.tx.ExecContext(ctx, `INSERT INTO imports (head, head_len, bytes, points, name, file, format, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		sum, n, points[len(points)-1].off, encodePoints(points), in.Name, sql.NullString{String: in.File, Valid: in.File != ""}, format, time.Now().Unix())
	return err
}

// migrate brings a store of version 1 to this version: the imports table.
func (im *sqliteImport) migrate(ctx context.Context) error {
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
