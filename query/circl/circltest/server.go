// Package circltest runs a fake CIRCL Passive DNS server on loopback, for
// tests and benchmarks, in the way net/http/httptest runs a real one: it
// serves records by name, paginates with the dribble headers, checks Basic
// auth or a token, and can be told to be slow or to fail.
package circltest

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/circl-pdns/circl-pdns/query/circl"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Path is where the fake server answers: GET <URL>/pdns/query/<indicator>.
const Path = "/pdns/query/"

// Fault makes the server answer one indicator badly.
type Fault struct {
	Status      int               // the status to answer with, instead of 200
	Body        string            // the body to send instead of the records
	ContentType string            // instead of application/x-ndjson
	Header      map[string]string // extra response headers, e.g. x-dribble-errors, Retry-After

	// Cut sends the first Cut lines of the answer (or page), half of the
	// next one, and closes the connection; with Reset, it resets it (RST).
	Cut   int
	Reset bool
	// Stall sends the headers and the first Cut lines, then waits this long.
	Stall time.Duration
	// Gzip compresses the body (Content-Encoding: gzip).
	Gzip bool
	// Redirect answers with a 302 to this URL.
	Redirect string
	// Endless sends this text again and again, never ending the body.
	Endless string
	// Huge sends a single line of this many bytes (without a newline
	// until the end), then the records.
	Huge int
	// Drip sends the answer one byte at a time, this long apart.
	Drip time.Duration
	// Cursors are sent as x-dribble-cursor in turn, one a request,
	// whatever was asked: a pagination loop when they repeat.
	Cursors []string

	// In Body, Header values and Cursors, {{auth}} stands for the
	// request's Authorization header and {{password}} for its Basic
	// password: a server that echoes them back.

	// Times limits the fault to the first Times requests for the
	// indicator (0: every request); later ones are answered well.
	Times int
}

// Request is what the server was asked, for assertions.
type Request struct {
	Indicator string
	Path      string // the path as received, before any unescaping
	RawQuery  string
	Header    http.Header
	Time      time.Time
}

// Server is a fake CIRCL Passive DNS server.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	answers  map[string][]string // indicator -> NDJSON lines
	faults   map[string]Fault
	asked    map[string]int // indicator -> requests so far
	user     string
	password string
	token    string
	latency  func(indicator string) time.Duration
	noPages  bool
	style    Style
	headers  map[string]map[string]string // indicator -> headers on every answer
	holds    map[string]<-chan struct{}   // indicator -> its answer waits for this
	requests []Request
	arrived  chan struct{} // closed, and replaced, when a request arrives
	inFlight int           // requests being answered now
	maxIn    int           // the most at once
}

// MaxInFlight is the largest number of requests the server was answering
// at the same time.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

// NewServer starts a fake server; Close it when done.
func NewServer() *Server {
	s := &Server{answers: map[string][]string{}, faults: map[string]Fault{}, asked: map[string]int{}, headers: map[string]map[string]string{}, holds: map[string]<-chan struct{}{}, arrived: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Endpoint is the URL to give the client: <URL>/pdns/query.
func (s *Server) Endpoint() string { return s.URL + strings.TrimSuffix(Path, "/") }

// NewClient is a client of the server, as tests want it: pages of 2
// records (so that answers are paginated), no retries.
func (s *Server) NewClient() *circl.Client {
	u, err := url.Parse(s.Endpoint())
	if err != nil {
		panic(err) // httptest's own URL
	}
	return &circl.Client{Endpoint: u, HTTP: s.Client(), UserAgent: "circl-pdns/test", PageSize: 2}
}

// Add appends raw NDJSON lines to the answer for indicator.
func (s *Server) Add(indicator string, lines ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[indicator] = append(s.answers[indicator], lines...)
}

// Load reads a COF dump (in any layout circl-pdns reads) and files each
// record under the names it answers for (its rrname and its rdata values),
// as CIRCL would answer a query for any of them.
func (s *Server) Load(r io.Reader) error {
	rr := pdns.NewRecordReader(r, 64<<20)
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, name := range rec.Names() {
			s.Add(name, rec.Raw)
		}
	}
}

// SetStyle makes the server write its answers as st says.
func (s *Server) SetStyle(st Style) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.style = st
}

// SetHeader sends the header key: value with every answer for indicator,
// good or bad.
func (s *Server) SetHeader(indicator, key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headers[indicator] == nil {
		s.headers[indicator] = map[string]string{}
	}
	s.headers[indicator][key] = value
}

