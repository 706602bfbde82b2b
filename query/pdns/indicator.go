package pdns

import (
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Kind is what an indicator is: a domain name or an address.
type Kind int

const (
	FQDN Kind = iota + 1
	IPv4
	IPv6
)

func (k Kind) String() string {
	switch k {
	case FQDN:
		return "FQDN"
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "unknown"
}

// Indicator is one validated, canonical thing to ask the service about.
type Indicator struct {
	Value string // canonical: lower-case A-label FQDN, or the address's canonical text
	Kind  Kind
	// With --pivot (Pivoting): the hop (0 for the given indicators), and
	// the indicator whose answer led to this one.
	Pivoting bool
	Hop      int
	Via      string
	// Wildcard: Value is "*." and a name, asking for every name under it
	// (not the name itself); only a local store or dump answers it.
	Wildcard bool
	// Hub, on the indicator an answer ends with (with --pivot): the answer
	// had more records than --max-fanout, which were kept and not followed.
	// The engine decides it, once, for every writer.
	Hub bool
}

// Suffix is what the names a wildcard asks for end in: ".example.com"
// for "*.example.com".
func (i Indicator) Suffix() string { return strings.TrimPrefix(i.Value, "*") }

func (i Indicator) String() string { return i.Value }

// LeadFields are the members written before a record's own, in jsonl and
// in what a jq program sees: "query", the indicator asked, and for a pivot
// "hop" and "via".
func (i Indicator) LeadFields() []Field {
	fs := []Field{{Key: "query", Value: string(appendJSONString(nil, i.Value))}}
	if i.Pivoting {
		via := "null"
		if i.Via != "" {
			via = string(appendJSONString(nil, i.Via))
		}
		fs = append(fs, Field{Key: "hop", Value: strconv.Itoa(i.Hop)}, Field{Key: "via", Value: via})
	}
	return fs
}

// maxIndicatorLen bounds an input line; longer lines are refused unread.
const maxIndicatorLen = 2048

// ErrNotIndicator is the reason given for input that is neither an FQDN nor an IP address.
var ErrNotIndicator = errors.New("not an FQDN or IP address")

// notIndicator explains why a text was refused, in words a user recognises.
type notIndicator string

func (n notIndicator) Error() string        { return string(n) + ", " + ErrNotIndicator.Error() }
func (n notIndicator) Is(target error) bool { return target == ErrNotIndicator }

var refangs = strings.NewReplacer(
	"[.]", ".", "(.)", ".", "{.}", ".",
	"[dot]", ".", "(dot)", ".", "{dot}", ".",
	"[://]", "://", "[:]", ":",
)

// refang undoes the usual defanging of indicators in threat reports,
// example[.]com, example(dot)com, hxxps[://]example.com, 2001:db8[:]1, and
// lower-cases the text (names and addresses are case-insensitive).
func refang(s string) string {
	s = refangs.Replace(strings.ToLower(s))
	if strings.HasPrefix(s, "hxxp") {
		s = "http" + s[4:]
	}
	return s
}

var lookup = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.StrictDomainName(false), // '_' is common in DNS (_dmarc, SRV); characters are checked below
	idna.CheckHyphens(false),     // "r3---sn-x.googlevideo.com" is a real name
	idna.VerifyDNSLength(false),  // lengths are checked below, with a clearer message
)

// ParseIndicator turns one line of user input into an Indicator. It refangs,
// reduces a URL or host:port to its host, canonicalises addresses and converts
// internationalised names to their A-label. It refuses what no source can
// answer: e-mail addresses, hashes, CIDR blocks, wildcards other than a
// leading "*." (which only a local store or dump answers).
func ParseIndicator(text string) (Indicator, error) {
	s := strings.TrimSpace(text)
	switch {
	case s == "":
		return Indicator{}, notIndicator("empty")
	case len(s) > maxIndicatorLen:
		return Indicator{}, notIndicator("too long")
	case !utf8.ValidString(s):
		return Indicator{}, notIndicator("not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return Indicator{}, notIndicator("control characters")
		}
	}
	s = refang(s)
	host, err := hostOf(s)
	if err != nil {
		return Indicator{}, err
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return addrIndicator(a)
	}
	if strings.ContainsRune(host, '@') {
		return Indicator{}, notIndicator("an e-mail address")
	}
	if base, ok := strings.CutPrefix(host, "*."); ok && !strings.ContainsRune(base, '*') {
		ind, err := parseName(base) // "*.example.com": the names under example.com
		if err != nil {
			return Indicator{}, err
		}
		return Indicator{Value: "*." + ind.Value, Kind: FQDN, Wildcard: true}, nil
	}
	if strings.ContainsRune(host, '*') {
		return Indicator{}, notIndicator("a wildcard other than *.name")
	}
	return parseName(host)
}

// IsIndicator says whether s is an indicator's value as ParseIndicator
// gives it: a canonical address, or a name in lower case, as an A-label,
// without the final dot. A record's name or rdata that is not (a TXT
// string, "10 mx.example.com." for an MX) answers no query. Plain names
// are checked here, quickly; others as ParseIndicator checks them.
func IsIndicator(s string) bool {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Zone() == "" && !a.Is4In6() && a.String() == s
	}
	if len(s) == 0 || len(s) > 253 || strings.Contains(s, "xn--") {
		return slowIsIndicator(s)
	}
	start := 0 // of the label
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if n := i - start; n == 0 || n > 63 {
				return false
			}
			start = i + 1
			continue
		}
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c >= 'A' && c <= 'Z', c >= 0x80:
			return slowIsIndicator(s) // upper case, or not ASCII: not canonical, or an IDN
		default:
			return false // a space, '=', '@'...: in no name, nor address (ParseAddr said)
		}
	}
	// as parseName: a TLD is never all digits, a lone label looks like one
	tld := s[strings.LastIndexByte(s, '.')+1:]
	return !allDigits(tld) && (len(tld) < len(s) || isTLD(tld)) // tld is not empty: no label is
}

