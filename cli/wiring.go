package cli

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"
	"golang.org/x/time/rate"

	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/cache"
	"github.com/circl-pdns/circl-pdns/query/circl"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/store"
)

// command is one run, wired from the grammar.
type command struct {
	batch   *query.Batch // its Source is set last: it depends on most flags
	format  string
	holds   bool // the output holds the run until its end
	out     output.Writer
	report  *reporter
	summary bool      // say the summary line at the end
	closer  io.Closer // what the source holds open (the store), if anything
}

func newCommand(g *grammar, stdin io.Reader, stdout, stderr io.Writer) (*command, error) {
	sel, err := newSelection(g, time.Now())
	if err != nil {
		return nil, err
	}
	switch {
	case g.Concurrency < 1:
		return nil, usageError{fmt.Errorf("--concurrency %d: want 1 or more", g.Concurrency)}
	case g.Rate < 0:
		return nil, usageError{fmt.Errorf("--rate %v: want a positive number of requests per second", g.Rate)}
	case g.Retries < 0:
		return nil, usageError{fmt.Errorf("--retries %d: want 0 or more", g.Retries)}
	case g.MaxTime < 0:
		return nil, usageError{fmt.Errorf("--max-time %v: want a duration, or 0 for no limit", g.MaxTime)}
	case g.MaxWait < 0:
		return nil, usageError{fmt.Errorf("--max-wait %v: want a duration, or 0 for no limit", g.MaxWait)}
	case g.SpeedLimit < 0 || g.SpeedTime < 0 || g.SpeedLimit > 0 && g.SpeedTime == 0:
		return nil, usageError{fmt.Errorf("--speed-limit %d --speed-time %v: want a number of bytes a second and a duration (--speed-limit 0 for no floor)", g.SpeedLimit, g.SpeedTime)}
	case g.Pivot < 0 || g.Pivot > 5:
		return nil, usageError{fmt.Errorf("--pivot %d: want 1 to 5 hops", g.Pivot)}
	case g.Pivot > 0 && (g.MaxQueries < 1 || g.MaxFanout < 1):
		return nil, usageError{errors.New("--max-queries and --max-fanout: want 1 or more")}
	case g.MaxRecordBytes < 1 || g.MaxRecordBytes > maxRecordBytes:
		return nil, usageError{fmt.Errorf("--max-record-bytes %d: want 1 to %d (1 GiB)", g.MaxRecordBytes, maxRecordBytes)}
	}
	pivot, err := newPivot(g)
	if err != nil {
		return nil, err
	}
	stderrTTY := isTerminal(stderr)
	total := -1 // unknown: indicators come from a pipe
	fromStdin := len(g.Indicators) == 0 || slices.Contains(g.Indicators, "-")
	switch {
	case !fromStdin:
		total = len(g.Indicators)
	case wantProgress(g, stderr):
		if n, ok := countIndicatorLines(stdin); ok { // a file: its lines are known
			total = n + max(len(g.Indicators)-1, 0) // "-" is the file's lines
		}
	}
	if g.Pivot > 0 {
		total = g.MaxQueries // the bar says queries done out of the budget
	}
	c := &command{
		batch:   &query.Batch{Selection: sel, Concurrency: g.Concurrency, Unordered: g.Unordered, Pivot: pivot, MaxRecordBytes: g.MaxRecordBytes},
		format:  g.Output,
		report:  newReporter(stderr, wantProgress(g, stderr), total, width(stderr)),
		summary: stderrTTY || g.Verbose,
	}
	list, key, err := c.sources(g)
	if err != nil {
		return nil, err
	}
	if g.Merge && len(list) < 2 {
		return nil, usageError{errors.New("--merge: with several sources (--server, --store, --source)")}
	}
	c.batch.Source = list[0].Source
	switch st, ok := list[0].Source.(*store.Store); {
	case len(list) > 1:
		c.batch.Source = &query.Sources{List: list, Merge: g.Merge}
	case ok && st.Remote() && !g.concurrencyGiven:
		// a ClickHouse store asks many names at once (its batcher): let
		// many workers ask (10,000 names: 3.4 s with 256, 1.7 s with
		// 1,024, 1.0 s with 4,096 and 93 MB; docs/performance.md)
		c.batch.Concurrency = 4096
	}
	tty := isTerminal(stdout)
	if c.format == "auto" {
		c.format = "jsonl"
		if tty && g.JQ == "" { // a jq program's outputs are JSON, as jq's are
			c.format = "table"
		}
	}
	cols := width(stdout)
	if tty && c.report.bar != nil { // the bar and the records on one terminal
		stdout = barClearer{w: stdout, r: c.report}
	}
	opts := output.Options{
		NoHeader: g.NoHeader,
		Width:    cols,
		Wide:     g.Wide,
		Raw:      g.Raw,
		CRLF:     g.CRLF,
		Color:    g.Color == "always" || g.Color == "auto" && tty && os.Getenv("NO_COLOR") == "",
		Terminal: tty,
		Sources:  len(list) > 1,
	}
	c.out = output.New(c.format, stdout, opts)
	if !output.TakesValues(c.out) && sel.Program != nil {
		sel.RecordsFor = c.format // a jq output must be a record
	}
	c.holds = output.HoldsRun(c.format) || g.Report != ""
	// --new: what was printed is recorded once it is written whole
	c.batch.HoldCommits = !output.EndWrites(c.format) || g.Report != ""
	if g.Report != "" {
		rf, err := newReportFile(g.Report, opts)
		if err != nil {
			return nil, usageError{fmt.Errorf("--report: %w", err)}
		}
		c.out = output.Tee(c.out, rf)
	}
	return c, c.watch(g, key)
}