// Hold makes the answers for indicator wait until release is closed: an
// order of events to test against, rather than a latency.
func (s *Server) Hold(indicator string, release <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds[indicator] = release
}

// Cursor is the cursor of the page that starts at record n, as the server
// makes them.
func Cursor(n int) string { return encodeCursor(n) }

// Fail makes the server answer indicator with f.
func (s *Server) Fail(indicator string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[indicator] = f
}

// RequireBasicAuth makes every request need these credentials.
func (s *Server) RequireBasicAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// RequireToken makes every request need this Authorization header.
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.SetLatencyFunc(func(string) time.Duration { return d })
}

// SetLatencyFunc delays the answers for each indicator by what f says.
func (s *Server) SetLatencyFunc(f func(indicator string) time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = f
}

// IgnorePagination makes the server answer everything at once, as servers
// that do not know API 2.0 do.
func (s *Server) IgnorePagination() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noPages = true
}

// WaitRequests waits until the server has been asked n requests, or ctx
// is done.
func (s *Server) WaitRequests(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		got, arrived := len(s.requests), s.arrived
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return fmt.Errorf("%d requests, not %d: %w", got, n, ctx.Err())
		}
	}
}

// Requests returns what the server was asked, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	ind, ok := strings.CutPrefix(r.URL.Path, Path)
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	s.requests = append(s.requests, Request{Indicator: ind, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Time: time.Now()})
	close(s.arrived)
	s.arrived = make(chan struct{})
	lines := s.answers[ind]
	s.asked[ind]++
	fault, hasFault := s.faults[ind]
	if hasFault && fault.Times > 0 && s.asked[ind] > fault.Times {
		hasFault = false
	}
	user, password, token, latency, style := s.user, s.password, s.token, s.latency, s.style
	noPages := s.noPages || style.IgnorePagination
	asked := s.asked[ind]
	headers := s.headers[ind]
	hold := s.holds[ind]
	s.mu.Unlock()

	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if latency != nil {
		if d := latency(ind); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
	}
	if !authorised(r, user, password, token) {
		w.Header().Set("WWW-Authenticate", `Basic realm="pdns"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	if style.ContentType != "" {
		h.Set("Content-Type", style.ContentType)
	}
	for k, v := range headers {
		h.Set(k, v)
	}
	var body io.Writer = w
	if hasFault {
		fault = echo(fault, r)
		for k, v := range fault.Header {
			h.Set(k, v)
		}
		if fault.ContentType != "" {
			h.Set("Content-Type", fault.ContentType)
		}
		if fault.Redirect != "" {
			http.Redirect(w, r, fault.Redirect, http.StatusFound)
			return
		}
		if fault.Gzip {
			h.Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			defer zw.Close()
			body = zw
		}
		if fault.Endless != "" {
			for r.Context().Err() == nil {
				if _, err := io.WriteString(body, fault.Endless); err != nil {
					return
				}
			}
			return
		}
		if fault.Huge > 0 {
			chunk := strings.Repeat("x", 64<<10)
			io.WriteString(body, `{"rrname":"`)
			for n := 0; n < fault.Huge; n += len(chunk) {
				if _, err := io.WriteString(body, chunk); err != nil {
					return
				}
			}
			io.WriteString(body, "\"}\n")
		}
		if fault.Status != 0 || fault.Body != "" {
			if fault.Status == 0 {
				fault.Status = http.StatusOK
			}
			w.WriteHeader(fault.Status)
			io.WriteString(body, fault.Body)
			return
		}
	}
	if t := r.Header.Get("dribble-filter-rrtype"); t != "" {
		lines = filterType(lines, t)
	}
	start, end := 0, len(lines)
	if n, err := strconv.Atoi(r.Header.Get("dribble-paginate-count")); err == nil && n > 0 && !noPages {
		start = decodeCursor(r.Header.Get("dribble-paginate-cursor"))
		start = min(start, len(lines))
		end = min(start+n, len(lines))
		if end < len(lines) {
			h.Set("x-dribble-cursor", encodeCursor(end))
		}
	}
	lines = lines[start:end]
	if hasFault && len(fault.Cursors) > 0 {
		h.Set("x-dribble-cursor", fault.Cursors[(asked-1)%len(fault.Cursors)])
	}
	if !hasFault && (style.Layout != NDJSON || style.Order != nil || style.QOF || style.BOM || style.LineEnd != "" || style.CloseDelimited) {
		styled(w, h, style, lines)
		return
	}
	if hasFault && (fault.Cut > 0 || fault.Reset) && fault.Stall == 0 {
		cut(w, h, lines, fault)
		return
	}
	if hasFault && fault.Drip > 0 {
		drip(w, r, strings.Join(lines, "\n")+"\n", fault.Drip)
		return
	}
	bw := bufio.NewWriterSize(body, 64<<10)
	n := len(lines)
	if hasFault && fault.Stall > 0 {
		n = min(fault.Cut, n)
	}
	for _, l := range lines[:n] {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	bw.Flush()
	if hasFault && fault.Stall > 0 {
		w.(http.Flusher).Flush()
		select {
		case <-time.After(fault.Stall):
		case <-r.Context().Done():
			return
		}
		for _, l := range lines[n:] {
			bw.WriteString(l)
			bw.WriteByte('\n')
		}
		bw.Flush()
	}
}

// echo puts what the request carried where the fault says.
func echo(f Fault, r *http.Request) Fault {
	_, password, _ := r.BasicAuth()
	rp := strings.NewReplacer("{{auth}}", r.Header.Get("Authorization"), "{{password}}", password)
	if strings.Contains(f.Body, "{{") { // not a copy of every large body
		f.Body = rp.Replace(f.Body)
	}
	h := map[string]string{}
	for k, v := range f.Header {
		h[k] = rp.Replace(v)
	}
	f.Header = h
	f.Cursors = slices.Clone(f.Cursors)
	for i := range f.Cursors {
		f.Cursors[i] = rp.Replace(f.Cursors[i])
	}
	return f
}

// drip sends body a byte at a time, d apart, until the client goes.
func drip(w http.ResponseWriter, r *http.Request, body string, d time.Duration) {
	w.WriteHeader(http.StatusOK)
	t := time.NewTicker(d)
	defer t.Stop()
	for i := 0; i < len(body); i++ {
		if _, err := io.WriteString(w, body[i:i+1]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
}

// styled answers with lines written in a server's style.
func styled(w http.ResponseWriter, h http.Header, st Style, lines []string) {
	body := st.body(lines)
	if !st.CloseDelimited {
		w.Write(body)
		return
	}
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	buf.WriteString("HTTP/1.0 200 OK\r\n")
	h.Write(buf)
	buf.WriteString("\r\n")
	buf.Write(body)
	buf.Flush()
}

// cut answers with the first f.Cut lines and half of the next, with no
// length announced, then closes the connection, or resets it.
func cut(w http.ResponseWriter, h http.Header, lines []string, f Fault) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n", h.Get("Content-Type"))
	if c := h.Get("x-dribble-cursor"); c != "" {
		fmt.Fprintf(buf, "x-dribble-cursor: %s\r\n", c)
	}
	buf.WriteString("\r\n")
	n := min(f.Cut, len(lines))
	for _, l := range lines[:n] {
		buf.WriteString(l + "\n")
	}
	if n < len(lines) {
		buf.WriteString(lines[n][:len(lines[n])/2])
	}
	buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok && f.Reset {
		tc.SetLinger(0) // close with RST
	}
}

func authorised(r *http.Request, user, password, token string) bool {
	switch {
	case token != "":
		return r.Header.Get("Authorization") == token
	case user != "":
		u, p, ok := r.BasicAuth()
		return ok && u == user && p == password
	}
	return true
}

func filterType(lines []string, t string) []string {
	var out []string
	for _, l := range lines {
		if rec, err := pdns.DecodeRecord([]byte(l)); err == nil && rec.RRType != strings.ToUpper(t) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// Cursors are opaque to clients; this one hides an offset.
func encodeCursor(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(n)))
}

func decodeCursor(c string) int {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
	return n
}

// Generate makes n realistic COF records for name: A records with
// distinct addresses and times, as a busy name has.
func Generate(name string, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf(`{"count": %d, "origin": "https://www.circl.lu/pdns/", "time_first": %d, "rrtype": "A", "rrname": %q, "rdata": "%d.%d.%d.%d", "time_last": %d}`,
			1+i%997, 1400000000+i*60, name, 10+i>>24&0xff, i>>16&0xff, i>>8&0xff, i&0xff, 1500000000+i*60)
	}
	return out
}
