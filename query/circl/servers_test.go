package circl_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query/circl"
	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
	"github.com/circl-pdns/circl-pdns/query/pdns/pdnstest"
)

// Real servers answer in their own ways (testdata/reference/cof-servers.md);
// every record of each is read, through pages where the server has them.
func TestClientReadsRealServers(t *testing.T) {
	t.Parallel()
	for _, style := range []string{
		"circl", "d4", "qof", "pretty", "array",
		"circl,bom", "circl,crlf", "circl,cr", "circl,http10",
		"d4,bom,cr", "pretty,crlf", "array,bom,http10", "qof,cr,http10",
	} {
		t.Run(style, func(t *testing.T) {
			st, err := circltest.ParseStyle(style)
			if err != nil {
				t.Fatal(err)
			}
			srv := circltest.NewServer()
			defer srv.Close()
			srv.SetStyle(st)
			srv.Add("example.com", pdnstest.Lines("example.com", 5)...)
			r := pdnstest.Ask(srv.NewClient(), "example.com")
			if r.Err != nil || len(r.Problems) > 0 || r.RData() != "10.0.0.0,10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4" {
				t.Fatalf("%v %v: %s", r.Err, r.Problems, r.RData())
			}
			for _, rec := range r.Records {
				if rec.Count != 1 || rec.TimeFirst != 1 || rec.Members()[len(rec.Members())-1].Key == "rrdata" {
					t.Errorf("%+v", rec)
				}
			}
			// no match: status 200 and an empty body, as D4 sends it
			if r := pdnstest.Ask(srv.NewClient(), "nothing.example"); r.Err != nil || len(r.Records) != 0 {
				t.Errorf("no match: %v, %d records", r.Err, len(r.Records))
			}
		})
	}
}

// The seed's own sample response, served as it is printed in the product
// sheet: 7 records.
func TestClientReadsSeedSample(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("../../testdata/seed-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Fail("www.threatq.com", circltest.Fault{Body: string(body), ContentType: "application/json"})
	r := pdnstest.Ask(srv.NewClient(), "www.threatq.com")
	if r.Err != nil || len(r.Problems) > 0 || len(r.Records) != 7 || r.Records[6].RRName != "threatsketch.com" {
		t.Errorf("%v %v: %d records", r.Err, r.Problems, len(r.Records))
	}
}

// A record with a member twice is refused, and the others are read.
func TestClientDuplicateMembers(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Rec("example.com", "192.0.2.1"),
		`{"rrname":"example.com","rrtype":"A","rdata":"192.0.2.2","rrname":"evil.example"}`,
		pdnstest.Rec("example.com", "192.0.2.3"))
	c := srv.NewClient()
	c.PageSize = 0
	r := pdnstest.Ask(c, "example.com")
	if r.Err != nil || r.RData() != "192.0.2.1,192.0.2.3" || len(r.Problems) != 1 ||
		r.Problems[0].Error() != `example.com: answer line 2: member "rrname" appears twice` {
		t.Errorf("%v %v: %s", r.Err, r.Problems, r.RData())
	}
}

// A cursor seen before in the same query ends it: what came stays, and
// nothing is passed on twice, even when the server sends it again.
func TestClientCursorLoop(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 3)...)
	// pages of 1: the first, then offset 1, then back to offset 0, then 1...
	srv.Fail("example.com", circltest.Fault{Cursors: []string{circltest.Cursor(1), circltest.Cursor(0)}, Times: 10}) // then pages end
	c := srv.NewClient()
	c.PageSize = 1
	r := pdnstest.Ask(c, "example.com")
	var pe *circl.ProtocolError
	if !errors.As(r.Err, &pe) || r.RData() != "10.0.0.0,10.0.0.1" ||
		!strings.Contains(r.Err.Error(), "again after 3 pages: a pagination loop") {
		t.Errorf("%v: %s", r.Err, r.RData())
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests", n)
	}
}

// x-dribble-errors is read on every attempt: an answer capped by the
// server that comes after a 429 still says so, once.
func TestClientDribbleErrorsAfterRetry(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	srv.Add("example.com", pdnstest.Lines("example.com", 2)...)
	srv.SetHeader("example.com", "x-dribble-errors", `{"limit": "pdnstest.Result set capped at 2"}`)
	srv.Fail("example.com", circltest.Fault{Status: 429, Times: 2})
	r := pdnstest.Ask(retrying(srv.NewClient()), "example.com")
	if r.Err != nil || len(r.Records) != 2 || len(r.Problems) != 1 ||
		r.Problems[0].Error() != `warning: example.com: the server reports: {"limit":"pdnstest.Result set capped at 2"}` {
		t.Errorf("%v, %d records, %v", r.Err, len(r.Records), r.Problems)
	}
}
