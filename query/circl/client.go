// Package circl asks CIRCL Passive DNS, or any server of the Passive DNS
// Common Output Format, over HTTP: GET <endpoint>/<indicator>, with Basic
// auth or a token, the dribble pagination headers, retries with backoff,
// waits bounded whatever the server asks, redirects checked, and every
// message scrubbed of the credentials. Its records come out of the one
// record stage (pdns.RecordReader). circltest, beside it, is a fake server
// for tests and benchmarks.
package circl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Client queries a CIRCL Passive DNS server: GET <Endpoint>/<indicator>.
// One Client serves every worker of a Batch: its HTTP client keeps
// connections alive, and its rate limit and 429 pauses hold for all of them.
type Client struct {
	Endpoint *url.URL // e.g. https://www.circl.lu/pdns/query
	HTTP     *http.Client

	User, Password string // HTTP Basic auth, when User is set
	Token          string // sent as the Authorization header as it is, when set

	UserAgent          string
	PageSize           int    // dribble-paginate-count; 0 asks for everything at once
	RRType             string // dribble-filter-rrtype, when set
	DisableActiveQuery bool   // dribble-disable-active-query: 1
	// IdleTimeout abandons an answer when the server sends nothing for this
	// long (an answer may take longer in all, as long as it keeps coming).
	IdleTimeout time.Duration

	// MaxTime bounds a whole query, every page and retry included; 0 for
	// no bound.
	MaxTime time.Duration
	// MaxWait bounds the wait a server may ask for with Retry-After: a
	// longer one fails the query at once; 0 for no bound.
	MaxWait time.Duration
	// SpeedLimit and SpeedTime are a floor on the transfer rate: an answer
	// that comes at less than SpeedLimit bytes a second over SpeedTime of
	// waiting for it is abandoned (and retried), however it trickles in.
	SpeedLimit int64
	SpeedTime  time.Duration

	// Retries is how many times a page is asked for again after a
	// connection error, a cut or stalled answer, a 429 or a 5xx.
	Retries int
	// Backoff is the first wait before a retry; it doubles with each
	// retry, with jitter, up to MaxBackoff. A Retry-After header wins.
	Backoff, MaxBackoff time.Duration
	// Limiter, when set, caps the rate of requests.
	Limiter *rate.Limiter
	// Log, when set, gets one line per request.
	Log *slog.Logger
	// Clock is the time of retries and pauses (nil: the real one).
	Clock Clock

	mu         sync.Mutex
	pauseUntil time.Time // after a 429: no worker sends before then

	secretsOnce sync.Once
	secretForms []string // see scrub
}

// StalledError is an answer that stopped coming.
type StalledError struct{ After time.Duration }

func (e *StalledError) Error() string {
	return fmt.Sprintf("the server sent nothing for %v", e.After)
}

// Query fetches ind's answer page by page, following x-dribble-cursor until
// the server sends none, and streams its records to sink. A page that fails
// in a way that may pass is asked for again; the records of it already
// passed to sink are not passed again (within an answer, rrname, rrtype and
// rdata identify a record).
func (c *Client) Query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	if ind.Wildcard {
		return &pdns.QueryError{Indicator: ind.Value, Err: errWildcard}
	}
	problem := sink.Problem
	sink.Problem = func(err error) { problem(c.scrubErr(err)) }
	return c.scrubErr(c.limited(ctx, ind, sink))
}

// limited is a query within MaxTime.
func (c *Client) limited(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	if c.MaxTime > 0 {
		outer := ctx
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.MaxTime, &TimeLimitError{Limit: c.MaxTime})
		defer cancel()
		err := c.query(ctx, ind, sink)
		if err != nil && outer.Err() == nil && ctx.Err() != nil {
			err = &pdns.QueryError{Indicator: ind.Value, Err: context.Cause(ctx)}
		}
		return err
	}
	return c.query(ctx, ind, sink)
}

// TimeLimitError is a query that took longer than the client allows.
type TimeLimitError struct{ Limit time.Duration }

func (e *TimeLimitError) Error() string {
	return fmt.Sprintf("no answer in full within %v (the limit of one query, every page and retry included)", e.Limit)
}

// SlowError is an answer that came slower than the floor on the rate.
type SlowError struct {
	Bytes int64
	In    time.Duration
	Limit int64
}

func (e *SlowError) Error() string {
	in := e.In.Round(time.Millisecond)
	if in >= 10*time.Second {
		in = in.Round(time.Second)
	}
	return fmt.Sprintf("the answer came too slowly: %d bytes in %v, under the floor of %d bytes a second", e.Bytes, in, e.Limit)
}

