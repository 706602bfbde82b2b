package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query/pdns/pdnstest"
	"github.com/circl-pdns/circl-pdns/query/store"
)

func TestDump(t *testing.T) {
	t.Parallel()
	dump := filepath.Join(t.TempDir(), "dump.ndjson")
	os.WriteFile(dump, []byte(strings.Join([]string{
		pdnstest.Rec("www.example.com", "192.0.2.1"),
		`{"rrname":"example.com.","rrtype":"NS","rdata":["ns1.example.net.","ns2.example.net."]}`,
		`{"rrname":"alias.example.org","rrtype":"CNAME","rdata":"WWW.Example.com."}`,
		`{"rrname":"x.example.org","rrtype":"AAAA","rdata":"2001:DB8::1"}`,
		"garbage",
		`{"rrname":"1.2.0.192.in-addr.arpa","rrtype":"PTR","rdata":"www.example.com."}`,
	}, "\n")), 0o600)
	f := &store.Dump{Path: dump}
	tests := []struct{ q, want string }{
		{"www.example.com", "192.0.2.1,WWW.Example.com.,www.example.com."},
		{"example.com", "ns1.example.net.+ns2.example.net."},
		{"ns2.example.net", "ns1.example.net.+ns2.example.net."},
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:DB8::1"},
		{"nothing.example", ""},
	}
	for i, tt := range tests {
		r := pdnstest.Ask(f, tt.q)
		if r.Err != nil || r.RData() != tt.want {
			t.Errorf("%s: %v, records %q, want %q", tt.q, r.Err, r.RData(), tt.want)
		}
		// the bad line of the dump is reported once, by the first query
		if (i == 0) != (len(r.Problems) == 1) {
			t.Errorf("%s: problems %v", tt.q, r.Problems)
		}
	}
	if r := pdnstest.Ask(&store.Dump{Path: dump + ".missing"}, "example.com"); r.Err == nil || !strings.HasPrefix(r.Err.Error(), "example.com: open ") {
		t.Errorf("missing dump: %v", r.Err)
	}
}

// The dump is read by the same stage as an answer: its limit, its layouts,
// its line numbers.
func TestDumpLimitAndLayout(t *testing.T) {
	t.Parallel()
	dump := filepath.Join(t.TempDir(), "dump.json")
	os.WriteFile(dump, []byte("\xEF\xBB\xBF[\r\n"+pdnstest.Rec("example.com", "192.0.2.1")+",\r\n"+
		pdnstest.Rec("example.com", strings.Repeat("t", 300))+",\r\n"+
		pdnstest.Rec("example.com", "192.0.2.3")+"\r\n]\r\n"), 0o600)
	r := pdnstest.AskMax(context.Background(), &store.Dump{Path: dump}, "example.com", 200)
	if r.Err != nil || r.RData() != "192.0.2.1,192.0.2.3" || len(r.Problems) != 1 ||
		r.Problems[0].Error() != "example.com: "+dump+" line 3: record longer than 200 bytes, skipped" {
		t.Errorf("%v, %q, %v", r.Err, r.RData(), r.Problems)
	}
	if r := pdnstest.Ask(&store.Dump{Path: dump}, "example.com"); r.Err != nil || len(r.Records) != 3 {
		t.Errorf("default limit: %v, %d records", r.Err, len(r.Records))
	}
	html := filepath.Join(t.TempDir(), "page.html")
	os.WriteFile(html, []byte("<html>oops</html>\n"), 0o600)
	if r := pdnstest.Ask(&store.Dump{Path: html}, "example.com"); r.Err == nil || r.Err.Error() != `example.com: `+html+`: the file is HTML, not NDJSON: "<html>oops</html>"` {
		t.Errorf("HTML: %v", r.Err)
	}
}
