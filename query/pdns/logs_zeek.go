package pdns

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Zeek's dns.log has one line per query and its response. Its answers
// column holds the rdata of the response's answer section, in order,
// without their owner names or types: an A query through two CNAMEs
// answers "a.example.net,b.example.net,192.0.2.7". Read as the answer
// section is built, the names before the addresses are the CNAME chain
// (the query's CNAME is the first name, whose CNAME is the second...),
// and the addresses belong to the chain's last name. The answers of
// other queries (MX, NS, PTR, TXT, SRV, SOA...) are of the query's type
// and belong to the query's name. (zeek-pdns labels them all with the
// query's type and name: its CNAME targets are A records of the query.)

// zeekLine is what one line of a dns.log says, in either of its forms.
type zeekLine struct {
	ts       int64
	query    string
	class    string // qclass_name, or qclass; "" when the log has neither
	qtype    string // qtype_name, or qtype as a number
	rcode    string // rcode_name, or rcode; "" for a query never answered
	rejected bool
	answers  []string
	sig      []byte // what the answers depend on (the query, its type, the answers), or nil
	raw      []byte // the TSV answers column, split when the line's signature is new
	setSep   []byte
}

// response turns one line into observations.
func (b *logBase) response(t *Tally, n int, z *zeekLine) {
	switch {
	case z.class != "" && z.class != "C_INTERNET" && z.class != "1" && z.class != "IN":
		b.stats.Class++
		return
	case z.rejected:
		b.stats.Rejected++
		return
	case z.rcode == "":
		b.stats.NoAnswer++ // never answered
		return
	case !b.rcodeOutcome(z.rcode):
		return
	case len(z.answers) == 0 && len(z.raw) == 0:
		b.stats.NoAnswer++
		return
	}
	if z.sig != nil {
		if m := t.Repeat(z.sig, z.ts, 1); m != nil {
			b.repeated(m, n)
			return
		}
		if t.Begin() {
			defer func() { t.End(z.sig) }()
		}
	}
	if z.raw != nil {
		z.answers = splitAnswers(z.answers[:0], z.raw, z.setSep)
	}
	if z.query == "" {
		b.stats.Unplaced += len(z.answers)
		if t.cur != nil {
			t.cur.Unplaced = len(z.answers)
		}
		return
	}
	o := Observation{Time: z.ts, Count: 1}
	unplaced := placeAnswers(z.query, z.qtype, z.answers, func(rrname, rrtype, rdata string) {
		o.RRName, o.RRType, o.RData, o.Count = rrname, rrtype, rdata, 1
		b.observe(t, n, &o)
	})
	b.stats.Unplaced += unplaced
	if t.cur != nil {
		t.cur.Unplaced = unplaced
	}
}

// placeAnswers gives each answer of a query for name of type qtype its
// owner name and type, as Zeek's answers column lets one tell them, and
// says how many it cannot place.
func placeAnswers(name, qtype string, answers []string, emit func(rrname, rrtype, rdata string)) (unplaced int) {
	if allDigits(qtype) {
		if n, err := strconv.ParseUint(qtype, 10, 16); err == nil {
			qtype = TypeName(uint16(n))
		}
	}
	switch qtype = strings.ToUpper(qtype); qtype {
	case "A", "AAAA", "A6":
		owner, addresses := name, false
		for _, a := range answers {
			if t := addressType(a); t != "" {
				emit(owner, t, a)
				addresses = true
				continue
			}
			if _, ok := HostName(a); ok && !addresses {
				emit(owner, "CNAME", a)
				owner = a
				continue
			}
			unplaced++ // a name after the addresses, or no name at all
		}
	case "*", "ANY":
		for _, a := range answers {
			if t := addressType(a); t != "" {
				emit(name, t, a)
			} else {
				unplaced++ // a name, of a type no one can tell
			}
		}
	case "", "-":
		unplaced = len(answers)
	default:
		for _, a := range answers {
			if strings.HasPrefix(a, "<unknown type=") {
				unplaced++
				continue
			}
			if qtype == "TXT" || qtype == "SPF" {
				if text, ok := zeekText(a); ok {
					a = text
				}
			}
			emit(name, qtype, a)
		}
	}
	return unplaced
}

// addressType is "A" or "AAAA" for an address, "" for anything else.
func addressType(s string) string {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil || a.Zone() != "":
		return ""
	case a.Is4():
		return "A"
	}
	return "AAAA"
}