func (c *Client) query(ctx context.Context, ind pdns.Indicator, sink pdns.Sink) error {
	var cursor string
	st := &answer{seen: newSeenSet(), warned: map[string]bool{}, cursors: map[string]bool{}}
	for pages := 1; ; pages++ {
		next, err := c.pageWithRetries(ctx, ind, cursor, sink, st)
		if err != nil || next == "" {
			return err
		}
		if st.cursors[next] {
			return &ProtocolError{Indicator: ind.Value, Msg: fmt.Sprintf("the server sent x-dribble-cursor %s again after %d pages: a pagination loop, given up on", pdns.Quote(next, 40), pages)}
		}
		st.cursors[next] = true
		cursor = next
	}
}

// answer is what one query remembers across its pages and attempts.
type answer struct {
	line    int             // lines read: line numbers run on across pages
	page    int             // records passed on by the page being read
	seen    *pdns.HashSet   // records passed on
	warned  map[string]bool // server warnings passed on
	cursors map[string]bool // cursors followed (a pagination loop ends the query)
}

func (c *Client) request(ctx context.Context, ind pdns.Indicator, cursor string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint.JoinPath(ind.Value).String(), nil)
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Accept", "application/x-ndjson, application/json;q=0.9")
	h.Set("User-Agent", c.UserAgent)
	switch {
	case c.Token != "":
		h.Set("Authorization", c.Token)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
	if c.PageSize > 0 {
		h.Set("dribble-paginate-count", strconv.Itoa(c.PageSize))
	}
	if cursor != "" {
		h.Set("dribble-paginate-cursor", cursor)
	}
	if c.RRType != "" {
		h.Set("dribble-filter-rrtype", c.RRType)
	}
	if c.DisableActiveQuery {
		h.Set("dribble-disable-active-query", "1")
	}
	return req, nil
}

// errWildcard is the service asked for a wildcard, which it does not answer.
var errWildcard = errors.New("the service answers names and addresses, not wildcards: ask a local store (--store) or dump (--source)")

// page fetches one page and returns the cursor of the next one, if any.
func (c *Client) page(parent context.Context, ind pdns.Indicator, cursor string, sink pdns.Sink, st *answer, attempt int) (next string, err error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	began := time.Now()
	body := &countingReader{}
	status := 0
	if c.Log != nil {
		defer func() {
			attrs := []any{"url", c.Endpoint.JoinPath(ind.Value).Redacted(), "status", status, "records", st.page, "bytes", body.n, "duration", time.Since(began).Round(time.Microsecond)}
			if attempt > 1 {
				attrs = append(attrs, "attempt", attempt)
			}
			if cursor != "" {
				attrs = append(attrs, "cursor", c.scrub(cursor))
			}
			if err != nil {
				attrs = append(attrs, "error", c.scrub(err.Error()))
			}
			c.Log.Info("request", attrs...)
		}()
	}
	// The idle timer runs while the client waits for the server: until the
	// headers come, then during each read of the body, but not while the
	// receiver of the records is busy.
	var timer *time.Timer
	if c.IdleTimeout > 0 {
		stalled := &StalledError{After: c.IdleTimeout}
		timer = time.AfterFunc(c.IdleTimeout, func() { cancel(stalled) })
		defer timer.Stop()
	}
	req, err := c.request(ctx, ind, cursor)
	if err != nil {
		return "", &pdns.QueryError{Indicator: ind.Value, Err: err}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", c.failure(parent, ctx, ind, err)
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	body.r = resp.Body
	if timer != nil {
		timer.Stop()
		body.timer, body.d = timer, c.IdleTimeout
	}
	body.limit, body.window = c.SpeedLimit, c.SpeedTime
	resp.Body = struct {
		io.Reader
		io.Closer
	}{body, resp.Body}
	if err := statusError(ind, resp, c.clock().Now()); err != nil {
		return "", err
	}
	// on every attempt of every page: an answer capped by the server must
	// never pass (nor be cached) as complete; each warning is said once
	if e := resp.Header.Get("x-dribble-errors"); e != "" {
		if msg := "the server reports: " + describeDribbleErrors(e); !st.warned[msg] {
			st.warned[msg] = true
			sink.Problem(&pdns.Warning{Indicator: ind.Value, Msg: msg})
		}
	}
	if err := c.read(ind, resp.Body, sink, st); err != nil {
		if se, ok := err.(sinkError); ok {
			return "", se.err // the receiver's own reason to stop, as it gave it
		}
		return "", c.failure(parent, ctx, ind, err)
	}
	return resp.Header.Get("x-dribble-cursor"), nil
}

// countingReader counts the bytes of a body; with a timer, it arms it only
// while a read waits for the server; with a limit, it checks the rate of
// the body over each window of time spent waiting for it (the time the
// receiver of the records takes does not count).
type countingReader struct {
	r     io.Reader
	n     int64
	timer *time.Timer
	d     time.Duration

	limit       int64 // bytes a second, at least
	window      time.Duration
	waited      time.Duration // in this window
	windowStart int64         // n when the window began
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.timer != nil {
		c.timer.Reset(c.d)
		defer c.timer.Stop()
	}
	began := time.Now()
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.limit > 0 && c.window > 0 && err == nil {
		c.waited += time.Since(began)
		if c.waited >= c.window {
			got := c.n - c.windowStart
			if float64(got) < float64(c.limit)*c.waited.Seconds() {
				return n, &SlowError{Bytes: got, In: c.waited, Limit: c.limit}
			}
			c.waited, c.windowStart = 0, c.n
		}
	}
	return n, err
}

// failure names why a request failed: the caller's cancellation, a stall,
// or err itself.
func (c *Client) failure(parent, ctx context.Context, ind pdns.Indicator, err error) error {
	if parent.Err() != nil {
		return parent.Err()
	}
	var stalled *StalledError
	if errors.As(context.Cause(ctx), &stalled) {
		return &pdns.QueryError{Indicator: ind.Value, Err: stalled}
	}
	var ec interface{ Failure() pdns.Failure }
	if errors.As(err, &ec) {
		return err
	}
	return &pdns.QueryError{Indicator: ind.Value, Err: err}
}

// sinkError carries an error of Sink.Record through read.
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }

