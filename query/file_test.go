package query_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query"
)

func TestFile(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "dump.ndjson")
	os.WriteFile(dump, []byte(strings.Join([]string{
		rec("www.example.com", "192.0.2.1"),
		`{"rrname":"example.com.","rrtype":"NS","rdata":["ns1.example.net.","ns2.example.net."]}`,
		`{"rrname":"alias.example.org","rrtype":"CNAME","rdata":"WWW.Example.com."}`,
		`{"rrname":"x.example.org","rrtype":"AAAA","rdata":"2001:DB8::1"}`,
		"garbage",
		`{"rrname":"1.2.0.192.in-addr.arpa","rrtype":"PTR","rdata":"www.example.com."}`,
	}, "\n")), 0o600)
	f := &query.File{Path: dump}
	tests := []struct{ q, want string }{
		{"www.example.com", "192.0.2.1,WWW.Example.com.,www.example.com."},
		{"example.com", "ns1.example.net.+ns2.example.net."},
		{"ns2.example.net", "ns1.example.net.+ns2.example.net."},
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:DB8::1"},
		{"nothing.example", ""},
	}
	for i, tt := range tests {
		r := run(f, tt.q)
		if r.err != nil || r.rdata() != tt.want {
			t.Errorf("%s: %v, records %q, want %q", tt.q, r.err, r.rdata(), tt.want)
		}
		// the bad line of the dump is reported once, by the first query
		if (i == 0) != (len(r.problems) == 1) {
			t.Errorf("%s: problems %v", tt.q, r.problems)
		}
	}
	if r := run(&query.File{Path: dump + ".missing"}, "example.com"); r.err == nil || !strings.HasPrefix(r.err.Error(), "example.com: open ") {
		t.Errorf("missing dump: %v", r.err)
	}
}

// The dump is read by the same stage as an answer: its limit, its layouts,
// its line numbers.
func TestFileLimitAndLayout(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "dump.json")
	os.WriteFile(dump, []byte("\xEF\xBB\xBF[\r\n"+rec("example.com", "192.0.2.1")+",\r\n"+
		rec("example.com", strings.Repeat("t", 300))+",\r\n"+
		rec("example.com", "192.0.2.3")+"\r\n]\r\n"), 0o600)
	r := run(&query.File{Path: dump, MaxRecordBytes: 200}, "example.com")
	if r.err != nil || r.rdata() != "192.0.2.1,192.0.2.3" || len(r.problems) != 1 ||
		r.problems[0].Error() != "example.com: "+dump+" line 3: record longer than 200 bytes, skipped" {
		t.Errorf("%v, %q, %v", r.err, r.rdata(), r.problems)
	}
	if r := run(&query.File{Path: dump}, "example.com"); r.err != nil || len(r.records) != 3 {
		t.Errorf("default limit: %v, %d records", r.err, len(r.records))
	}
	html := filepath.Join(t.TempDir(), "page.html")
	os.WriteFile(html, []byte("<html>oops</html>\n"), 0o600)
	if r := run(&query.File{Path: html}, "example.com"); r.err == nil || r.err.Error() != `example.com: `+html+`: the file is HTML, not NDJSON: "<html>oops</html>"` {
		t.Errorf("HTML: %v", r.err)
	}
}
