package circl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/circl-pdns/circl-pdns/query/circl"
	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/pdns/pdnstest"
)

func TestClientPaginates(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Rec("example.com", "192.0.2.1"), pdnstest.Rec("example.com", "192.0.2.2"), pdnstest.Rec("example.com", "192.0.2.3"), pdnstest.Rec("example.com", "192.0.2.4"), pdnstest.Rec("example.com", "192.0.2.5"))

	r := pdnstest.Ask(srv.NewClient(), "example.com")
	if r.Err != nil || len(r.Problems) > 0 {
		t.Fatal(r.Err, r.Problems)
	}
	if got := r.RData(); got != "192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5" {
		t.Errorf("records %s", got)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 pages of 2", len(reqs))
	}
	for i, req := range reqs {
		if req.Header.Get("dribble-paginate-count") != "2" {
			t.Errorf("request %d: dribble-paginate-count %q", i, req.Header.Get("dribble-paginate-count"))
		}
		if (i == 0) != (req.Header.Get("dribble-paginate-cursor") == "") {
			t.Errorf("request %d: cursor %q", i, req.Header.Get("dribble-paginate-cursor"))
		}
		if ua := req.Header.Get("User-Agent"); ua != "circl-pdns/test" {
			t.Errorf("User-Agent %q", ua)
		}
	}
}

func TestClientServerIgnoringPagination(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.IgnorePagination()
	srv.Add("example.com", pdnstest.Rec("example.com", "192.0.2.1"), pdnstest.Rec("example.com", "192.0.2.2"), pdnstest.Rec("example.com", "192.0.2.3"))
	r := pdnstest.Ask(srv.NewClient(), "example.com")
	if r.Err != nil || r.RData() != "192.0.2.1,192.0.2.2,192.0.2.3" || len(srv.Requests()) != 1 {
		t.Errorf("err %v, records %s, %d requests", r.Err, r.RData(), len(srv.Requests()))
	}
}

