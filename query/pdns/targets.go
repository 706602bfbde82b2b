package pdns

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Targets are the names and addresses a record's rdata points to, read
// strictly by its type, as the wire format has them:
//
//	A                       an IPv4 address
//	AAAA                    an IPv6 address
//	CNAME, NS, PTR, DNAME   a host name
//	MX                      a preference (0 to 65535), then a host name
//	SRV                     priority, weight and port (0 to 65535), then a host name
//
// or, for MX and SRV, the host name alone, as sensors log them (Zeek and
// passivedns keep only the exchange or the target).
//
// A host name is HostName's. Anything else is no target: an rdata of
// another type or another form is written as the server sent it, but it is
// not followed by --pivot, drawn in a graph or referred to in STIX. Each
// target is written as an indicator is (a name in lower case without the
// final dot, an address in canonical form), once.
func (r *Record) Targets() []string {
	var out []string
	for _, v := range r.RData {
		t, ok := target(r.RRType, v)
		if ok && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// target reads one rdata value of type rrtype.
func target(rrtype, v string) (string, bool) {
	switch rrtype {
	case "A", "AAAA":
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" || a.Is4() != (rrtype == "A") {
			return "", false
		}
		return a.Unmap().String(), true
	case "CNAME", "NS", "PTR", "DNAME":
		return HostName(v)
	case "MX":
		pref, host, ok := strings.Cut(v, " ")
		if !ok {
			return HostName(v)
		}
		if !uint16Text(pref) {
			return "", false
		}
		return HostName(host)
	case "SRV":
		f := strings.Split(v, " ")
		if len(f) == 1 {
			return HostName(v)
		}
		if len(f) != 4 || !uint16Text(f[0]) || !uint16Text(f[1]) || !uint16Text(f[2]) {
			return "", false
		}
		return HostName(f[3])
	}
	return "", false
}

// uint16Text says whether s is a number from 0 to 65535, in digits only.
func uint16Text(s string) bool {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseUint(s, 10, 16)
	return err == nil && n <= 65535
}

// HostName reads s as a host name, strictly: labels of letters, digits,
// hyphens (not first nor last) and underscores (as SRV and DMARC names
// have), 1 to 63 bytes each and 253 in all, an optional final dot, no wildcard, no space, ASCII only
// (an IDN as its A-label); and what ParseIndicator asks of a name (a
// top-level label that is not all digits, a lone label that looks like
// one). It returns the name as an indicator is written: in lower case,
// without the final dot.
func HostName(s string) (string, bool) {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return "", false
	}
	for _, l := range strings.Split(s, ".") {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	s = strings.ToLower(s)
	if _, err := netip.ParseAddr(s); err == nil || !IsIndicator(s) {
		return "", false
	}
	return s, true
}