// reportFile is the --report writer and its file, closed with it.
type reportFile struct {
	output.Writer
	f    *cache.AtomicFile
	bw   *bufio.Writer
	path string
}

// newReportFile writes the report to a new file (0600: what was looked
// up is private) beside path, which becomes path once the report is
// written whole: a file already there, or a link, is replaced, never
// written through.
func newReportFile(path string, opts output.Options) (*reportFile, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return nil, fmt.Errorf("%s: not a regular file (%v)", path, fi.Mode().Type())
	}
	f, err := cache.CreateAtomic(filepath.Dir(path))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // named after the report, not the file it is written to first
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	return &reportFile{Writer: output.NewReport(bw, opts), f: f, bw: bw, path: path}, nil
}

func (r *reportFile) Close() error {
	err := r.Writer.Close()
	if err == nil {
		err = r.bw.Flush()
	}
	if err == nil {
		err = r.f.Commit(r.path)
	}
	r.f.Discard() // unless committed
	return err
}

// newPivot is --pivot and its bounds; nil without it.
func newPivot(g *grammar) (*query.Pivot, error) {
	if g.Pivot == 0 {
		return nil, nil
	}
	p := &query.Pivot{Hops: g.Pivot, MaxQueries: g.MaxQueries, MaxFanout: g.MaxFanout, Private: g.PivotPrivate}
	for _, t := range g.PivotTypes {
		t, err := pdns.ParseRRType(t)
		if err != nil {
			return nil, usageError{fmt.Errorf("--pivot-types %w", err)}
		}
		p.Types = append(p.Types, t)
	}
	return p, nil
}

// watch sets --new up: the state of the indicators asked of server.
func (c *command) watch(g *grammar, server string) error {
	if !g.New && !g.Baseline {
		return nil
	}
	dir, err := stateDir(g)
	if err != nil {
		return err
	}
	state := &query.State{Dir: dir, Server: server, Baseline: g.Baseline}
	if err := state.Check(); err != nil {
		return usageError{err}
	}
	c.batch.Selection.Watch = state
	c.report.watching = true
	return nil
}

