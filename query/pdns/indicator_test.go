package pdns

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseIndicator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		kind Kind
	}{
		{"www.threatq.com", "www.threatq.com", FQDN},
		{"  WWW.ThreatQ.COM.  ", "www.threatq.com", FQDN},
		{"com", "com", FQDN},
		{"_dmarc.example.com", "_dmarc.example.com", FQDN},
		{"r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com", FQDN},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", FQDN},
		{"bücher.example", "xn--bcher-kva.example", FQDN},
		{"BÜCHER.example", "xn--bcher-kva.example", FQDN},
		{"例え.テスト", "xn--r8jz45g.xn--zckzah", FQDN},
		{"xn--zckzah", "xn--zckzah", FQDN},
		// refanging
		{"example[.]com", "example.com", FQDN},
		{"example(.)com", "example.com", FQDN},
		{"example{.}com", "example.com", FQDN},
		{"example[dot]com", "example.com", FQDN},
		{"example(dot)com", "example.com", FQDN},
		{"example[DOT]com", "example.com", FQDN},
		{"example{dot}com", "example.com", FQDN},
		{"hxxp://example.com/x", "example.com", FQDN},
		{"hxxps://example[.]com/login?u=1", "example.com", FQDN},
		{"HXXPS://Example.com", "example.com", FQDN},
		{"hxxps[://]evil[.]example", "evil.example", FQDN},
		{"2001:db8:[:]1", "2001:db8::1", IPv6},
		{"2001[:]db8[:][:]1", "2001:db8::1", IPv6},
		{"192.0.2[.]1", "192.0.2.1", IPv4},
		// URLs and ports
		{"https://user:pw@www.example.com:8443/a/b?c#d", "www.example.com", FQDN},
		{"ftp://192.0.2.1/file", "192.0.2.1", IPv4},
		{"http://[2001:db8::1]:8080/", "2001:db8::1", IPv6},
		{"example.com/path/to", "example.com", FQDN},
		{"example.com:443", "example.com", FQDN},
		{"192.0.2.1:53", "192.0.2.1", IPv4},
		{"[2001:db8::1]:53", "2001:db8::1", IPv6},
		{"[2001:db8::1]", "2001:db8::1", IPv6},
		// addresses
		{"104.196.175.197", "104.196.175.197", IPv4},
		{"2001:DB8:0:0:0:0:0:1", "2001:db8::1", IPv6},
		{"2001:0db8::0001", "2001:db8::1", IPv6},
		{"::ffff:192.0.2.1", "192.0.2.1", IPv4},
		{"::1", "::1", IPv6},
	}
	for _, tt := range tests {
		got, err := ParseIndicator(tt.in)
		if err != nil {
			t.Errorf("ParseIndicator(%q): %v", tt.in, err)
			continue
		}
		if got.Value != tt.want || got.Kind != tt.kind {
			t.Errorf("ParseIndicator(%q) = %q %v, want %q %v", tt.in, got.Value, got.Kind, tt.want, tt.kind)
		}
	}
}

// A leading "*." asks for the names under a domain (a store or a dump
// answers it); the name is canonicalised as any other.
func TestParseIndicatorWildcard(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"*.example.com":         "*.example.com",
		"*.EXAMPLE[.]com.":      "*.example.com",
		"*.bücher.example":      "*.xn--bcher-kva.example",
		"  *.sub.example.org  ": "*.sub.example.org",
	} {
		got, err := ParseIndicator(in)
		if err != nil || got.Value != want || !got.Wildcard || got.Kind != FQDN || got.Suffix() != want[1:] {
			t.Errorf("ParseIndicator(%q) = %+v, %v; want %s", in, got, err, want)
		}
	}
	if got, _ := ParseIndicator("example.com"); got.Wildcard {
		t.Error("example.com is no wildcard")
	}
}

func TestParseIndicatorRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, why string }{
		{"", "empty"},
		{"   ", "empty"},
		{"exa mple.com", "invalid characters"},
		{"user@example.com", "e-mail"},
		{"d41d8cd98f00b204e9800998ecf8427e", "hash"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", "hash"},
		{"10.0.0.0/8", "CIDR"},
		{"2001:db8::/32", "CIDR"},
		{"*example.com", "wildcard"},
		{"www.*.example.com", "wildcard"},
		{"*.*.example.com", "wildcard"},
		{"*.", "empty label"},
		{"*.com..", "empty label"},
		{"example..com", "empty label"},
		{".example.com", "empty label"},
		{"999.1.1.1", "malformed address"},
		{"1.2.3", "malformed address"},
		{"010.1.1.1", "malformed address"},
		{"fe80::1%eth0", "zone"},
		{"example.com:http", "host:port"},
		{"[2001:db8::1", "bracketed"},
		{"http://", "URL"},
		{"/etc/passwd", "path"},
		{"../x", "empty label"},
		{"a\x1bb.com", "control"},
		{"\xff\xfe.com", "UTF-8"},
		{"localhost1", "not a TLD"},
		{strings.Repeat("a", 64) + ".com", "63 bytes"},
		{strings.Repeat("abcdefgh.", 30) + "com", "253 bytes"},
		{strings.Repeat("x", maxIndicatorLen+1), "too long"},
		{"a_b c", "invalid characters"},
		{"-", "not a TLD"},
	}
	for _, tt := range tests {
		_, err := ParseIndicator(tt.in)
		if err == nil {
			t.Errorf("ParseIndicator(%q) succeeded, want an error about %s", tt.in, tt.why)
			continue
		}
		if !errors.Is(err, ErrNotIndicator) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("ParseIndicator(%q) = %v, want ErrNotIndicator about %s", tt.in, err, tt.why)
		}
	}
}

// FuzzParseIndicator checks that what is accepted is canonical: parsing the
// result again gives it back, and it is plain ASCII that can go in a URL path
// segment unharmed.
func FuzzParseIndicator(f *testing.F) {
	for _, s := range []string{"www.threatq.com", "hxxps://evil[.]example/x", "2001:db8[:]1", "[::1]:53", "bücher.example", "10.0.0.0/8", "a@b.c", "example.com:443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ind, err := ParseIndicator(s)
		if err != nil {
			if !errors.Is(err, ErrNotIndicator) {
				t.Fatalf("ParseIndicator(%q): error %v is not ErrNotIndicator", s, err)
			}
			return
		}
		if !utf8.ValidString(ind.Value) || strings.ContainsAny(ind.Value, "/?#%@ \\") {
			t.Fatalf("ParseIndicator(%q) = %q: not safe in a path segment", s, ind.Value)
		}
		for _, r := range ind.Value {
			if r > 0x7e || r < 0x21 {
				t.Fatalf("ParseIndicator(%q) = %q: not printable ASCII", s, ind.Value)
			}
		}
		again, err := ParseIndicator(ind.Value)
		if err != nil || again != ind {
			t.Fatalf("ParseIndicator(%q) = %v, but again gives %v, %v", s, ind, again, err)
		}
	})
}

// IsIndicator agrees with ParseIndicator: its quick path is exact.
func TestIsIndicator(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"example.com", "www.threatq.com", "a_b.example", "r3---sn-x.googlevideo.com", "com", "xn--bcher-kva.example",
		"192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "2001:DB8::1", "fe80::1%eth0",
		"Example.com", "example.com.", "10 mx.example.com", "v=spf1 -all", "1.2.3", "example.123", "abc123",
		"bücher.example", "xn--zz.example", "a..b", "", ".", "*.example.com", strings.Repeat("a", 64) + ".com",
	} {
		ind, err := ParseIndicator(s)
		want := err == nil && !ind.Wildcard && ind.Value == s
		if got := IsIndicator(s); got != want {
			t.Errorf("IsIndicator(%q) = %v, want %v", s, got, want)
		}
	}
}