// zeekText reads a TXT answer as Zeek writes it, each string of the record
// as "TXT <length> <string>" (separated by a space), into its text: the
// strings joined, as SPF and DKIM read them (RFC 7208, 3.3).
func zeekText(s string) (string, bool) {
	var b strings.Builder
	for s != "" {
		kind, rest, ok := strings.Cut(s, " ")
		if !ok || kind != "TXT" && kind != "SPF" {
			return "", false
		}
		digits, rest, ok := strings.Cut(rest, " ")
		n, err := strconv.Atoi(digits)
		if !ok && digits == "0" { // an empty string, last
			return b.String(), true
		}
		if !ok || err != nil || n < 0 || n > len(rest) {
			return "", false
		}
		b.WriteString(rest[:n])
		s = rest[n:]
		if s != "" && s[0] != ' ' {
			return "", false
		}
		s = strings.TrimPrefix(s, " ")
	}
	return b.String(), true
}

// zeekTSV reads Zeek's ASCII logs: a header (#separator, #set_separator,
// #empty_field, #unset_field, #path, #fields, #types, #open), then one
// line per query, the columns named by #fields in any order; and again
// for every log concatenated after it (rotated logs, with their #close).
// The writer's "tsv" mode, one header line of the column names, is read
// too.
type zeekTSV struct {
	logBase
	next zeekHeader  // the settings the header lines so far say
	h    *zeekHeader // the columns of the data lines; nil before #fields
	cols [][]byte    // the columns of the line being read
	sig  []byte      // the signature of the line being read
	ans  []string    // its answers
}

// zeekHeader is how a log's lines are written.
type zeekHeader struct {
	sep, setSep, empty, unset []byte
	path                      string
	n                         int             // columns
	col                       [zeekCols]int   // where each column read is, or -1
	nameCols                  map[string]bool // the names in #fields, for messages
}

// The columns read, and their names.
const (
	zTS = iota
	zQuery
	zQClass
	zQClassName
	zQType
	zQTypeName
	zRCode
	zRCodeName
	zAnswers
	zRejected
	zeekCols
)

var zeekColNames = [zeekCols]string{"ts", "query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode", "rcode_name", "answers", "rejected"}

// zeekDefaults are the ASCII writer's defaults.
func zeekDefaults() zeekHeader {
	return zeekHeader{sep: []byte("\t"), setSep: []byte(","), empty: []byte("(empty)"), unset: []byte("-")}
}

func (z *zeekTSV) Parse(block []byte, line int, t *Tally) error {
	z.lines(block, line, func(l []byte, n int) {
		if len(l) == 0 {
			return
		}
		if z.header(l) {
			return
		}
		if z.h == nil {
			z.bad(n, errors.New("a line before the #fields header"))
			return
		}
		if z.h.path != "" && z.h.path != "dns" {
			z.stats.Other++ // a line of another log, cat'ed with this one
			return
		}
		zl := zeekLine{answers: z.ans[:0]}
		if err := z.read(l, &zl); err != nil {
			z.bad(n, err)
			return
		}
		z.response(t, n, &zl)
		z.ans = zl.answers[:0]
	})
	return nil
}

// Skip keeps the headers of lines imported before.
func (z *zeekTSV) Skip(block []byte) {
	for len(block) > 0 {
		if block[0] == '#' || z.h == nil && bytes.HasPrefix(block, []byte("ts\t")) {
			l := block
			if i := bytes.IndexByte(l, '\n'); i >= 0 {
				l = l[:i]
			}
			z.header(bytes.TrimSuffix(l, []byte("\r")))
		}
		i := bytes.Index(block, []byte("\n#"))
		if z.h == nil { // a tsv-mode header may be any line until the first
			i = bytes.IndexByte(block, '\n')
		}
		if i < 0 {
			return
		}
		block = block[i+1:]
	}
}

// header reads l if it is a header line, and says whether it was.
func (z *zeekTSV) header(l []byte) bool {
	if l[0] != '#' {
		if z.h == nil && bytes.HasPrefix(l, []byte("ts\t")) { // the "tsv" mode
			z.next = zeekDefaults()
			z.fields(bytes.Split(l, z.next.sep))
			return true
		}
		return false
	}
	if v, ok := bytes.CutPrefix(l, []byte("#separator ")); ok { // a log begins
		z.next = zeekDefaults()
		if sep := zeekUnescape(v); sep != "" {
			z.next.sep = []byte(sep)
		}
		return true
	}
	if z.next.sep == nil {
		z.next = zeekDefaults()
	}
	key, value, _ := bytes.Cut(l[1:], z.next.sep)
	switch string(key) {
	case "set_separator":
		z.next.setSep = []byte(zeekUnescape(value))
	case "empty_field":
		z.next.empty = []byte(zeekUnescape(value))
	case "unset_field":
		z.next.unset = []byte(zeekUnescape(value))
	case "path":
		z.next.path = zeekUnescape(value)
	case "fields":
		z.fields(bytes.Split(value, z.next.sep))
	}
	return true // #types, #open, #close, comments
}

