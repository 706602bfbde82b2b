package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"

	_ "modernc.org/sqlite" // the SQLite driver, pure Go

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// sqliteStore is a store in an SQLite file (pure Go, no cgo), the store of
// one machine.
type sqliteStore struct {
	path string
	db   *sql.DB
}

// storeVersion is the schema's version, in PRAGMA user_version: 2 added
// the imports table (memory.go), which an import adds to a store of
// version 1.
const storeVersion = 2

// storeSchema makes the tables of a new store.
//
// A key is an indicator's value with its labels in reverse order
// ("com.example.www" for www.example.com), so that the names under a
// domain are one range of an index: "com.example." up to "com.example/".
const storeSchema = `
CREATE TABLE records (
  id         INTEGER PRIMARY KEY,
  rrname     TEXT NOT NULL,
  rrtype     TEXT NOT NULL,
  rdata      TEXT NOT NULL, -- the rdata member as JSON: a string, or an array
  time_first INTEGER,       -- the earliest of the records merged; NULL if none had one
  time_last  INTEGER,       -- the latest
  count      INTEGER,       -- the sum
  record     TEXT NOT NULL, -- the record as first imported, compact JSON
  name_key   TEXT,          -- rrname as an indicator, labels reversed; NULL if it is none
  data_key   TEXT,          -- the rdata value that is an indicator, if there is one only
  UNIQUE (rrname, rrtype, rdata)
);
` + storeKeyIndexes + `
-- the keys of an rdata array that holds more than one indicator
CREATE TABLE data_keys (
  key    TEXT NOT NULL,
  record INTEGER NOT NULL REFERENCES records (id),
  PRIMARY KEY (key, record)
) WITHOUT ROWID;
` + importsSchema + `
PRAGMA user_version = 2;
PRAGMA application_id = 1885630067; -- storeAppID, "pdns"
`

// storeKeyIndexes are the indexes of the keys, which the first import into
// an empty store makes at its end, all at once, rather than row by row.
const storeKeyIndexes = `CREATE INDEX records_name_key ON records (name_key) WHERE name_key IS NOT NULL;
CREATE INDEX records_data_key ON records (data_key) WHERE data_key IS NOT NULL;`

// ErrNoStore is a store asked for that is not there.
var ErrNoStore = errors.New("no store there: fill one with --import")

// storeAppID marks a circl-pdns store in its header (PRAGMA
// application_id): "pdns". Stores made before it have 0 there.
const storeAppID = 0x70646e73

