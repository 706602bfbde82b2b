// Package circltest runs a fake CIRCL Passive DNS server on loopback, for
// tests and benchmarks, in the way net/http/httptest runs a real one: it
// serves records by name, paginates with the dribble headers, checks Basic
// auth or a token, and can be told to be slow or to fail.
package circltest

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Path is where the fake server answers: GET <URL>/pdns/query/<indicator>.
const Path = "/pdns/query/"

// Fault makes the server answer one indicator badly.
type Fault struct {
	Status      int               // the status to answer with, instead of 200
	Body        string            // the body to send instead of the records
	ContentType string            // instead of application/x-ndjson
	Header      map[string]string // extra response headers, e.g. x-dribble-errors
}

// Request is what the server was asked, for assertions.
type Request struct {
	Indicator string
	Header    http.Header
}

// Server is a fake CIRCL Passive DNS server.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	answers  map[string][]string // indicator -> NDJSON lines
	faults   map[string]Fault
	user     string
	password string
	token    string
	latency  time.Duration
	noPages  bool
	requests []Request
}

// NewServer starts a fake server; Close it when done.
func NewServer() *Server {
	s := &Server{answers: map[string][]string{}, faults: map[string]Fault{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Endpoint is the URL to give the client: <URL>/pdns/query.
func (s *Server) Endpoint() string { return s.URL + strings.TrimSuffix(Path, "/") }

// Add appends raw NDJSON lines to the answer for indicator.
func (s *Server) Add(indicator string, lines ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[indicator] = append(s.answers[indicator], lines...)
}

// Load reads a COF NDJSON dump and files each record under its rrname and
// each of its rdata values, as CIRCL would answer a query for any of them.
func (s *Server) Load(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec struct {
			RRName string `json:"rrname"`
			RData  any    `json:"rdata"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return err
		}
		keys := map[string]bool{strings.TrimSuffix(strings.ToLower(rec.RRName), "."): true}
		switch v := rec.RData.(type) {
		case string:
			keys[strings.TrimSuffix(strings.ToLower(v), ".")] = true
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					keys[strings.TrimSuffix(strings.ToLower(s), ".")] = true
				}
			}
		}
		for k := range keys {
			s.Add(k, line)
		}
	}
	return sc.Err()
}

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
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// IgnorePagination makes the server answer everything at once, as servers
// that do not know API 2.0 do.
func (s *Server) IgnorePagination() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noPages = true
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
	s.requests = append(s.requests, Request{Indicator: ind, Header: r.Header.Clone()})
	lines := s.answers[ind]
	fault, hasFault := s.faults[ind]
	user, password, token, latency, noPages := s.user, s.password, s.token, s.latency, s.noPages
	s.mu.Unlock()

	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	if !authorised(r, user, password, token) {
		w.Header().Set("WWW-Authenticate", `Basic realm="pdns"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	if hasFault {
		for k, v := range fault.Header {
			h.Set(k, v)
		}
		if fault.ContentType != "" {
			h.Set("Content-Type", fault.ContentType)
		}
		if fault.Status != 0 || fault.Body != "" {
			if fault.Status == 0 {
				fault.Status = http.StatusOK
			}
			w.WriteHeader(fault.Status)
			io.WriteString(w, fault.Body)
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
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, l := range lines[start:end] {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	bw.Flush()
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
		var rec struct {
			RRType any `json:"rrtype"`
		}
		if json.Unmarshal([]byte(l), &rec) == nil {
			if s, ok := rec.RRType.(string); ok && !strings.EqualFold(s, t) {
				continue
			}
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