// fields makes the columns of the lines that follow.
func (z *zeekTSV) fields(names [][]byte) {
	h := z.next
	h.n = len(names)
	h.nameCols = make(map[string]bool, len(names))
	for i := range h.col {
		h.col[i] = -1
	}
	for i, name := range names {
		h.nameCols[string(name)] = true
		for c, want := range zeekColNames {
			if string(name) == want {
				h.col[c] = i
			}
		}
	}
	z.h = &h
}

// read reads one data line.
func (z *zeekTSV) read(l []byte, zl *zeekLine) error {
	h := z.h
	z.cols = splitInto(z.cols[:0], l, h.sep)
	if len(z.cols) != h.n {
		return fmt.Errorf("%d columns, where #fields names %d", len(z.cols), h.n)
	}
	col := func(c int) ([]byte, bool) { // a column's text, unless unset or not logged
		if h.col[c] < 0 {
			return nil, false
		}
		v := z.cols[h.col[c]]
		return v, !bytes.Equal(v, h.unset)
	}
	ts, ok := col(zTS)
	if !ok {
		return errors.New("no ts")
	}
	var err error
	if zl.ts, err = epochSeconds(ts); err != nil {
		return fmt.Errorf("ts: %w", err)
	}
	text := func(cols ...int) string { // the first of these columns that is set
		for _, c := range cols {
			if v, ok := col(c); ok {
				return z.text(v)
			}
		}
		return ""
	}
	zl.query = text(zQuery)
	zl.class = text(zQClassName, zQClass)
	zl.qtype = text(zQTypeName, zQType)
	zl.rcode = text(zRCodeName, zRCode)
	if v, ok := col(zRejected); ok {
		zl.rejected = string(v) == "T"
	}
	if v, ok := col(zAnswers); ok && !bytes.Equal(v, h.empty) {
		zl.raw, zl.setSep = v, h.setSep
	}
	// the signature: the query, its type, the answers as written
	z.sig = append(append(append(append(append(z.sig[:0], zl.query...), 0), zl.qtype...), 0), zl.raw...)
	zl.sig = z.sig
	return nil
}

// splitAnswers splits a Zeek vector column at its separator, each element
// unescaped (a view of the line when it has no escapes).
func splitAnswers(out []string, v, sep []byte) []string {
	for len(v) > 0 {
		a := v
		if i := bytes.Index(v, sep); i >= 0 && len(sep) > 0 {
			a, v = v[:i], v[i+len(sep):]
		} else {
			v = nil
		}
		if bytes.IndexByte(a, '\\') < 0 {
			out = append(out, bytesString(a))
		} else {
			out = append(out, zeekUnescape(a))
		}
	}
	return out
}

// text is a column's value: unescaped, as a view of the line when it has
// no escapes (what the tally keeps, it copies).
func (z *zeekTSV) text(v []byte) string {
	if bytes.IndexByte(v, '\\') < 0 {
		return bytesString(v)
	}
	return zeekUnescape(v)
}

// splitInto splits l at each sep, into cols.
func splitInto(cols [][]byte, l, sep []byte) [][]byte {
	if len(sep) == 1 {
		c := sep[0]
		for {
			i := bytes.IndexByte(l, c)
			if i < 0 {
				return append(cols, l)
			}
			cols = append(cols, l[:i])
			l = l[i+1:]
		}
	}
	for {
		i := bytes.Index(l, sep)
		if i < 0 || len(sep) == 0 {
			return append(cols, l)
		}
		cols = append(cols, l[:i])
		l = l[i+len(sep):]
	}
}

// zeekUnescape decodes Zeek's escapes: \xHH for a byte (a non-printable
// one, or a separator inside a value), and \\ for a backslash.
func zeekUnescape(v []byte) string {
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v)
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+3 < len(v) && v[i+1] == 'x' {
			if b, err := strconv.ParseUint(string(v[i+2:i+4]), 16, 8); err == nil {
				out = append(out, byte(b))
				i += 3
				continue
			}
		}
		if v[i] == '\\' && i+1 < len(v) && v[i+1] == '\\' {
			out = append(out, '\\')
			i++
			continue
		}
		out = append(out, v[i])
	}
	return string(out)
}

// epochSeconds reads epoch seconds with an optional fraction (Zeek's
// "1700000000.123456"), dropping the fraction.
func epochSeconds(v []byte) (int64, error) {
	whole, frac, _ := bytes.Cut(v, []byte("."))
	if len(whole) == 0 || len(whole) > 12 || !allDigits(bytesString(whole)) || len(frac) > 0 && !allDigits(bytesString(frac)) {
		return 0, fmt.Errorf("%s is not epoch seconds", Quote(string(v), 40))
	}
	var n int64
	for _, c := range whole {
		n = n*10 + int64(c-'0')
	}
	return n, nil
}
