package pdns

import (
	"strings"
	"testing"
)

// TestTargets: rdata is read as its type has it, and anything else points
// nowhere: no made-up target from garbage.
func TestTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rrtype string
		rdata  []string
		want   string
	}{
		{"A", []string{"192.0.2.1"}, "192.0.2.1"},
		{"A", []string{"2001:db8::1", "192.0.2.01", "192.0.2.1%eth0", " 192.0.2.1"}, ""},
		{"AAAA", []string{"2001:DB8::1", "192.0.2.1", "fe80::1%eth0"}, "2001:db8::1"},
		{"CNAME", []string{"WWW.Example.COM."}, "www.example.com"},
		{"CNAME", []string{"*.corp.test.", "sp ace.x.", "x?y=1.x", "http://x.example/", "-"}, ""},
		{"CNAME", []string{"_dmarc.example.com.", "r3---sn-x.googlevideo.com."}, "_dmarc.example.com,r3---sn-x.googlevideo.com"},
		{"CNAME", []string{"bücher.example.", "a..example.", strings.Repeat("a", 64) + ".example.", "1.2.3"}, ""},
		{"CNAME", []string{"xn--bcher-kva.example."}, "xn--bcher-kva.example"},
		{"NS", []string{"ns1.example.net.", "ns1.example.net"}, "ns1.example.net"},
		{"PTR", []string{"www.circl.lu."}, "www.circl.lu"},
		{"MX", []string{"10 mx.example.com."}, "mx.example.com"},
		{"MX", []string{"mx.example.com."}, "mx.example.com"}, // as sensors log it (Zeek, passivedns)
		{"MX", []string{"10 mx.x. trailing junk", "65536 mx.example.com.", "-1 mx.example.com.", "10  mx.example.com.", "10"}, ""},
		{"SRV", []string{"0 5 443 sip.example.com."}, "sip.example.com"},
		{"SRV", []string{"sip.example.com"}, "sip.example.com"}, // as sensors log it
		{"SRV", []string{"0 5 sip.example.com.", "0 5 70000 sip.example.com.", "a b c d", "443"}, ""},
		{"TXT", []string{"v=spf1 include:_spf.google.com ~all", "example.com"}, ""},
		{"SOA", []string{"ns1.example.com. hostmaster.example.com. 1 2 3 4 5"}, ""},
	}
	for _, tt := range tests {
		r := Record{RRName: "q.example", RRType: tt.rrtype, RData: tt.rdata}
		if got := strings.Join(r.Targets(), ","); got != tt.want {
			t.Errorf("%s %q: got %q, want %q", tt.rrtype, tt.rdata, got, tt.want)
		}
	}
}

func TestHostName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Example.COM.": "example.com", "a_b.example": "a_b.example", "localhost": "localhost",
		"*.example.com": "", "-lead.example.": "", "trail-.example": "", "": "", ".": "", "example..com": "",
		"10.0.0.1": "", "host name.example": "", strings.Repeat("a.", 127) + "com": "",
	} {
		got, ok := HostName(in)
		if got != want || ok != (want != "") {
			t.Errorf("HostName(%q) = %q, %t; want %q", in, got, ok, want)
		}
	}
}