func statusError(ind pdns.Indicator, resp *http.Response, now time.Time) error {
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return &AuthError{Indicator: ind.Value, Status: code}
	case code == http.StatusTooManyRequests:
		ra := resp.Header.Get("Retry-After")
		return &RateLimitError{Indicator: ind.Value, RetryAfter: retryAfter(ra, now), RetryAfterHeader: ra}
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if strings.Contains(resp.Header.Get("Content-Type"), "html") {
			body = nil // an error page's markup says nothing useful on one line
		}
		first, _, _ := bytes.Cut(bytes.TrimSpace(body), []byte("\n"))
		ra := resp.Header.Get("Retry-After")
		return &ServerError{Indicator: ind.Value, Status: code, Body: string(bytes.TrimSpace(first)),
			RetryAfter: retryAfter(ra, now), RetryAfterHeader: ra}
	}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date. A wait
// too long to count (seconds that overflow) is the longest Duration.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil || s > int64(math.MaxInt64/time.Second) {
			return math.MaxInt64
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now) // saturates at the longest Duration
	}
	return 0
}

// describeDribbleErrors renders the x-dribble-errors header (JSON) on one line.
// JSON is shown as compact JSON when it holds nothing a terminal would act
// on (json.Marshal escapes control characters; other invisible or bidi
// characters send it back to Quote), and anything else quoted.
func describeDribbleErrors(v string) string {
	var x any
	if json.Unmarshal([]byte(v), &x) == nil {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if enc.Encode(x) == nil {
			s := strings.TrimSuffix(b.String(), "\n")
			if len(s) <= 300 && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.Is(unicode.Bidi_Control, r) }) < 0 {
				return s
			}
		}
	}
	return pdns.Quote(v, 300)
}

// read streams the records of one page's body to sink, skipping those the
// answer already passed on (an earlier attempt, or an earlier page).
func (c *Client) read(ind pdns.Indicator, body io.Reader, sink pdns.Sink, st *answer) error {
	rr := pdns.NewRecordReader(body, sink.MaxRecordBytes)
	rr.LineOffset = st.line
	st.page = 0
	defer func() { st.line += rr.Lines() }()
	for {
		rec, err := rr.Next()
		var bad *pdns.BadRecordError
		var ae *pdns.AnswerError
		switch {
		case err == nil:
		case err == io.EOF:
			return nil
		case errors.As(err, &bad):
			sink.Problem(&pdns.RecordError{Indicator: ind.Value, Where: "answer line " + strconv.Itoa(bad.Line), Err: bad.Err})
			continue
		case errors.As(err, &ae):
			return &ProtocolError{Indicator: ind.Value, Msg: "the answer is " + ae.Msg}
		case err == pdns.ErrCut, errors.Is(err, io.ErrUnexpectedEOF):
			return &pdns.QueryError{Indicator: ind.Value, Err: pdns.ErrCut}
		case errors.As(err, new(*SlowError)):
			return &pdns.QueryError{Indicator: ind.Value, Err: err}
		default:
			return &pdns.QueryError{Indicator: ind.Value, Err: fmt.Errorf("reading the answer: %w", err)}
		}
		if !st.seen.AddRecord(&rec) {
			continue
		}
		st.page++
		if err := sink.Record(rec); err != nil {
			return sinkError{err}
		}
	}
}
