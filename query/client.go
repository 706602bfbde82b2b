package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxRecordBytes bounds one line of an answer.
const DefaultMaxRecordBytes = 4 << 20

// Client queries a CIRCL Passive DNS server: GET <Endpoint>/<indicator>.
type Client struct {
	Endpoint *url.URL // e.g. https://www.circl.lu/pdns/query
	HTTP     *http.Client

	User, Password string // HTTP Basic auth, when User is set
	Token          string // sent as the Authorization header as it is, when set

	UserAgent          string
	PageSize           int    // dribble-paginate-count; 0 asks for everything at once
	RRType             string // dribble-filter-rrtype, when set
	DisableActiveQuery bool   // dribble-disable-active-query: 1
	MaxRecordBytes     int    // longer answer lines are skipped; 0 means DefaultMaxRecordBytes
	// IdleTimeout abandons an answer when the server sends nothing for this
	// long (an answer may take longer in all, as long as it keeps coming).
	IdleTimeout time.Duration
}

// StalledError is an answer that stopped coming.
type StalledError struct{ After time.Duration }

func (e *StalledError) Error() string {
	return fmt.Sprintf("the server sent nothing for %v", e.After)
}

// idleReader cancels its request when a Read has waited too long.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (i *idleReader) Read(p []byte) (int, error) {
	i.timer.Reset(i.d)
	n, err := i.r.Read(p)
	i.timer.Reset(i.d)
	return n, err
}

// Query fetches ind's answer page by page, following x-dribble-cursor until
// the server sends none, and streams its records to sink.
func (c *Client) Query(ctx context.Context, ind Indicator, sink Sink) error {
	var cursor string
	line := 0 // line numbers run on across pages
	for {
		next, err := c.page(ctx, ind, cursor, sink, &line)
		if err != nil || next == "" {
			return err
		}
		if next == cursor {
			return &ProtocolError{Indicator: ind.Value, Msg: "the server sent the same x-dribble-cursor twice"}
		}
		cursor = next
	}
}

func (c *Client) request(ctx context.Context, ind Indicator, cursor string) (*http.Request, error) {
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

// page fetches one page and returns the cursor of the next one, if any.
func (c *Client) page(parent context.Context, ind Indicator, cursor string, sink Sink, line *int) (string, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	var timer *time.Timer
	if c.IdleTimeout > 0 {
		stalled := &StalledError{After: c.IdleTimeout}
		timer = time.AfterFunc(c.IdleTimeout, func() { cancel(stalled) })
		defer timer.Stop()
	}
	req, err := c.request(ctx, ind, cursor)
	if err != nil {
		return "", &QueryError{Indicator: ind.Value, Err: err}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", c.failure(parent, ctx, ind, err)
	}
	defer resp.Body.Close()
	if timer != nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{&idleReader{r: resp.Body, timer: timer, d: c.IdleTimeout}, resp.Body}
	}
	if err := statusError(ind, resp); err != nil {
		return "", err
	}
	if e := resp.Header.Get("x-dribble-errors"); e != "" {
		sink.Problem(&Warning{Indicator: ind.Value, Msg: "the server reports: " + describeDribbleErrors(e)})
	}
	if err := c.read(ind, resp, sink, line); err != nil {
		if se, ok := err.(sinkError); ok {
			return "", se.err // the receiver's own reason to stop, as it gave it
		}
		return "", c.failure(parent, ctx, ind, err)
	}
	return resp.Header.Get("x-dribble-cursor"), nil
}

// failure names why a request failed: the caller's cancellation, a stall,
// or err itself.
func (c *Client) failure(parent, ctx context.Context, ind Indicator, err error) error {
	if parent.Err() != nil {
		return parent.Err()
	}
	var stalled *StalledError
	if errors.As(context.Cause(ctx), &stalled) {
		return &QueryError{Indicator: ind.Value, Err: stalled}
	}
	var qe *QueryError
	if errors.As(err, &qe) || exitCoded(err) {
		return err
	}
	return &QueryError{Indicator: ind.Value, Err: err}
}

// sinkError carries an error of Sink.Record through read.
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }

func exitCoded(err error) bool {
	var ec interface{ ExitCode() int }
	return errors.As(err, &ec)
}

func statusError(ind Indicator, resp *http.Response) error {
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return &AuthError{Indicator: ind.Value, Status: code}
	case code == http.StatusTooManyRequests:
		return &RateLimitError{Indicator: ind.Value, RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if strings.Contains(resp.Header.Get("Content-Type"), "html") {
			body = nil // an error page's markup says nothing useful on one line
		}
		first, _, _ := bytes.Cut(bytes.TrimSpace(body), []byte("\n"))
		return &ServerError{Indicator: ind.Value, Status: code, Body: string(bytes.TrimSpace(first))}
	}
}

// RetryAfter reads a Retry-After header: seconds, or an HTTP date.
func RetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// describeDribbleErrors renders the x-dribble-errors header (JSON) on one line.
func describeDribbleErrors(v string) string {
	var x any
	if json.Unmarshal([]byte(v), &x) == nil {
		if b, err := json.Marshal(x); err == nil {
			v = string(b)
		}
	}
	return Quote(v, 300)
}

// read streams the records of one page's body to sink.
func (c *Client) read(ind Indicator, resp *http.Response, sink Sink, line *int) error {
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.Contains(mt, "html") {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 80))
		return &ProtocolError{Indicator: ind.Value, Msg: fmt.Sprintf("the server sent %s, not NDJSON: %s", mt, Quote(string(head), 80))}
	}
	max := c.MaxRecordBytes
	if max <= 0 {
		max = DefaultMaxRecordBytes
	}
	lines := newLineReader(resp.Body, max)
	first := *line == 0
	for {
		b, err := lines.next()
		if err == io.EOF {
			return nil
		}
		*line++
		where := "answer line " + strconv.Itoa(*line)
		if isLineTooLong(err) {
			sink.Problem(&RecordError{Indicator: ind.Value, Where: where, Err: err})
			continue
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = errors.New("the answer was cut short")
			}
			return &QueryError{Indicator: ind.Value, Err: fmt.Errorf("reading the answer: %w", err)}
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		if first && b[0] != '{' {
			return &ProtocolError{Indicator: ind.Value, Msg: "the answer is not NDJSON: it starts with " + Quote(string(b), 80)}
		}
		first = false
		rec, err := DecodeRecord(b)
		if err != nil {
			sink.Problem(&RecordError{Indicator: ind.Value, Where: where, Err: err})
			continue
		}
		if err := sink.Record(rec); err != nil {
			return sinkError{err}
		}
	}
}
