// Package store answers queries from data at rest, with no network: COF
// dumps read whole (Dump, for --source), and the local passive DNS store
// (Store, for --store) that --import fills from dumps, merging records as
// passive DNS stores do. It is the only package that links a database
// driver.
package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the SQLite driver, pure Go

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Store is a local passive DNS store: an SQLite database (pure Go, no cgo)
// that --import fills from COF dumps and that answers queries by index, as
// --source answers them by reading a whole dump: a record answers an
// indicator when its rrname or one of its rdata values is that indicator,
// and a wildcard (*.example.com) when one of them is a name under it.
//
// It holds one row per (rrname, rrtype, rdata), the COF key, merged as
// passive DNS stores do: the earliest time_first, the latest time_last,
// the sum of the counts; the record's other members are those of its first
// import. The schema is in storeSchema (and in the README), for sqlite3.
type Store struct {
	// Path names the store in messages: the SQLite file, or the
	// ClickHouse URL (without a password).
	Path string
	e    engine
}

// Options say how to open a store.
type Options struct {
	// Create: an import may make the store (and its schema) if it is not
	// there; otherwise a store that is not there is an error (ErrNoStore).
	Create bool
	// Password authenticates the user of a ClickHouse store.
	Password string
}

// engine is one way of keeping a store: SQLite (a file) or ClickHouse
// (servers).
type engine interface {
	query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error
	begin(ctx context.Context, waiting func()) (importer, error)
	close() error
}

// Open opens the store target names: a ClickHouse database
// (clickhouse://host:port/database, clickhouses:// over TLS), or else an
// SQLite file.
func Open(target string, o Options) (*Store, error) {
	if isClickHouse(target) {
		e, name, err := openClickHouse(target, o)
		if err != nil {
			return nil, err
		}
		return &Store{Path: name, e: e}, nil
	}
	e, err := openSQLite(target, o.Create, writable)
	if err != nil {
		return nil, err
	}
	return &Store{Path: target, e: e}, nil
}

// OpenStore opens the SQLite store at path (Open).
func OpenStore(path string, create bool) (*Store, error) {
	return Open(path, Options{Create: create})
}

// IsRemote says whether target names a store on servers (ClickHouse),
// not a file.
func IsRemote(target string) bool { return isClickHouse(target) }

// Remote says whether the store is on servers (ClickHouse), not a file.
func (s *Store) Remote() bool { _, ok := s.e.(*chStore); return ok }

// Close closes the store.
func (s *Store) Close() error { return s.e.close() }

// Query streams the records of the store that answer ind, in the order
// they were first imported.
func (s *Store) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	return s.e.query(ctx, ind, sink)
}

// storedRecord is a record as the store gives it: as first imported, with
// the merged times and count.
func storedRecord(text string, first, last sql.NullInt64, count any) (pdns.Record, error) {
	rec, err := pdns.DecodeRecord([]byte(text))
	if err != nil {
		return rec, err
	}
	var n sql.NullInt64
	switch c := count.(type) {
	case int64:
		n = sql.NullInt64{Int64: c, Valid: true}
	case float64: // a sum past int64, which SQLite makes a real
		n = sql.NullInt64{Int64: int64(max(min(c, 1<<63-1024), -1<<63)), Valid: true}
	}
	type member struct {
		key   string
		value sql.NullInt64
		now   int64
	}
	merged := []member{{"time_first", first, rec.TimeFirst}, {"time_last", last, rec.TimeLast}, {"count", n, rec.Count}}
	if !slices.ContainsFunc(merged, func(m member) bool { return m.value.Valid && m.value.Int64 != m.now }) {
		return rec, nil // as imported
	}
	fields := slices.Clone(rec.Members())
	for _, m := range merged {
		if !m.value.Valid {
			continue
		}
		v := strconv.FormatInt(m.value.Int64, 10)
		if i := slices.IndexFunc(fields, func(f pdns.Field) bool { return f.Key == m.key }); i >= 0 {
			fields[i].Value = v
		} else {
			fields = append(fields, pdns.Field{Key: m.key, Value: v})
		}
	}
	return pdns.RecordOf(fields)
}

// storeKey is the key of an indicator's value: its labels in reverse order.
func storeKey(v string) string {
	if strings.IndexByte(v, '.') < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for end := len(v); ; {
		i := strings.LastIndexByte(v[:end], '.')
		b.WriteString(v[i+1 : end])
		if i < 0 {
			return b.String()
		}
		b.WriteByte('.')
		end = i
	}
}
