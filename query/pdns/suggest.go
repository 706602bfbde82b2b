package pdns

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseRRType reads a record type as a user gives it: a mnemonic (any
// case), a number, or TYPEnnn (RFC 3597); it returns the mnemonic, or
// TYPEnnn for a type without one. Anything else is refused, with the
// closest mnemonic as a suggestion.
func ParseRRType(s string) (string, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	num := strings.TrimPrefix(t, "TYPE")
	if allDigits(num) {
		n, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			return "", fmt.Errorf("%s: a type number is 0 to 65535", Quote(s, 40))
		}
		return TypeName(uint16(n)), nil
	}
	for _, name := range typeNames {
		if t == name {
			return name, nil
		}
	}
	names := TypeNames()
	msg := fmt.Sprintf("%s: not a DNS record type", Quote(s, 40))
	if near := Suggest(t, names); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return "", fmt.Errorf("%s (a name such as A, AAAA, NS, MX, TXT, or TYPEnnn)", msg)
}

// Suggest returns the candidate closest to word (an edit distance of at
// most 2, or at most a third of its length), or "" if none is close.
func Suggest(word string, candidates []string) string {
	best, bestD := "", max(2, len(word)/3)+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
