package pdns

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// gamelinux/passivedns logs one line per answer record it has not logged
// in the last day: by default
//
//	1322849924.408856||10.1.1.1||8.8.8.8||IN||www.adobe.com.||CNAME||www.wip4.adobe.com.||43200||8
//
// its time, client, server, class, the record's owner name (the query, or
// the CNAME target the answer went on from), type, rdata, TTL, and how
// many times it was seen since it was last logged. An error answer
// (NXDOMAIN...) writes the error as the rdata, a TTL of 0 and a count of
// 1. Its -f option chooses the columns by letter, but prints them always
// in one order (passiveDNSOrder), separated by -d's delimiter (|| by
// default); the columns of a log are told from its first lines
// (passiveDNSDetect), or given as --format passivedns:LETTERS.

// passiveDNSOrder is the order passivedns prints its columns in, by the
// letters of -f: the time first ('@' here) (H, a local date and time; S.M, epoch
// seconds and microseconds; S alone), hostname, client, client MAC,
// server, server MAC, protocol, class, query, its length, type, answer,
// its length, TTL, count.
const passiveDNSOrder = "@hcwsWpCQLTAltn"

// passiveDNSLayout is where each column of a passivedns log is.
type passiveDNSLayout struct {
	kinds []byte // a letter of passiveDNSOrder a column: '@' (the time) first
	time  byte   // 'H', 'B' (S.M), 'S'
	delim string
}

// column is the index of the column of kind k, or -1.
func (l *passiveDNSLayout) column(k byte) int { return bytes.IndexByte(l.kinds, k) }

