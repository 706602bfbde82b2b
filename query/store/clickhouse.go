package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// A store beyond one machine keeps its records in ClickHouse, one server or
// a cluster of shards, and answers as the SQLite store does.
//
// It speaks ClickHouse's HTTP interface, with RowBinary both ways: what
// every version reads and writes, Debian's 18.16 as the current ones, and
// the fastest. (github.com/ClickHouse/clickhouse-go/v2, the driver that is
// served, was measured against 18.16: its native protocol connects but its
// batch insert fails, "expected 0 arguments, got 2"; its HTTP mode sends a
// setting 18.16 does not know.) The credentials go in headers, never in the
// URL, which servers log.
//
// The schema (made on first use, clickhouseSchema): an import writes rows
// to records (sorted by name key: a name, or every name under a domain, is
// a range of its primary key) and to data_keys (the names and addresses
// rdata points to, sorted by them). It writes both itself: a table of the
// Null engine with materialised views making both of its rows took 2.1 s
// of the server's time for 1M records, two INSERTs 1.4 s. Rows are never changed: the merge of passive
// DNS stores (the earliest time_first, the latest time_last, the sum of the
// counts) is done by the server as it answers. Every row carries the id of
// the import that wrote it, and an import is committed by one row in the
// imports table, written after all of its records: queries count only the
// rows of committed imports, so that none is ever half visible, and an
// import that failed can be run again without counting twice.
//
// Sharded, with ?cluster=NAME (a cluster of the servers' remote_servers):
// the tables above are Distributed tables over the shards' own (_local),
// and a record's rows go to one shard, chosen by its key, with its
// data_keys rows. The URL names every server (host:port,host:port), on
// each of which the schema is made.
type chStore struct {
	c        *chClient
	hosts    []string // every server, for the schema and the cleanup of failed imports
	db       string
	cluster  string
	local    string // "_local" when sharded: the shards' own tables
	maxValue int    // the longest value read back
	batch    *chBatcher
}

// isClickHouse says whether target names a ClickHouse store.
func isClickHouse(target string) bool {
	return strings.HasPrefix(target, "clickhouse://") || strings.HasPrefix(target, "clickhouses://")
}

// chClient sends queries to a ClickHouse server over HTTP.
type chClient struct {
	base     url.URL // scheme and host
	user     string
	password string
	database string
	hc       *http.Client
	settings url.Values // of every query
}