// openSQLite opens the store at path. With create, a missing store is made
// (and its directory, 0700; the file is 0600, never through a link);
// otherwise it is an error. What is there is looked at without writing
// anything (another application's database, or a store of another version,
// is refused as it was found); a store the user cannot write to (a shared
// snapshot) is opened to be read only.
//
// canWrite says whether the user may write a store.
func openSQLite(path string, create bool, canWrite func(string) bool) (*sqliteStore, error) {
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("%s: a symbolic link: give the path of the store itself", path)
	case err == nil && !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a file", path)
	case errors.Is(err, fs.ErrNotExist):
		if !create {
			return nil, fmt.Errorf("%s: %w", path, ErrNoStore)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600) // what was looked up is private
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if f != nil {
			f.Close()
		}
	case err != nil:
		return nil, err
	}
	empty, err := inspect(path, canWrite(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if empty && !create {
		return nil, fmt.Errorf("%s: %w", path, ErrNoStore)
	}
	readOnly := !create && !canWrite(path)
	dsn := storeDSN(path)
	if readOnly {
		dsn = readOnlyDSN(path, "immutable=1") // nothing can change what we cannot write
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	s := &sqliteStore{path: path, db: db}
	if empty {
		if err := s.init(); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return s, nil
}

// inspect says what the database at path is, reading it only: an empty
// one (a new store), a store of this version, or an error that says what
// else it is. A file the user cannot write is read as immutable: not even
// the side file of a reader in WAL can be made beside it.
func inspect(path string, canWrite bool) (empty bool, err error) {
	var app, version, tables int64
	params := []string{"mode=ro", "immutable=1"}
	if !canWrite {
		params = params[1:]
	}
	for _, param := range params {
		var db *sql.DB
		if db, err = sql.Open("sqlite", readOnlyDSN(path, param)); err != nil {
			continue
		}
		err = db.QueryRow(`SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)`).Scan(&app, &version, &tables)
		db.Close()
		if err == nil {
			break
		}
	}
	switch {
	case err != nil:
		return false, fmt.Errorf("not an SQLite database (%w)", err)
	case app != 0 && app != storeAppID:
		return false, fmt.Errorf("an SQLite database of another application (application_id %#x), not a circl-pdns store", app)
	case version == 0 && tables == 0:
		return true, nil
	case version == 0:
		return false, errors.New("an SQLite database, but not a circl-pdns store")
	case version < 1 || version > storeVersion:
		return false, fmt.Errorf("a store of version %d, which this circl-pdns does not know (it knows 1 to %d)", version, storeVersion)
	}
	return false, nil
}

// writable says whether the user may write the store and its directory
// (where SQLite keeps its side files).
func writable(path string) bool {
	const wOK = 2
	return syscall.Access(path, wOK) == nil && syscall.Access(filepath.Dir(path), wOK) == nil
}

// storeDSN names the database, and how every connection to it is set up:
// WAL, so that queries read while an import writes; a wait for a lock
// rather than an error; and writes that begin by taking the lock.
func storeDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(60000)", "journal_mode(WAL)", "synchronous(NORMAL)", "temp_store(MEMORY)", "cache_size(-8192)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return fileURL(path, q.Encode())
}

// readOnlyDSN names the database opened to be read only, with param
// (mode=ro, or immutable=1), and no pragma that would write.
func readOnlyDSN(path, param string) string { return fileURL(path, param) }

func fileURL(path, query string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return (&url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: query}).String()
}

// init makes the schema of an empty store (one made meanwhile by another
// import is left as it is).
func (s *sqliteStore) init() error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != 0 {
		return err // made meanwhile by another import
	}
	if _, err := tx.Exec(storeSchema); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) close() error { return s.db.Close() }

// query streams the records of the store that answer ind, in the order
// they were first imported.
func (s *sqliteStore) query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	args := []any{storeKey(ind.Value)}
	if ind.Wildcard { // the keys from "com.example." up to "com.example/"
		lo := storeKey(ind.Suffix()[1:]) + "."
		args = []any{lo, lo[:len(lo)-1] + "/"}
	}
	q := storeQuery(ind.Wildcard)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return &pdns.QueryError{Indicator: ind.Value, Err: fmt.Errorf("%s: %w", s.path, err)}
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var first, last sql.NullInt64
		var count any
		var text string
		if err := rows.Scan(&id, &first, &last, &count, &text); err != nil {
			return &pdns.QueryError{Indicator: ind.Value, Err: fmt.Errorf("%s: %w", s.path, err)}
		}
		rec, err := storedRecord(text, first, last, count)
		if err != nil {
			sink.Problem(&pdns.RecordError{Indicator: ind.Value, Where: fmt.Sprintf("%s record %d", s.path, id), Err: err})
			continue
		}
		if err := sink.Record(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &pdns.QueryError{Indicator: ind.Value, Err: fmt.Errorf("%s: %w", s.path, err)}
	}
	return nil
}

// storeQuery is the query of the records for a key (?1), or for the keys
// of a range (?1 to ?2, for a wildcard): by the indexes of the keys.
func storeQuery(wildcard bool) string {
	cond := func(col string) string { return col + " = ?1" }
	if wildcard {
		cond = func(col string) string { return col + " >= ?1 AND " + col + " < ?2" }
	}
	const cols = `r.id, r.time_first, r.time_last, r.count, r.record`
	return `SELECT ` + cols + ` FROM records r WHERE ` + cond("r.name_key") +
		` UNION SELECT ` + cols + ` FROM records r WHERE ` + cond("r.data_key") +
		` UNION SELECT ` + cols + ` FROM data_keys d JOIN records r ON r.id = d.record WHERE ` + cond("d.key") +
		` ORDER BY 1`
}
