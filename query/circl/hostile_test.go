package circl_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/circl-pdns/circl-pdns/query/circl"
	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/pdns/pdnstest"
)

// Hostile or broken servers: for each, what the user would want, a message
// naming the indicator, and every complete record received kept.

func TestHostileGzipBody(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 3)...)
	srv.Fail("example.com", circltest.Fault{Gzip: true})
	if r := pdnstest.Ask(srv.NewClient(), "example.com"); r.Err != nil || len(r.Records) != 3 {
		t.Errorf("gzip: %v, %d records", r.Err, len(r.Records))
	}
}

func TestHostileEmptyBody(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	if r := pdnstest.Ask(srv.NewClient(), "example.com"); r.Err != nil || len(r.Records) != 0 || len(r.Problems) != 0 {
		t.Errorf("empty: %v, %d records, %v", r.Err, len(r.Records), r.Problems)
	}
}

func TestHostileCutKeepsWhatCame(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 5)...)
	srv.Fail("example.com", circltest.Fault{Cut: 3})
	c := srv.NewClient()
	c.PageSize = 0
	r := pdnstest.Ask(c, "example.com")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "example.com: the answer was cut short") || len(r.Records) != 3 {
		t.Errorf("cut: %v, %d records", r.Err, len(r.Records))
	}
}

func TestHostileStallAfterHeaders(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 5)...)
	srv.Fail("example.com", circltest.Fault{Stall: time.Minute})
	c := srv.NewClient()
	c.IdleTimeout = 100 * time.Millisecond
	var stalled *circl.StalledError
	if r := pdnstest.Ask(c, "example.com"); !errors.As(r.Err, &stalled) {
		t.Errorf("stall: %v", r.Err)
	}
}

func TestHostileRateLimitedForEver(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Fail("example.com", circltest.Fault{Status: 429})
	r := pdnstest.Ask(retrying(srv.NewClient()), "example.com")
	if r.Err == nil || r.Err.Error() != "example.com: rate-limited by the server (429) (gave up after 4 attempts)" {
		t.Errorf("got %v", r.Err)
	}
}

func TestHostileHugeErrorBody(t *testing.T) {
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Fail("example.com", circltest.Fault{Status: 500, Body: "database on fire\n" + strings.Repeat("stack trace\n", 1<<20)})
	before := totalAlloc()
	r := pdnstest.Ask(srv.NewClient(), "example.com")
	if r.Err == nil || r.Err.Error() != `example.com: server error: 500 Internal Server Error: "database on fire"` {
		t.Errorf("got %v", r.Err)
	}
	if n := totalAlloc() - before; n > 4<<20 {
		t.Errorf("%d bytes allocated for a 12 MB error page", n)
	}
}

func TestHostileHugeLine(t *testing.T) {
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 2)...)
	srv.Fail("example.com", circltest.Fault{Huge: 100 << 20}) // one line of 100 MB, then the records
	c := srv.NewClient()
	c.PageSize = 0
	before := totalAlloc()
	r := pdnstest.Ask(c, "example.com")
	if r.Err != nil || len(r.Records) != 2 || len(r.Problems) != 1 ||
		r.Problems[0].Error() != "example.com: answer line 1: record longer than 4194304 bytes, skipped" {
		t.Errorf("huge line: %v, %d records, %v", r.Err, len(r.Records), r.Problems)
	}
	if n := totalAlloc() - before; n > 32<<20 {
		t.Errorf("%d MB allocated to skip a 100 MB line", n>>20)
	}
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