// letters is the layout as passivedns -f letters, for messages.
func (l *passiveDNSLayout) letters() string {
	var b strings.Builder
	for i, c := range l.kinds {
		switch {
		case i == 0 && l.time == 'B':
			b.WriteString("SM")
		case i == 0:
			b.WriteByte(l.time)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// passiveDNSLayoutOf is the layout of passivedns -f letters (its
// delimiter is told from the lines).
func passiveDNSLayoutOf(letters string) (passiveDNSLayout, error) {
	var l passiveDNSLayout
	has := map[rune]bool{}
	for _, c := range letters {
		if !strings.ContainsRune("HSMhcwsWpCQLTAltn", c) {
			return l, fmt.Errorf("passivedns:%s: %q is not a letter of passivedns -f (H S M h c w s W p C Q L T A l t n)", letters, c)
		}
		has[c] = true
	}
	switch {
	case has['H']:
		l.time = 'H'
	case has['S'] && has['M']:
		l.time = 'B'
	case has['S']:
		l.time = 'S'
	default:
		return l, fmt.Errorf("passivedns:%s: the log has no time (passivedns -f needs S or H)", letters)
	}
	if !has['Q'] || !has['T'] || !has['A'] {
		return l, fmt.Errorf("passivedns:%s: the log needs the query, type and answer (Q, T and A)", letters)
	}
	l.kinds = []byte{'@'}
	for _, c := range passiveDNSOrder[1:] {
		if has[c] {
			l.kinds = append(l.kinds, byte(c))
		}
	}
	return l, nil
}

// passiveDNSDelimiters are the delimiters tried, in order.
var passiveDNSDelimiters = []string{"||", "\t", "|", ";", ","}

// passiveDNSDetect finds the layout that the sample lines fit, with its
// delimiter; given, only the delimiter is found. The lines of the number
// of columns most of them have must all fit it (a bad line may have
// another number).
func passiveDNSDetect(lines [][]byte, given *passiveDNSLayout) (passiveDNSLayout, error) {
	for _, delim := range passiveDNSDelimiters {
		counts := map[int]int{}
		var rows [][][]byte
		for _, l := range lines {
			row := bytes.Split(l, []byte(delim))
			rows = append(rows, row)
			counts[len(row)]++
		}
		k := 0
		for n, c := range counts {
			if c > counts[k] || c == counts[k] && n > k {
				k = n
			}
		}
		if k < 4 {
			continue
		}
		rows = slices.DeleteFunc(rows, func(r [][]byte) bool { return len(r) != k })
		var fits []passiveDNSLayout
		try := func(l passiveDNSLayout) {
			if len(l.kinds) == k && !slices.ContainsFunc(rows, func(r [][]byte) bool { return !l.fits(r) }) {
				l.delim = delim
				fits = append(fits, l)
			}
		}
		if given != nil {
			try(*given)
		} else {
			forEachPassiveDNSLayout(k, try)
		}
		if len(fits) == 0 {
			continue
		}
		for _, l := range fits[1:] {
			if !l.agrees(&fits[0]) {
				return fits[0], fmt.Errorf("passivedns columns: the lines fit both -f %s and -f %s: give them with --format passivedns:LETTERS", fits[0].letters(), l.letters())
			}
		}
		return fits[0], nil
	}
	if given != nil {
		return *given, fmt.Errorf("passivedns columns: the lines do not fit -f %s, with any of the delimiters || tab | ; ,", given.letters())
	}
	return passiveDNSLayout{}, errors.New("passivedns columns: no layout passivedns -f can make fits the first lines: give them with --format passivedns:LETTERS")
}

// forEachPassiveDNSLayout calls fn with each layout of k columns that has
// a time, a query, a type and an answer.
func forEachPassiveDNSLayout(k int, fn func(passiveDNSLayout)) {
	optional := []byte("hcwsWpCLltn")
	m := k - 4
	if m < 0 || m > len(optional) {
		return
	}
	for set := 0; set < 1<<len(optional); set++ {
		if bitsSet(set) != m {
			continue
		}
		for _, form := range []byte{'H', 'B', 'S'} {
			l := passiveDNSLayout{kinds: []byte{'@'}, time: form}
			for _, c := range passiveDNSOrder[1:] {
				i := bytes.IndexByte(optional, byte(c))
				if strings.ContainsRune("QTA", c) || i >= 0 && set&(1<<i) != 0 {
					l.kinds = append(l.kinds, byte(c))
				}
			}
			fn(l)
		}
	}
}

func bitsSet(n int) (c int) {
	for ; n > 0; n &= n - 1 {
		c++
	}
	return c
}

// agrees says whether two layouts read the same record from every line:
// the same columns for the time, class, query, type, answer and count.
func (l *passiveDNSLayout) agrees(o *passiveDNSLayout) bool {
	if l.time != o.time {
		return false
	}
	for _, k := range []byte("CQTAn") {
		if l.column(k) != o.column(k) {
			return false
		}
	}
	return true
}

// fits says whether the columns of one line can be what l says.
func (l *passiveDNSLayout) fits(cols [][]byte) bool {
	for i, k := range l.kinds {
		v := bytesString(cols[i])
		ok := false
		switch {
		case i == 0:
			ok = passiveDNSTimeFits(l.time, v)
		case k == 'h':
			ok = v != "" && !strings.ContainsAny(v, " \t")
		case k == 'Q': // ldns writes names whole: with their final dot
			ok = strings.HasSuffix(v, ".") && !strings.ContainsAny(v, " \t")
		case k == 'c' || k == 's':
			_, err := netip.ParseAddr(v)
			ok = err == nil
		case k == 'w' || k == 'W':
			ok = len(v) == 17 && strings.Count(v, ":") == 5
		case k == 'p':
			ok = v == "tcp" || v == "udp" || allDigits(v)
		case k == 'C':
			ok = v == "IN" || v == "CH" || v == "HS" || v == "NONE" || v == "ANY" || allDigits(v)
		case k == 'T':
			ok = v != "" && strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
		case k == 'A':
			ok = v != ""
		case k == 'L':
			ok = v == strconv.Itoa(len(cols[l.column('Q')]))
		case k == 'l':
			ok = v == strconv.Itoa(len(cols[l.column('A')]))
		case k == 't' || k == 'n':
			ok = allDigits(v)
		}
		if !ok {
			return false
		}
	}
	return true
}

func passiveDNSTimeFits(form byte, v string) bool {
	switch form {
	case 'H': // 2011-12-01 10:00:00.123456
		_, err := time.Parse("2006-01-02 15:04:05.000000", v)
		return err == nil
	case 'B':
		s, us, ok := strings.Cut(v, ".")
		return ok && allDigits(s) && len(us) == 6 && allDigits(us)
	}
	return allDigits(v)
}

// passiveDNS reads passivedns's text logs.
type passiveDNS struct {
	logBase
	layout *passiveDNSLayout // given, or found from the first lines
	found  bool
	cols   [][]byte
	failed error // the columns could not be told: the log cannot be read
}

// passiveDNSRecord is what one line of either form says.
type passiveDNSRecord struct {
	time                               int64
	class, query, qtype, answer, count string
}

// passiveDNSErrors are the answers of error lines.
var passiveDNSErrors = []string{"FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMPL", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}

func (p *passiveDNS) Parse(block []byte, line int, t *Tally) error {
	if !p.found {
		if err := p.detect(block); err != nil {
			return err
		}
	}
	p.lines(block, line, func(l []byte, n int) {
		if len(l) == 0 || l[0] == '#' { // blank, or the header comment
			return
		}
		p.cols = splitInto(p.cols[:0], l, []byte(p.layout.delim))
		if len(p.cols) != len(p.layout.kinds) {
			p.bad(n, fmt.Errorf("%d columns, where the log's first lines have %d", len(p.cols), len(p.layout.kinds)))
			return
		}
		var r passiveDNSRecord
		var err error
		tv := bytesString(p.cols[0])
		switch p.layout.time {
		case 'H':
			r.time, err = localTime(tv)
		default:
			r.time, err = epochSeconds(p.cols[0])
		}
		if err != nil {
			p.bad(n, fmt.Errorf("time: %w", err))
			return
		}
		col := func(k byte) string {
			if i := p.layout.column(k); i >= 0 {
				return bytesString(p.cols[i])
			}
			return ""
		}
		r.class, r.query, r.qtype, r.answer, r.count = col('C'), col('Q'), col('T'), col('A'), col('n')
		if err := p.passiveDNSRecord(t, n, &r); err != nil {
			p.bad(n, err)
		}
	})
	return nil
}

func (p *passiveDNS) Skip([]byte) {}

// detect finds the layout from the first lines of the block.
func (p *passiveDNS) detect(block []byte) error {
	if p.failed != nil {
		return p.failed
	}
	var sample [][]byte
	eachLine(block, 1, func(l []byte, _ int) {
		if len(sample) < 50 && len(l) > 0 && l[0] != '#' {
			sample = append(sample, l)
		}
	})
	if len(sample) == 0 {
		return nil // nothing to tell it from yet
	}
	l, err := passiveDNSDetect(sample, p.layout)
	if err != nil {
		p.failed = err
		return err
	}
	p.layout, p.found = &l, true
	return nil
}

// passiveDNSRecord makes the observation of one line of either form.
func (b *logBase) passiveDNSRecord(t *Tally, n int, r *passiveDNSRecord) error {
	if r.class != "" && r.class != "IN" && r.class != "1" {
		b.stats.Class++
		return nil
	}
	if slices.Contains(passiveDNSErrors, r.answer) || strings.HasPrefix(r.answer, "UNKNOWN-ERROR-") {
		b.rcodeOutcome(r.answer)
		return nil
	}
	o := Observation{RRName: r.query, RRType: r.qtype, RData: r.answer, Time: r.time, Count: 1}
	if r.count != "" {
		c, err := strconv.ParseInt(r.count, 10, 64)
		if err != nil {
			return fmt.Errorf("count %s is not a count", Quote(r.count, 20))
		}
		o.Count = c
	}
	if (o.RRType == "TXT" || o.RRType == "SPF") && len(o.RData) >= 2 && o.RData[0] == '"' {
		if text, ok := ldnsText(o.RData); ok {
			o.RData = text
		}
	}
	b.observe(t, n, &o)
	return nil
}

// ldnsText reads a character string as ldns writes it: quoted, with \"
// \\ and \DDD escapes.
func ldnsText(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && allDigits(s[i+1:i+4]) {
			n, _ := strconv.Atoi(s[i+1 : i+4])
			if n > 255 {
				return "", false
			}
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String(), true
}

// localTime reads passivedns's H time, 2011-12-01 10:00:00.123456, in the
// local time zone ($TZ), as passivedns wrote it.
func localTime(s string) (int64, error) {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.Local)
	if err != nil {
		return 0, fmt.Errorf("%s is not a date and time", Quote(s, 40))
	}
	return t.Unix(), nil
}
