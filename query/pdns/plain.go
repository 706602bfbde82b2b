package pdns

import (
	"strings"
	"unsafe"
)

// decodePlain is DecodeRecord's fast path, for the record as servers
// almost always send it: printable ASCII, rrname, rrtype and rdata plain
// strings (rrtype a mnemonic in upper case), the known numbers plain
// integers, no nested values and no member that output replaces. It checks
// the line is JSON and makes one compact copy of it, which is both Raw and
// the record's JSON text: a record that leaves as JSON is that copy after
// the leading members, with nothing decoded or encoded again. Its members
// are decoded only if asked for (Members).
//
// Anything else returns ok false and takes the general path, which gives
// the same record: FuzzDecodeRecord checks that they agree.
func decodePlain(line []byte, a *arena) (r Record, ok bool) {
	n := len(line)
	if n < 2 || line[0] != '{' {
		return r, false
	}
	buf := a.bytes(n)
	buf = append(buf, '{')
	var keys [16]string // to refuse a member twice, as the general path does
	nkeys := 0
	i := 1
	for {
		i = skipSpace(line, i)
		// the key: a plain string
		if i >= n || line[i] != '"' {
			return r, false
		}
		start := i
		i++
		for i < n && plainByte[line[i]] {
			i++
		}
		if i >= n || line[i] != '"' {
			return r, false
		}
		i++
		key := line[start+1 : i-1]
		buf = append(buf, line[start:i]...)
		if nkeys == len(keys) {
			return r, false
		}
		for _, k := range keys[:nkeys] {
			if k == string(key) {
				return r, false
			}
		}
		i = skipSpace(line, i)
		if i >= n || line[i] != ':' {
			return r, false
		}
		buf = append(buf, ':')
		i = skipSpace(line, i+1)
		// the value
		if i >= n {
			return r, false
		}
		vstart := len(buf)
		switch c := line[i]; {
		case c == '"':
			start := i
			i++
			escaped := false
			for i < n {
				for i < n && plainByte[line[i]] {
					i++
				}
				if i >= n || line[i] != '\\' {
					break
				}
				if !validEscape(line, i) {
					return r, false
				}
				escaped = true
				i += 2 // \u's hex digits are plain bytes
			}
			if i >= n || line[i] != '"' {
				return r, false
			}
			i++
			buf = append(buf, line[start:i]...)
			if escaped && isKnown(key) { // the general path unquotes it
				return r, false
			}
		case c >= '0' && c <= '9' || c == '-':
			start := i
			if c == '-' {
				i++
			}
			digits := i
			for i < n && line[i] >= '0' && line[i] <= '9' {
				i++
			}
			if i == digits || line[digits] == '0' && i-digits > 1 {
				return r, false
			}
			// a fraction or an exponent is not followed by a separator:
			// the general path takes it
			if i-start > 18 && isKnown(key) { // plainInt cannot overflow
				return r, false
			}
			buf = append(buf, line[start:i]...)
		case c == 't' || c == 'f' || c == 'n':
			start := i
			for i < n && line[i] >= 'a' && line[i] <= 'z' {
				i++
			}
			lit := string(line[start:i])
			if lit != "true" && lit != "false" && lit != "null" || isKnown(key) {
				return r, false
			}
			buf = append(buf, lit...)
		default: // arrays and objects, compacted by the general path
			return r, false
		}
		v := buf[vstart:]
		switch string(key) {
		case "rrname":
			if v[0] != '"' || len(v) == 2 {
				return r, false
			}
			r.RRName = bytesString(v[1 : len(v)-1])
		case "rrtype":
			if v[0] != '"' || !upperType(v[1:len(v)-1]) {
				return r, false
			}
			r.RRType = bytesString(v[1 : len(v)-1])
		case "rdata":
			if v[0] != '"' {
				return r, false
			}
			r.RData = a.string1(bytesString(v[1 : len(v)-1]))
		case "time_first", "time_last", "count", "zone_time_first", "zone_time_last":
			if v[0] < '0' || v[0] > '9' { // a string, or null
				return r, false
			}
			r.setNumber(string(key), plainInt(v))
		case "rrdata", "query", "hop", "via", "source", "sources": // renamed, or replaced by output
			return r, false
		}
		keys[nkeys] = bytesString(key) // used only during this call
		nkeys++
		i = skipSpace(line, i)
		if i >= n {
			return r, false
		}
		if line[i] == '}' {
			i++
			break
		}
		if line[i] != ',' {
			return r, false
		}
		buf = append(buf, ',')
		i++
	}
	if skipSpace(line, i) != n || r.RRName == "" || r.RRType == "" || r.RData == nil {
		return r, false
	}
	buf = append(buf, '}')
	r.Raw = bytesString(buf)
	r.plain = true
	a.keep(len(buf))
	return r, true
}