func TestClientHeaders(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	c := srv.NewClient()
	c.PageSize, c.DisableActiveQuery, c.RRType = 0, true, "AAAA"
	pdnstest.Ask(c, "2001:db8::1")
	req := srv.Requests()[0]
	if req.Indicator != "2001:db8::1" {
		t.Errorf("indicator in path %q", req.Indicator)
	}
	for k, want := range map[string]string{"dribble-disable-active-query": "1", "dribble-filter-rrtype": "AAAA", "dribble-paginate-count": "", "Authorization": ""} {
		if got := req.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestClientAuth(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Rec("example.com", "192.0.2.1"))

	srv.RequireBasicAuth("analyst", "s3cret")
	c := srv.NewClient()
	r := pdnstest.Ask(c, "example.com")
	var auth *circl.AuthError
	if !errors.As(r.Err, &auth) || auth.Status != http.StatusUnauthorized || pdns.FailureOf(r.Err).Status != pdns.ExitAuth {
		t.Fatalf("no credentials: %v, want an AuthError", r.Err)
	}
	c.User, c.Password = "analyst", "wrong"
	if r := pdnstest.Ask(c, "example.com"); !errors.As(r.Err, &auth) || strings.Contains(r.Err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", r.Err)
	}
	c.Password = "s3cret"
	if r := pdnstest.Ask(c, "example.com"); r.Err != nil || len(r.Records) != 1 {
		t.Fatalf("right password: %v, %d records", r.Err, len(r.Records))
	}

	srv.RequireToken("tok-123")
	c.User, c.Password, c.Token = "", "", "tok-123"
	if r := pdnstest.Ask(c, "example.com"); r.Err != nil || len(r.Records) != 1 {
		t.Fatalf("token: %v, %d records", r.Err, len(r.Records))
	}
	if got := srv.Requests()[len(srv.Requests())-1].Header.Get("Authorization"); got != "tok-123" {
		t.Errorf("Authorization %q, want the token as it is", got)
	}
}

func TestClientStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault circltest.Fault
		check func(error) bool
		msg   string
	}{
		{circltest.Fault{Status: 403}, func(err error) bool { var e *circl.AuthError; return errors.As(err, &e) }, "authentication refused (403 Forbidden)"},
		{circltest.Fault{Status: 429, Header: map[string]string{"Retry-After": "7"}}, func(err error) bool {
			var e *circl.RateLimitError
			return errors.As(err, &e) && e.RetryAfter == 7*time.Second
		}, "rate-limited"},
		{circltest.Fault{Status: 503, Body: "upstream down\nmore"}, func(err error) bool { var e *circl.ServerError; return errors.As(err, &e) }, `server error: 503 Service Unavailable: "upstream down"`},
		{circltest.Fault{Status: 500, Body: "<html>oops</html>", ContentType: "text/html"}, func(err error) bool { var e *circl.ServerError; return errors.As(err, &e) }, "500 Internal Server Error"},
		{circltest.Fault{Body: "<html><body>Login</body></html>", ContentType: "text/html"}, func(err error) bool { var e *circl.ProtocolError; return errors.As(err, &e) }, `the answer is HTML, not NDJSON: "<html><body>Login`},
		{circltest.Fault{Body: "\n\n  <!DOCTYPE html>", ContentType: "application/x-ndjson"}, func(err error) bool { var e *circl.ProtocolError; return errors.As(err, &e) }, `the answer is HTML, not NDJSON: "<!DOCTYPE html>"`},
		{circltest.Fault{Body: "\xff\xfe{\x00"}, func(err error) bool { var e *circl.ProtocolError; return errors.As(err, &e) }, `the answer is UTF-16 (byte-order mark FFFE), not UTF-8`},
		{circltest.Fault{Body: "Service temporarily \x1b[31mdown\n"}, func(err error) bool { var e *circl.ProtocolError; return errors.As(err, &e) }, `not NDJSON: it starts with "Service temporarily \x1b[31mdown"`},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			t.Parallel()
			srv := circltest.NewServer()
			defer srv.Close()
			srv.Fail("example.com", tt.fault)
			r := pdnstest.Ask(srv.NewClient(), "example.com")
			if !tt.check(r.Err) || !strings.Contains(r.Err.Error(), tt.msg) || !strings.HasPrefix(r.Err.Error(), "example.com: ") {
				t.Errorf("%+v: got %v (%T), want one with %q", tt.fault, r.Err, r.Err, tt.msg)
			}
		})
	}
}

func TestClientTolerantAnswer(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Fail("example.com", circltest.Fault{Body: "\r\n" + pdnstest.Rec("example.com", "192.0.2.1") + "\r\n" +
		"not json\r\n" +
		`{"rrname":"example.com","rrtype":1,"rdata":["192.0.2.2"],"time_first":"5","time_last":"6"}` + "\r\n\r\n" +
		`{"rrname":"example.com"}` + "\n" +
		pdnstest.Rec("example.com", "192.0.2.3")}) // no final newline
	r := pdnstest.Ask(srv.NewClient(), "example.com")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if got := r.RData(); got != "192.0.2.1,192.0.2.2,192.0.2.3" {
		t.Errorf("records %s", got)
	}
	want := []string{`example.com: answer line 3: not a JSON object`, `example.com: answer line 6: no rrtype`}
	if len(r.Problems) != len(want) {
		t.Fatalf("problems %v, want %v", r.Problems, want)
	}
	for i, p := range r.Problems {
		var re *pdns.RecordError
		if !errors.As(p, &re) || p.Error() != want[i] {
			t.Errorf("problem %d: %v, want %s", i, p, want[i])
		}
	}
}

func TestClientDribbleErrors(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Rec("example.com", "192.0.2.1"))
	srv.Fail("example.com", circltest.Fault{Header: map[string]string{"x-dribble-errors": `{"limit": "pdnstest.Result set capped at 1 records"}`}})
	r := pdnstest.Ask(srv.NewClient(), "example.com")
	if r.Err != nil || len(r.Records) != 1 || len(r.Problems) != 1 {
		t.Fatalf("err %v, %d records, problems %v", r.Err, len(r.Records), r.Problems)
	}
	var w *pdns.Warning
	if !errors.As(r.Problems[0], &w) || w.Failure() != pdns.Warned || !strings.Contains(w.Error(), "capped at 1 records") {
		t.Errorf("problem %v, want a warning quoting the header", r.Problems[0])
	}
}