// openClickHouse opens the store at a clickhouse:// URL, and makes its
// schema when o.Create says it may.
func openClickHouse(target string, o Options) (*chStore, string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, "", fmt.Errorf("%s: not a URL: %w", redact(target), err)
	}
	password := o.Password
	if p, ok := u.User.Password(); ok {
		password = p
	}
	user := u.User.Username()
	if user == "" {
		user = "default"
	}
	shown := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawQuery: u.RawQuery}
	if u.User != nil {
		shown.User = url.User(u.User.Username())
	}
	name := shown.String()
	db := strings.Trim(u.Path, "/")
	if db == "" {
		db = "pdns"
	}
	if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(db) {
		return nil, "", fmt.Errorf("%s: %q is not a database name (letters, digits, underscores)", name, db)
	}
	q := u.Query()
	cluster := q.Get("cluster")
	if cluster != "" && !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`).MatchString(cluster) {
		return nil, "", fmt.Errorf("%s: %q is not a cluster name", name, cluster)
	}
	scheme, port := "http", "8123"
	if u.Scheme == "clickhouses" {
		scheme, port = "https", "8443"
	}
	var hosts []string
	for _, h := range strings.Split(u.Host, ",") {
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, port)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return nil, "", fmt.Errorf("%s: no server named", name)
	}
	if len(hosts) > 1 && cluster == "" {
		return nil, "", fmt.Errorf("%s: several servers, but no ?cluster= that makes them one store", name)
	}
	s := &chStore{
		c: &chClient{
			base: url.URL{Scheme: scheme, Host: hosts[0]}, user: user, password: password, database: db,
			hc: &http.Client{Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
				TLSHandshakeTimeout: 10 * time.Second,
				MaxIdleConnsPerHost: 64,
			}},
		},
		hosts: hosts, db: db, cluster: cluster, maxValue: 64 << 20,
	}
	if cluster != "" {
		s.local = "_local"
		s.c.settings = url.Values{"insert_distributed_sync": {"1"}}
	}
	s.batch = &chBatcher{s: s}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if o.Create {
		if err := s.makeSchema(ctx); err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		return s, name, nil
	}
	var n uint64
	err = s.c.scan(ctx, fmt.Sprintf(`SELECT count() FROM system.tables WHERE database = '%s' AND name IN ('records', 'data_keys', 'imports')`, db), func(r *rowReader) { n = r.u64() })
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("%s: %w", name, err)
	case n < 3:
		return nil, "", fmt.Errorf("%s: %w", name, ErrNoStore)
	}
	return s, name, nil
}

// redact is a URL without its password, for messages.
func redact(target string) string {
	if u, err := url.Parse(target); err == nil {
		return u.Redacted()
	}
	return "the clickhouse:// URL"
}

func (s *chStore) close() error {
	s.c.hc.CloseIdleConnections()
	return nil
}

// clickhouseSchema is the schema of a store, by the tables' names: {db}
// the database, {L} "_local" when sharded (the shards' own tables).
var clickhouseSchema = []string{
	`CREATE DATABASE IF NOT EXISTS {db}`,
	// a record's rows: its members, of one import each
	`CREATE TABLE IF NOT EXISTS {db}.records{L} (
	  name_key String,    -- rrname as an indicator, labels reversed; '' if it is none
	  rrname String, rrtype String,
	  rdata String,       -- the rdata member as JSON: a string, or an array
	  time_first UInt64,  -- 0: none
	  time_last UInt64,
	  count UInt64, has_count UInt8,
	  extra String,       -- the record's other members, as a JSON object; '' if none
	  seq UInt64,         -- the order of import: the import's (ordinal) << 32 | the row's
	  import UInt64       -- the import that wrote the row
	) ENGINE = MergeTree() ORDER BY (name_key, rrname, rrtype, rdata) SETTINGS index_granularity = 256`,
	// the names and addresses rdata points to: the way to the records
	`CREATE TABLE IF NOT EXISTS {db}.data_keys{L} (
	  key String, name_key String, rrname String, rrtype String, rdata String, import UInt64
	) ENGINE = MergeTree() ORDER BY (key, name_key) SETTINGS index_granularity = 256`,
	// the committed imports: a row each text an import read (memory.go),
	// or one row of an import that read none
	`CREATE TABLE IF NOT EXISTS {db}.imports{L} (
	  id UInt64, ordinal UInt64,
	  head String, head_len UInt32, bytes UInt64, points String,
	  name String, file String, format String, imported_at UInt64
	) ENGINE = MergeTree() ORDER BY id`,
}

// clickhouseShards are the Distributed tables over the shards' own, on
// every server of a cluster: a record's rows go to the shard its key
// chooses, and its rows of data_keys with them (the same key), where a
// shard joins them.
var clickhouseShards = []string{
	`CREATE TABLE IF NOT EXISTS {db}.records AS {db}.records_local ENGINE = Distributed({cluster}, {db}, records_local, sipHash64(rrname, rrtype, rdata))`,
	`CREATE TABLE IF NOT EXISTS {db}.data_keys AS {db}.data_keys_local ENGINE = Distributed({cluster}, {db}, data_keys_local, sipHash64(rrname, rrtype, rdata))`,
	`CREATE TABLE IF NOT EXISTS {db}.imports AS {db}.imports_local ENGINE = Distributed({cluster}, {db}, imports_local, id)`,
}

// sql fills in the names of a statement.
func (s *chStore) sql(q string) string {
	return strings.NewReplacer("{db}", s.db, "{L}", s.local, "{cluster}", s.cluster).Replace(q)
}

// makeSchema makes the tables of the store on every server, unless they
// are there.
func (s *chStore) makeSchema(ctx context.Context) error {
	statements := clickhouseSchema
	if s.cluster != "" {
		statements = append(slices.Clone(statements), clickhouseShards...)
	}
	for _, h := range s.hosts {
		c := s.c.on(h)
		for _, q := range statements {
			if err := c.exec(ctx, s.sql(q), nil); err != nil {
				return fmt.Errorf("%s: %w", h, err)
			}
		}
	}
	return nil
}

// on is the client of another server of the same store.
func (c *chClient) on(host string) *chClient {
	d := *c
	d.base.Host = host
	return &d
}

// send sends a query, with body as its data (an INSERT's rows), and
// returns the answer of a server that accepted it.
func (c *chClient) send(ctx context.Context, query string, body io.Reader) (*http.Response, error) {
	q := url.Values{} // every table is named with its database: none is given here, where it may not be yet
	for k, v := range c.settings {
		q[k] = v
	}
	if body == nil {
		body = strings.NewReader(query)
	} else {
		q.Set("query", query)
	}
	u := c.base
	u.Path, u.RawQuery = "/", q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-ClickHouse-User", c.user)
	if c.password != "" {
		req.Header.Set("X-ClickHouse-Key", c.password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL: the query is in it
		}
		return nil, fmt.Errorf("clickhouse %s: %w", c.base.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, c.failure(resp)
	}
	return resp, nil
}

// failure is the error a server answered: its first line, without the
// password should it echo it, bounded.
func (c *chClient) failure(resp *http.Response) error {
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	msg, _, _ := strings.Cut(strings.TrimSpace(string(text)), "\n")
	if c.password != "" {
		msg = strings.ReplaceAll(msg, c.password, "***")
	}
	if msg == "" {
		msg = resp.Status
	}
	err := fmt.Errorf("clickhouse %s: %s", c.base.Host, pdns.Quote(msg, 400))
	// the codes of a user unknown, a wrong password, a failed authentication
	for _, code := range []string{"Code: 192,", "Code: 193,", "Code: 516,"} {
		if strings.HasPrefix(msg, code) {
			return &chAuthError{err}
		}
	}
	return err
}

// chAuthError is a server that refused the credentials: no other query
// can succeed.
type chAuthError struct{ err error }

func (e *chAuthError) Error() string         { return e.err.Error() }
func (e *chAuthError) Unwrap() error         { return e.err }
func (e *chAuthError) Failure() pdns.Failure { return pdns.RefusedCredentials }

// exec runs a statement whose answer is not read.
func (c *chClient) exec(ctx context.Context, query string, body io.Reader) error {
	resp, err := c.send(ctx, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return err
}

// scan runs a query whose answer is RowBinary, calling row for each row.
func (c *chClient) scan(ctx context.Context, query string, row func(*rowReader)) error {
	resp, err := c.send(ctx, query+" FORMAT RowBinary", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	r := &rowReader{r: bufio.NewReaderSize(resp.Body, 64<<10), max: 64 << 20}
	for r.more() {
		row(r)
	}
	if r.err != nil {
		return fmt.Errorf("clickhouse %s: %w", c.base.Host, r.err)
	}
	return nil
}

// quote is a string as a ClickHouse literal.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, "\\x%02x", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// keyCondition is the condition of the records' rows that answer ind: its
// name key, or a data key of theirs (of a range of keys, for a wildcard).
func (s *chStore) keyCondition(ind pdns.Indicator) string {
	if ind.Wildcard { // the keys from "com.example." up to "com.example/"
		lo := storeKey(ind.Suffix()[1:]) + "."
		hi := lo[:len(lo)-1] + "/"
		return fmt.Sprintf(`(name_key >= %s AND name_key < %s OR (name_key, rrname, rrtype, rdata) IN (SELECT name_key, rrname, rrtype, rdata FROM %s.data_keys%s WHERE key >= %s AND key < %s))`,
			quote(lo), quote(hi), s.db, s.local, quote(lo), quote(hi))
	}
	k := quote(storeKey(ind.Value))
	return fmt.Sprintf(`(name_key = %s OR (name_key, rrname, rrtype, rdata) IN (SELECT name_key, rrname, rrtype, rdata FROM %s.data_keys%s WHERE key = %s))`, k, s.db, s.local, k)
}

// merged is the select list of the records as the store merges them:
// the earliest time_first, the latest time_last, the sum of the counts
// (up to pdns.MaxCount), the other members of the record first imported.
const merged = `rrname, rrtype, rdata, minIf(time_first, time_first > 0) AS tf, max(time_last) AS tl,
	least(sum(count), ` + "9223372036854775807" + `) AS c, max(has_count) AS hc, argMin(extra, seq) AS ex, min(seq) AS first`

// committed is the condition of the rows of committed imports.
func (s *chStore) committed() string {
	return fmt.Sprintf(`import GLOBAL IN (SELECT id FROM %s.imports)`, s.db)
}

// query streams the records of the store that answer ind, in the order
// they were first imported. Names and addresses are asked together with
// the others asked at the same time (chBatcher); a wildcard on its own.
func (s *chStore) query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	if !ind.Wildcard {
		return s.batch.query(ctx, ind, sink)
	}
	return s.stream(ctx, ind, sink)
}

// stream asks the records of ind in a query of its own, and gives them
// to sink as they come: what a wildcard is asked with, and a name whose
// batch had more records than a batch may hold.
func (s *chStore) stream(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	q := fmt.Sprintf(`SELECT %s FROM %s.records WHERE %s AND %s GROUP BY rrname, rrtype, rdata ORDER BY first`, merged, s.db, s.committed(), s.keyCondition(ind))
	bounded, cancel := context.WithTimeoutCause(ctx, chBatchWait, fmt.Errorf("no whole answer in %v", chBatchWait))
	defer cancel()
	var problem error
	err := s.c.scan(bounded, q, func(r *rowReader) {
		rec, err := readMerged(r)
		if r.err != nil || problem != nil {
			return
		}
		if err != nil {
			sink.Problem(&pdns.RecordError{Indicator: ind.Value, Where: s.name(), Err: err})
			return
		}
		problem = sink.Record(rec)
	})
	if problem != nil {
		return problem
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if bounded.Err() != nil {
			err = context.Cause(bounded)
		}
		return &pdns.QueryError{Indicator: ind.Value, Err: err}
	}
	return nil
}

func (s *chStore) name() string { return "clickhouse " + s.c.base.Host + "/" + s.db }

// readMerged reads one merged row: a record as the store gives it.
func readMerged(r *rowReader) (pdns.Record, error) {
	rrname, rrtype, rdata := r.str(), r.str(), r.str()
	tf, tl, c, hc, extra := r.u64(), r.u64(), r.u64(), r.u8(), r.str()
	r.u64() // first
	if r.err != nil {
		return pdns.Record{}, r.err
	}
	return chRecord(rrname, rrtype, rdata, tf, tl, c, hc == 1, extra)
}

// chRecord is a record of its members as the store keeps them: rrname,
// rrtype, rdata, the merged times and count, then its other members in
// their order.
func chRecord(rrname, rrtype, rdata string, tf, tl, count uint64, hasCount bool, extra string) (pdns.Record, error) {
	fields := []pdns.Field{
		{Key: "rrname", Value: pdns.JSONString(rrname)},
		{Key: "rrtype", Value: pdns.JSONString(rrtype)},
		{Key: "rdata", Value: rdata},
	}
	if tf > 0 {
		fields = append(fields, pdns.Field{Key: "time_first", Value: strconv.FormatUint(tf, 10)})
	}
	if tl > 0 {
		fields = append(fields, pdns.Field{Key: "time_last", Value: strconv.FormatUint(tl, 10)})
	}
	if hasCount {
		fields = append(fields, pdns.Field{Key: "count", Value: strconv.FormatUint(count, 10)})
	}
	if extra != "" {
		more, err := pdns.ObjectMembers(extra)
		if err != nil {
			return pdns.Record{}, fmt.Errorf("its other members: %w", err)
		}
		for _, f := range more {
			if !slices.ContainsFunc(fields, func(g pdns.Field) bool { return g.Key == f.Key }) { // a null the merge gave a value
				fields = append(fields, f)
			}
		}
	}
	return pdns.RecordOf(fields)
}

// columnMembers are the members of a record that the ClickHouse store
// keeps as columns; the others are its extra.
var columnMembers = []string{"rrname", "rrtype", "rdata", "time_first", "time_last", "count"}

// extraOf is the record's other members, as one JSON object; "" if none.
// A member of a column given as null is one of them: the record had it
// (its column has no value, and says nothing).
func extraOf(r *pdns.Record) string {
	skip := columnMembers
	for _, k := range []string{"time_first", "time_last", "count"} {
		if !r.Given(k) && r.Has(k) { // given as null
			skip = slices.DeleteFunc(slices.Clone(skip), func(s string) bool { return s == k })
		}
	}
	return r.OtherMembers(skip...)
}