func TestHostileEndlessBodies(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		fault circltest.Fault
		want  string
	}{
		"junk lines":             {circltest.Fault{Endless: "{spam}\n"}, "example.com: the answer is given up on: 100 records in a row are not records"},
		"truncated records":      {circltest.Fault{Endless: `{"rrname":` + "\n"}, "example.com: the answer is given up on: 100 records in a row are not records"},
		"no newline, ever":       {circltest.Fault{Endless: strings.Repeat("x", 1000)}, `example.com: the answer is not NDJSON: it starts with "` + strings.Repeat("x", 80) + `"`},
		"one record, no end":     {circltest.Fault{Huge: 8 << 20}, "example.com: the answer is given up on: the record at line 1 goes on for more than 4 MB with no end in sight"},
		"binary, no newline":     {circltest.Fault{Endless: "{\x00\xff\x1b[2J"}, "example.com: the answer is given up on: more than 4 MB that is not records"},
		"blank lines, for ever":  {circltest.Fault{Endless: "\n\r\n \t"}, "example.com: the answer is given up on: more than 1 MB of blank space and no record"},
		"long lines, one by one": {circltest.Fault{Endless: "{" + strings.Repeat("y", 70<<10) + "}\n"}, "example.com: the answer is given up on: 10 records in a row longer than 65536 bytes"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := circltest.NewServer()
			defer srv.Close()
			srv.Add("example.com", pdnstest.Lines("example.com", 1)...)
			srv.Fail("example.com", tt.fault)
			c := srv.NewClient()
			r := pdnstest.AskMax(context.Background(), c, "example.com", 64<<10)
			var pe *circl.ProtocolError
			if !errors.As(r.Err, &pe) || r.Err.Error() != tt.want {
				t.Errorf("got %v", r.Err)
			}
			for _, p := range r.Problems {
				if strings.ContainsAny(p.Error(), "\x00\x1b") {
					t.Errorf("raw control characters in %q", p)
				}
			}
		})
	}
}

// TestHostileRedirects: credentials follow a redirect to the same host
// only, and never from HTTPS down to plain HTTP.
func TestHostileRedirects(t *testing.T) {
	t.Parallel()
	other := circltest.NewServer() // another host: "localhost" rather than 127.0.0.1
	defer other.Close()
	other.Add("example.com", pdnstest.Lines("example.com", 1)...)
	otherURL := strings.Replace(other.Endpoint(), "127.0.0.1", "localhost", 1) + "/example.com"

	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("same.example", pdnstest.Lines("same.example", 1)...)
	srv.Fail("example.com", circltest.Fault{Redirect: otherURL})
	srv.Fail("moved.example", circltest.Fault{Redirect: srv.Endpoint() + "/same.example"})
	c := srv.NewClient()
	c.HTTP = &http.Client{CheckRedirect: circl.CheckRedirect}
	c.User, c.Password = "analyst", "Canary-Pw-7731"

	if r := pdnstest.Ask(c, "example.com"); r.Err != nil || len(r.Records) != 1 {
		t.Fatalf("redirect to another host: %v, %d records", r.Err, len(r.Records))
	}
	if got := other.Requests()[0].Header.Get("Authorization"); got != "" {
		t.Errorf("the credentials followed the redirect to another host: %q", got)
	}
	if r := pdnstest.Ask(c, "moved.example"); r.Err != nil || len(r.Records) != 1 {
		t.Fatalf("redirect on the same host: %v", r.Err)
	}
	if got := srv.Requests()[len(srv.Requests())-1].Header.Get("Authorization"); got == "" {
		t.Error("the credentials did not follow a redirect on the same host")
	}

	tlsSrv := httptest.NewTLSServer(http.RedirectHandler(other.Endpoint()+"/example.com", http.StatusFound))
	defer tlsSrv.Close()
	u, _ := url.Parse(tlsSrv.URL + "/pdns/query")
	tc := &circl.Client{Endpoint: u, HTTP: tlsSrv.Client(), Retries: 3, User: "analyst", Password: "Canary-Pw-7731"}
	tc.HTTP.CheckRedirect = circl.CheckRedirect
	before := len(other.Requests())
	r := pdnstest.Ask(tc, "example.com")
	var re *circl.RedirectError
	if !errors.As(r.Err, &re) || !strings.Contains(r.Err.Error(), "redirected from HTTPS to plain HTTP") || len(other.Requests()) != before {
		t.Errorf("https to http: %v, %d requests reached the http server", r.Err, len(other.Requests())-before)
	}
}