func TestClientStall(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.SetLatency(2 * time.Second)
	c := srv.NewClient()
	c.IdleTimeout = 100 * time.Millisecond
	r := pdnstest.Ask(c, "example.com")
	var stalled *circl.StalledError
	if !errors.As(r.Err, &stalled) || !strings.Contains(r.Err.Error(), "example.com: the server sent nothing for 100ms") {
		t.Errorf("got %v, want a stall", r.Err)
	}
}

func TestClientCancel(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.SetLatency(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // once the request is in, and the server taking its time
		srv.WaitRequests(context.Background(), 1)
		cancel()
	}()
	err := srv.NewClient().Query(ctx, pdns.Indicator{Value: "example.com", Kind: pdns.FQDN}, pdns.Sink{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestClientConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	c := srv.NewClient()
	srv.Close()
	r := pdnstest.Ask(c, "example.com")
	var qe *pdns.QueryError
	if !errors.As(r.Err, &qe) || !strings.HasPrefix(r.Err.Error(), "example.com: ") {
		t.Errorf("got %v (%T), want a QueryError", r.Err, r.Err)
	}
}

func TestClientRepeatedCursor(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-dribble-cursor", "same")
		fmt.Fprintln(w, pdnstest.Rec("example.com", "192.0.2.1"))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	c := &circl.Client{Endpoint: u, HTTP: srv.Client(), PageSize: 1}
	r := pdnstest.Ask(c, "example.com")
	var pe *circl.ProtocolError
	if !errors.As(r.Err, &pe) || len(r.Records) != 1 || !strings.Contains(r.Err.Error(), `x-dribble-cursor "same" again after 2 pages`) {
		t.Errorf("got %v and %d records, want a ProtocolError after 2 pages and the record once", r.Err, len(r.Records))
	}
}

// lines makes n records for name, numbered from 0.
// retrying makes c retry 3 times, with backoffs of 1 to 5 ms of a clock
// in which no real time passes.
func retrying(c *circl.Client) *circl.Client {
	c.Retries, c.Backoff, c.MaxBackoff = 3, time.Millisecond, 5*time.Millisecond
	c.Clock = circltest.NewClock()
	return c
}

// TestClientRetries: each failure that may pass is retried, and the answer
// comes out whole, each record once.
func TestClientRetries(t *testing.T) {
	t.Parallel()
	tests := map[string]circltest.Fault{
		"503 then ok":               {Status: 503, Times: 2},
		"429 then ok":               {Status: 429, Times: 1},
		"cut mid-line":              {Cut: 3, Times: 2},
		"reset":                     {Cut: 2, Reset: true, Times: 1},
		"stalled mid-answer":        {Cut: 4, Stall: 2 * time.Second, Times: 1},
		"cut on the first line too": {Cut: 0, Reset: true, Times: 1},
	}
	for name, fault := range tests {
		t.Run(name, func(t *testing.T) {
			srv := circltest.NewServer()
			defer srv.Close()
			srv.Add("example.com", pdnstest.Lines("example.com", 5)...)
			srv.Fail("example.com", fault)
			c := retrying(srv.NewClient())
			c.PageSize = 0
			c.IdleTimeout = 200 * time.Millisecond
			r := pdnstest.Ask(c, "example.com")
			if r.Err != nil || len(r.Problems) > 0 {
				t.Fatalf("err %v, problems %v", r.Err, r.Problems)
			}
			if got := r.RData(); got != "10.0.0.0,10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4" {
				t.Errorf("records %s", got)
			}
		})
	}
}

func TestClientRetriesAPage(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 7)...)
	srv.Fail("example.com", circltest.Fault{Status: 502, Times: 2})
	c := retrying(srv.NewClient()) // pages of 2
	r := pdnstest.Ask(c, "example.com")
	if r.Err != nil || len(r.Records) != 7 || len(srv.Requests()) != 2+4 {
		t.Errorf("err %v, %d records, %d requests", r.Err, len(r.Records), len(srv.Requests()))
	}
}

