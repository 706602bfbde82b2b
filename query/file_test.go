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