// stateDir is --state-dir, or $XDG_STATE_HOME/circl-pdns, or
// ~/.local/state/circl-pdns.
func stateDir(g *grammar) (string, error) {
	if g.StateDir != "" {
		return g.StateDir, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "circl-pdns"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", usageError{fmt.Errorf("no state directory: %w (use --state-dir)", err)}
	}
	return filepath.Join(home, ".local", "state", "circl-pdns"), nil
}

// maxRecordBytes is the most --max-record-bytes may be.
const maxRecordBytes = 1 << 30

// newCache is the answer cache in front of client: keyed by the endpoint
// and the headers that change an answer, never by the credentials.
func newCache(g *grammar, client *circl.Client) (*cache.Cache, error) {
	dir := g.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, usageError{fmt.Errorf("no cache directory: %w (use --cache-dir)", err)}
		}
		dir = filepath.Join(base, "circl-pdns")
	}
	if g.CacheTTL <= 0 {
		return nil, usageError{fmt.Errorf("--cache-ttl %v: want a positive duration such as 24h", g.CacheTTL)}
	}
	if g.Offline && g.Refresh {
		return nil, usageError{errors.New("--offline and --refresh contradict each other")}
	}
	key := fmt.Sprintf("%s rrtype=%s active=%t", client.Endpoint.Redacted(), client.RRType, !client.DisableActiveQuery)
	cache := &cache.Cache{Dir: dir, TTL: g.CacheTTL, Key: key, Offline: g.Offline, Refresh: g.Refresh}
	if !g.Offline {
		cache.Source = client
	}
	return cache, nil
}

// width is the width of the terminal w is, or $COLUMNS, or 0 (no limit).
func width(w io.Writer) int {
	if f, ok := w.(interface{ Fd() uintptr }); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	n, _ := strconv.Atoi(os.Getenv("COLUMNS"))
	return max(n, 0)
}

func newSelection(g *grammar, now time.Time) (*query.Selection, error) {
	sel := &query.Selection{Strict: g.Strict, Limit: g.Limit}
	for _, t := range g.RRType {
		t, err := pdns.ParseRRType(t)
		if err != nil {
			return nil, usageError{fmt.Errorf("--rrtype %w", err)}
		}
		if t == "ANY" {
			return sel, nil
		}
		sel.RRTypes = append(sel.RRTypes, t)
	}
	var err error
	if g.Since != "" {
		if sel.Since, err = query.ParseTime(g.Since, now, false); err != nil {
			return nil, usageError{fmt.Errorf("--since %w", err)}
		}
	}
	if g.Until != "" {
		if sel.Until, err = query.ParseTime(g.Until, now, true); err != nil {
			return nil, usageError{fmt.Errorf("--until %w", err)}
		}
	}
	if !sel.Since.IsZero() && !sel.Until.IsZero() && sel.Until.Before(sel.Since) {
		return nil, usageError{fmt.Errorf("--until %s is before --since %s", g.Until, g.Since)}
	}
	if g.Format != "auto" || g.Sensor != "" {
		return nil, usageError{errors.New("--format and --sensor are for --import")}
	}
	if g.Strict && sel.Since.IsZero() && sel.Until.IsZero() {
		return nil, usageError{errors.New("--strict needs --since or --until")}
	}
	if g.Limit < 0 {
		return nil, usageError{fmt.Errorf("--limit %d: want 0 (no limit) or more", g.Limit)}
	}
	if g.Sort != "" {
		if sel.Sort, err = query.ParseSort(g.Sort); err != nil {
			return nil, usageError{fmt.Errorf("--sort %w", err)}
		}
	}
	if g.JQ != "" {
		var environ func() []string // $ENV is empty unless --jq-env
		if g.JQEnv {
			environ = jqEnviron
		}
		if sel.Program, err = query.CompileJQ(g.JQ, append(g.Arg, g.ArgJSON...), environ); err != nil {
			return nil, err
		}
		sel.Slurp = g.Slurp
	} else if len(g.Arg)+len(g.ArgJSON) > 0 || g.JQEnv || g.Slurp || g.Raw {
		return nil, usageError{errors.New("--arg, --argjson, --jq-env, -r and -s go with --jq")}
	}
	return sel, nil
}