func TestClientGivesUp(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Fail("example.com", circltest.Fault{Status: 429})
	c := retrying(srv.NewClient())
	r := pdnstest.Ask(c, "example.com")
	var rl *circl.RateLimitError
	if !errors.As(r.Err, &rl) || len(srv.Requests()) != 4 {
		t.Errorf("err %v after %d requests, want a RateLimitError after 4", r.Err, len(srv.Requests()))
	}
	// what cannot pass is not retried
	srv.Fail("example.com", circltest.Fault{Status: 404})
	before := len(srv.Requests())
	if r := pdnstest.Ask(c, "example.com"); r.Err == nil || len(srv.Requests()) != before+1 {
		t.Errorf("404: err %v after %d requests", r.Err, len(srv.Requests())-before)
	}
}

func TestClientRetryAfter(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 1)...)
	srv.Fail("example.com", circltest.Fault{Status: 429, Times: 1, Header: map[string]string{"Retry-After": "7"}})
	c := retrying(srv.NewClient())
	r := pdnstest.Ask(c, "example.com")
	if r.Err != nil || len(srv.Requests()) != 2 {
		t.Fatalf("err %v, %d requests", r.Err, len(srv.Requests()))
	}
	sleeps := c.Clock.(*circltest.Clock).Sleeps
	if len(sleeps) != 1 || <-sleeps != 7*time.Second {
		t.Errorf("the retry did not wait the Retry-After of 7s (and only it)")
	}
}

// TestClient429SlowsEveryWorker: after a 429 with Retry-After, no request
// of the same client goes out before the pause is over, whoever sends it.
func TestClient429SlowsEveryWorker(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("a.example", pdnstest.Lines("a.example", 1)...)
	srv.Add("b.example", pdnstest.Lines("b.example", 1)...)
	srv.Fail("a.example", circltest.Fault{Status: 429, Times: 1, Header: map[string]string{"Retry-After": "30"}})
	c := retrying(srv.NewClient())
	clock := c.Clock.(*circltest.Clock)
	clock.Hold = true // the waits last until the test moves the clock
	a, b := make(chan pdnstest.Result), make(chan pdnstest.Result)
	go func() { a <- pdnstest.Ask(c, "a.example") }() // gets the 429, waits, succeeds
	if d := <-clock.Sleeps; d != 30*time.Second {
		t.Fatalf("a.example waits %v after its 429", d)
	}
	go func() { b <- pdnstest.Ask(c, "b.example") }()
	select {
	case d := <-clock.Sleeps:
		if d != 30*time.Second || len(srv.Requests()) != 1 {
			t.Fatalf("b.example waits %v, after %d requests; want the pause, after only a's", d, len(srv.Requests()))
		}
	case <-b:
		t.Fatal("b.example was asked during a.example's pause")
	}
	clock.Advance(30 * time.Second)
	if r := <-a; r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := <-b; r.Err != nil {
		t.Fatal(r.Err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// TestClientRateLimit: every request of every worker takes a token of
// the one limiter (--rate) before it leaves. With tokens that are never
// renewed (a rate of 0) and 3 of them, six workers at once send 3
// requests, and 3 queries fail at once: what --rate's limiter lets through
// in time is golang.org/x/time/rate's to get right, not waited for here.
func TestClientRateLimit(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	c := srv.NewClient()
	c.Limiter = rate.NewLimiter(0, 3)
	// a deadline, which no token will come by: the limiter says so at once
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for i := range 6 { // six workers at once, as a batch of six has
		wg.Go(func() {
			if r := pdnstest.AskCtx(ctx, c, fmt.Sprintf("r%d.example", i)); r.Err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n := len(srv.Requests()); n != 3 || failed != 3 {
		t.Errorf("%d requests, %d queries failed; want 3 and 3: one limiter for every worker", n, failed)
	}
}