// arena hands out the memory of records in chunks, so that a large answer
// costs a few allocations rather than two a record. A record keeps its
// chunk alive: the chunks are small, and records are short-lived unless
// something holds them all (--sort, the table), which then holds their
// bytes anyway. A nil *arena allocates each time.
type arena struct {
	b []byte   // free space, from len(b)
	s []string // free string slots
}

const arenaChunk = 64 << 10

// bytes returns an empty slice with room for n bytes, taken from the chunk
// by keep, which says how much of it was used.
func (a *arena) bytes(n int) []byte {
	if a == nil || n > arenaChunk/8 {
		return make([]byte, 0, n)
	}
	if cap(a.b)-len(a.b) < n {
		a.b = make([]byte, 0, arenaChunk)
	}
	return a.b[len(a.b):len(a.b):cap(a.b)]
}

// keep takes the n bytes used of what bytes returned out of the chunk.
func (a *arena) keep(n int) {
	if a != nil && len(a.b)+n <= cap(a.b) {
		a.b = a.b[:len(a.b)+n]
	}
}

// string1 returns a slice of one string: s.
func (a *arena) string1(s string) []string {
	if a == nil {
		return []string{s}
	}
	if len(a.s) == 0 {
		a.s = make([]string, 1024)
	}
	one := a.s[:1:1]
	a.s = a.s[1:]
	one[0] = s
	return one
}

// bytesString is b as a string without a copy: b is never written again.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func skipSpace(line []byte, i int) int {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i
}

// plainByte marks the printable ASCII bytes that may stand in a string as
// they are: not the quote nor the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// validEscape checks the escape at line[i], a backslash; a \u escape's
// four hex digits are checked here and then passed over as plain bytes.
func validEscape(line []byte, i int) bool {
	if i+1 >= len(line) {
		return false
	}
	switch line[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		return i+6 <= len(line) && isHex4(string(line[i+2:i+6]))
	}
	return false
}

// isKnown says whether key is a member the record decodes.
func isKnown(key []byte) bool {
	switch string(key) {
	case "rrname", "rrtype", "rdata", "rrdata", "time_first", "time_last", "count", "zone_time_first", "zone_time_last":
		return true
	}
	return false
}

// upperType says whether t is a type mnemonic as the general path leaves
// it: not empty, not a number, no lower-case letter.
func upperType(t []byte) bool {
	digits := true
	for _, c := range t {
		if c >= 'a' && c <= 'z' {
			return false
		}
		digits = digits && c >= '0' && c <= '9'
	}
	return len(t) > 0 && !digits
}

// plainInt reads a literal of at most 18 digits, checked by the caller.
func plainInt(v []byte) int64 {
	var n int64
	for _, c := range v {
		n = n*10 + int64(c-'0')
	}
	return n
}

// eachPlainMember calls f with each member of the text of a record of the
// fast path, as decodePlain wrote it: compact, its keys without escapes,
// its values strings, numbers, true, false or null. It cuts the text
// without checking it again.
func eachPlainMember(raw string, f func(key, value string)) {
	i := 1
	for i < len(raw) && raw[i] == '"' {
		end := i + 1 + strings.IndexByte(raw[i+1:], '"')
		key := raw[i+1 : end]
		i = end + 2 // the quote and the colon
		start := i
		if raw[i] == '"' {
			for i++; raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
			i++
		} else {
			for raw[i] != ',' && raw[i] != '}' {
				i++
			}
		}
		f(key, raw[start:i])
		i++ // the comma, or the end
	}
}