// warn says something the user should know, on standard error.
func (c *command) warn(msg string) { fmt.Fprintln(c.report, "circl-pdns: warning: "+msg) }

// endpoint is the query URL from --url, or from --host, --port and --http.
func endpoint(g *grammar) (*url.URL, error) {
	if g.URL != "" {
		u, err := url.Parse(g.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageError{fmt.Errorf("--url %s: want an http:// or https:// URL such as https://www.circl.lu/pdns/query", pdns.Quote(redact(g.URL), 200))}
		}
		return u, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(g.Host, "["), "]")
	if host == "" || strings.ContainsAny(host, "/@?# ") {
		return nil, usageError{fmt.Errorf("--host %s: want a host name or address (use --url for a whole URL)", pdns.Quote(g.Host, 200))}
	}
	u := &url.URL{Scheme: "https", Host: host, Path: "/pdns/query"}
	if g.HTTP {
		u.Scheme = "http"
	}
	switch {
	case g.Port < 0 || g.Port > 65535:
		return nil, usageError{fmt.Errorf("--port %d: want a port from 1 to 65535", g.Port)}
	case g.Port > 0:
		u.Host = net.JoinHostPort(host, strconv.Itoa(g.Port))
	case strings.Contains(host, ":"):
		u.Host = "[" + host + "]"
	}
	return u, nil
}

// redact hides the password of a URL's user info.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

func newClient(g *grammar, warn func(string)) (*circl.Client, error) {
	u, err := endpoint(g)
	if err != nil {
		return nil, err
	}
	user, password, token, err := credentials(g, u, warn)
	if err != nil {
		return nil, err
	}
	switch {
	case g.Timeout <= 0:
		return nil, usageError{fmt.Errorf("--timeout %v: want a positive duration such as 30s", g.Timeout)}
	case g.PageSize < 0:
		return nil, usageError{fmt.Errorf("--page-size %d: want 0 or more", g.PageSize)}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = g.Concurrency // one kept-alive connection per worker
	transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: !g.VerifySSL}
	transport.ResponseHeaderTimeout = g.Timeout
	transport.DialContext = (&net.Dialer{Timeout: g.Timeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = g.Timeout
	transport.ReadBufferSize = 64 << 10 // a large answer in reads of 64 KB, not 4 KB
	return &circl.Client{
		Endpoint:           u,
		HTTP:               &http.Client{Transport: transport, CheckRedirect: circl.CheckRedirect},
		User:               user,
		Password:           password,
		Token:              token,
		UserAgent:          "circl-pdns/" + Version(),
		PageSize:           g.PageSize,
		DisableActiveQuery: g.NoActiveQuery,
		IdleTimeout:        g.Timeout,
		Retries:            g.Retries,
		MaxTime:            g.MaxTime,
		MaxWait:            g.MaxWait,
		SpeedLimit:         g.SpeedLimit,
		SpeedTime:          g.SpeedTime,
		Limiter:            limiter(g.Rate),
	}, nil
}

// limiter caps requests at r a second; nil for no cap.
func limiter(r float64) *rate.Limiter {
	if r <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(r), 1)
}

// countIndicatorLines counts the lines of in that hold an indicator (not
// blank, not a comment) when in is a regular file, then puts it back where
// it was; false for anything else (a pipe may never end).
func countIndicatorLines(in io.Reader) (int, bool) {
	f, ok := in.(*os.File)
	if !ok {
		return 0, false
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	at, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, false
	}
	defer f.Seek(at, io.SeekStart)
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && line[0] != '#' {
			n++
		}
	}
	return n, sc.Err() == nil
}