func slowIsIndicator(s string) bool {
	ind, err := ParseIndicator(s)
	return err == nil && !ind.Wildcard && ind.Value == s
}

// hostOf reduces a URL, host:port, [v6]:port or host/path to the host part.
func hostOf(s string) (string, error) {
	if i := strings.Index(s, "://"); i > 0 {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", notIndicator("a malformed URL")
		}
		return u.Hostname(), nil
	}
	if _, err := netip.ParsePrefix(s); err == nil {
		return "", notIndicator("a CIDR block")
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		if i == 0 {
			return "", notIndicator("a path")
		}
		s = s[:i] // example.com/path: a URL without its scheme
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || (end+1 < len(s) && !isPort(s[end+1:])) {
			return "", notIndicator("a malformed bracketed address")
		}
		return s[1:end], nil
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		if !isPort(s[i:]) {
			return "", notIndicator("a malformed host:port")
		}
		return s[:i], nil
	}
	return s, nil
}

func isPort(s string) bool {
	if len(s) < 2 || len(s) > 6 || s[0] != ':' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func addrIndicator(a netip.Addr) (Indicator, error) {
	if a.Zone() != "" {
		return Indicator{}, notIndicator("an address with a zone")
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		return Indicator{Value: a.String(), Kind: IPv4}, nil
	}
	return Indicator{Value: a.String(), Kind: IPv6}, nil
}

func parseName(s string) (Indicator, error) {
	s = strings.TrimSuffix(s, ".")
	if s == "" || strings.HasPrefix(s, ".") || strings.Contains(s, "..") {
		return Indicator{}, notIndicator("an empty label")
	}
	name, err := lookup.ToASCII(s)
	if err != nil {
		return Indicator{}, notIndicator("an invalid name")
	}
	name = strings.ToLower(name)
	if len(name) > 253 {
		return Indicator{}, notIndicator("a name longer than 253 bytes")
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if len(l) == 0 {
			return Indicator{}, notIndicator("an empty label")
		}
		if len(l) > 63 {
			return Indicator{}, notIndicator("a label of more than 63 bytes")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return Indicator{}, notIndicator("a name with invalid characters")
			}
		}
	}
	// The last label is a top-level domain: never all-numeric (that would be
	// a mistyped address), and a lone label must look like a TLD, not a hash.
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return Indicator{}, notIndicator("a malformed address")
	}
	if len(labels) == 1 && !isTLD(tld) {
		if isHex(tld) && len(tld) >= 32 {
			return Indicator{}, notIndicator("a hash")
		}
		return Indicator{}, notIndicator("a single label that is not a TLD")
	}
	return Indicator{Value: name, Kind: FQDN}, nil
}

// isTLD says whether a lone label has the shape of a top-level domain:
// letters only, or an A-label.
func isTLD(l string) bool {
	if strings.HasPrefix(l, "xn--") {
		return true
	}
	return strings.Trim(l, "abcdefghijklmnopqrstuvwxyz") == ""
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdef") == ""
}