// TestHostileSelfSignedTLS: refused unless verification is switched off,
// and not retried, since it cannot pass.
func TestHostileSelfSignedTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, pdnstest.Rec("example.com", "192.0.2.1"))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/pdns/query")
	transport := http.DefaultTransport.(*http.Transport).Clone()
	c := &circl.Client{Endpoint: u, HTTP: &http.Client{Transport: transport}, Retries: 3, Backoff: time.Hour}
	r := pdnstest.Ask(c, "example.com")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "certificate") {
		t.Fatalf("verified: %v", r.Err)
	}
	transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	if r := pdnstest.Ask(c, "example.com"); r.Err != nil || len(r.Records) != 1 {
		t.Errorf("not verified: %v", r.Err)
	}
}

// TestPathTricks: whatever the input, the request is for one path segment
// under the endpoint, and nothing else.
func TestPathTricks(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	c := srv.NewClient()
	inputs := []string{"../admin", "..", "%2e%2e/x", "example.com/../../etc/passwd", "example.com?x=1", "example.com#frag",
		"exa mple.com", "example.com%2fadmin", "http://example.com/../x", "[::1]/..", "example.com\\..\\x", "a.b/%2e%2e"}
	for _, in := range inputs {
		ind, err := pdns.ParseIndicator(in)
		if err != nil {
			continue // refused: nothing is asked
		}
		pdnstest.Ask(c, ind.Value)
		got := srv.Requests()[len(srv.Requests())-1]
		if got.Path != circltest.Path+ind.Value || got.RawQuery != "" || strings.Count(got.Path, "/") != 3 {
			t.Errorf("%q asked for %q?%s", in, got.Path, got.RawQuery)
		}
	}
}

// runWithin runs a query with a safety bound, so that a client that would
// wait for hours fails the test instead of hanging it.
func runWithin(c pdns.Source, value string) pdnstest.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return pdnstest.AskCtx(ctx, c, value)
}

// A Retry-After longer than the client allows fails that query at once.
func TestHostileRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status       int
		header, want string
	}{
		{429, "999999999", "example.com: rate-limited by the server (429), retry after 277777h46m39s; it asks to wait for 277777h46m39s (Retry-After: \"999999999\"), more than the 2m0s allowed: given up"},
		{503, "Fri, 01 Jan 2099 00:00:00 GMT", "example.com: server error: 503 Service Unavailable; it asks to wait for "},
		{429, "18446744074", "it asks to wait for ever (Retry-After: \"18446744074\")"}, // x 1e9 ns wraps to 0.29 s
		{429, "99999999999999999999999", "it asks to wait for ever (Retry-After: \"99999999999999999999999\"), more than the 2m0s allowed: given up"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			t.Parallel()
			srv := circltest.NewServer()
			defer srv.Close()
			srv.Add("example.com", pdnstest.Lines("example.com", 1)...)
			srv.Fail("example.com", circltest.Fault{Status: tt.status, Header: map[string]string{"Retry-After": tt.header}})
			c := retrying(srv.NewClient())
			c.MaxWait = 2 * time.Minute
			r := runWithin(c, "example.com")
			var we *circl.WaitError
			if !errors.As(r.Err, &we) || !strings.Contains(r.Err.Error(), tt.want) || len(srv.Requests()) != 1 {
				t.Errorf("Retry-After %s: %v after %d requests", tt.header, r.Err, len(srv.Requests()))
			}
		})
	}
	// a wait within the bound is obeyed
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 1)...)
	srv.Fail("example.com", circltest.Fault{Status: 429, Header: map[string]string{"Retry-After": "0"}, Times: 1})
	c := retrying(srv.NewClient())
	c.MaxWait = time.Second
	if r := runWithin(c, "example.com"); r.Err != nil || len(r.Records) != 1 {
		t.Errorf("short wait: %v", r.Err)
	}
}

