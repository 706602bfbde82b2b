package pdns

import (
	"net/netip"
	"slices"
	"strings"
)

// Names are the indicators a record answers a query for: its rrname and
// each of its rdata values, written as indicators are (names in lower case
// without the final dot, addresses in canonical form), without repeats.
func (r *Record) Names() []string {
	names := make([]string, 0, 1+len(r.RData))
	for _, s := range append([]string{r.RRName}, r.RData...) {
		s = canonical(s)
		if !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	return names
}

// Answers says whether the record answers a query for ind: one of its
// Names is ind, or, for a wildcard, is under its name.
func (r *Record) Answers(ind Indicator) bool {
	if !ind.Wildcard {
		return slices.Contains(r.Names(), ind.Value)
	}
	return slices.ContainsFunc(r.Names(), func(n string) bool {
		return strings.HasSuffix(n, ind.Suffix()) && IsIndicator(n)
	})
}

// IndicatorOf is the indicator a record's name or rdata value stands for
// (as Names writes it), or "" if it is none.
func IndicatorOf(s string) string {
	s = canonical(s)
	if !IsIndicator(s) {
		return ""
	}
	return s
}

// mayBeAddr is false for a text ParseAddr refuses: without a colon (an
// IPv6 address has two), and a byte that is no digit nor a dot.
func mayBeAddr(s string) bool {
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// canonical writes a name or an address as an indicator is written: an
// address in canonical form, a name in lower case without the final dot.
func canonical(s string) string {
	if mayBeAddr(s) {
		if a, err := netip.ParseAddr(s); err == nil {
			if a.Is4() {
				return s // ParseAddr takes an IPv4 address only as it is written
			}
			return a.Unmap().String()
		}
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}