// A body that drips is given up on by the floor on the rate, whatever the
// idle timeout, then retried, then failed.
func TestHostileDrip(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 3)...)
	srv.Fail("example.com", circltest.Fault{Drip: 10 * time.Millisecond})
	c := retrying(srv.NewClient())
	c.Retries, c.PageSize = 1, 0
	c.IdleTimeout = time.Minute
	c.SpeedLimit, c.SpeedTime = 1000, 200*time.Millisecond
	r := runWithin(c, "example.com")
	var slow *circl.SlowError
	if !errors.As(r.Err, &slow) || !strings.Contains(r.Err.Error(), "under the floor of 1000 bytes a second (gave up after 2 attempts)") || len(srv.Requests()) != 2 {
		t.Errorf("drip: %v, %d requests", r.Err, len(srv.Requests()))
	}
}

// --max-time bounds a whole query: a server that stalls is given up on,
// whatever the idle timeout, and the message says which limit fired.
func TestHostileMaxTime(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 3)...)
	srv.Fail("example.com", circltest.Fault{Stall: time.Hour, Cut: 1})
	c := srv.NewClient()
	c.PageSize, c.IdleTimeout, c.MaxTime = 0, time.Hour, 200*time.Millisecond
	r := runWithin(c, "example.com")
	var tl *circl.TimeLimitError
	if !errors.As(r.Err, &tl) || len(r.Records) != 1 ||
		r.Err.Error() != "example.com: no answer in full within 200ms (the limit of one query, every page and retry included)" {
		t.Errorf("max time: %v, %d records", r.Err, len(r.Records))
	}
}

// Nothing a server sends back can print a credential: not an error page,
// not a header, not a cursor, not a member name, not a -v log line.
func TestHostileEchoedCredentials(t *testing.T) {
	t.Parallel()
	const user, password, token = "analyst", `Canary"Pw\7731`, "Token Canary-Tk-7731"
	faults := map[string]circltest.Fault{
		"error page":      {Status: 500, Body: "bad request from {{auth}} ({{password}})"},
		"error page, 403": {Status: 403, Body: "{{auth}}"},
		"HTML page":       {Body: "<html>you sent {{auth}}</html>"},
		"not NDJSON":      {Body: "{{password}} {{auth}}\n"},
		"dribble errors":  {Header: map[string]string{"x-dribble-errors": `{"auth": "{{auth}}", "pw": "{{password}}"}`}},
		"cursor loop":     {Cursors: []string{"{{auth}}", "{{auth}}"}, Times: 5},
		"member names":    {Body: `{"rrname":"x","rrtype":"A","rdata":"1","{{auth}}":1,"{{auth}}":2}` + "\n"},
		"retry":           {Status: 503, Body: "{{auth}}", Header: map[string]string{"Retry-After": "99999"}},
	}
	for name, f := range faults {
		for _, auth := range []string{"basic", "token"} {
			t.Run(name+"/"+auth, func(t *testing.T) {
				srv := circltest.NewServer()
				defer srv.Close()
				srv.Add("example.com", pdnstest.Lines("example.com", 3)...)
				srv.Fail("example.com", f)
				c := retrying(srv.NewClient())
				c.PageSize, c.MaxWait = 1, time.Second
				if auth == "basic" {
					c.User, c.Password = user, password
				} else {
					c.Token = token
				}
				var log strings.Builder
				c.Log = slog.New(slog.NewTextHandler(&log, nil))
				r := runWithin(c, "example.com")
				said := []string{log.String()}
				if r.Err != nil {
					said = append(said, r.Err.Error())
				}
				for _, p := range r.Problems {
					said = append(said, p.Error())
				}
				if len(said) == 1 {
					t.Fatalf("nothing said: %v", r.Err)
				}
				for _, s := range said {
					for _, secret := range []string{"Canary", base64.StdEncoding.EncodeToString([]byte(user + ":" + password))[4:20], "Q2FuYXJ5"} {
						if strings.Contains(s, secret) {
							t.Errorf("%q in %s", secret, s)
						}
					}
				}
				if name != "error page, 403" && !strings.Contains(strings.Join(said, "\n"), "[credentials removed]") {
					t.Errorf("nothing removed: %q", said)
				}
			})
		}
	}
}
