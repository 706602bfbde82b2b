package pdns

import (
	"bytes"
	"fmt"
	"strings"
)

// A team's own DNS logs (Zeek's dns.log, Suricata's EVE DNS events,
// gamelinux/passivedns) hold answers as the sensor saw them, one response
// or one answer a line. Their readers turn each line into Observations:
// one answer record each (owner name, type, rdata), seen at a time, so
// many times. A Tally merges them into COF records, vetted as every
// record is.

// Observation is one answer record a sensor saw.
type Observation struct {
	RRName, RRType, RData string
	Time                  int64 // epoch seconds
	Count                 int64 // times seen: 1, or what an aggregating sensor says
}

// LogFormat is a kind of input --import reads.
type LogFormat int

// The formats, each recognised by its first line.
const (
	FormatUnknown    LogFormat = iota
	FormatCOF                  // COF records: NDJSON, an array, pretty-printed
	FormatZeek                 // Zeek dns.log, the ASCII writer's TSV (with its #fields header)
	FormatZeekJSON             // Zeek dns.log as JSON lines (LogAscii::use_json)
	FormatSuricata             // Suricata EVE JSON, its dns events
	FormatPassiveDNS           // gamelinux/passivedns, its ||-separated lines
	FormatPassiveDNSJSON
)

var formatNames = map[LogFormat]string{
	FormatCOF:            "cof",
	FormatZeek:           "zeek",
	FormatZeekJSON:       "zeek-json",
	FormatSuricata:       "suricata",
	FormatPassiveDNS:     "passivedns",
	FormatPassiveDNSJSON: "passivedns-json",
}

// String is the format's name, as --format takes it.
func (f LogFormat) String() string {
	if n, ok := formatNames[f]; ok {
		return n
	}
	return "unknown"
}

// Title is the format's name for people.
func (f LogFormat) Title() string {
	switch f {
	case FormatCOF:
		return "COF"
	case FormatZeek:
		return "Zeek TSV"
	case FormatZeekJSON:
		return "Zeek JSON"
	case FormatSuricata:
		return "Suricata EVE"
	case FormatPassiveDNS:
		return "passivedns"
	case FormatPassiveDNSJSON:
		return "passivedns JSON"
	}
	return "unknown"
}

// LogFormatNames are the names --format takes (besides auto), in order.
func LogFormatNames() []string {
	return []string{"cof", "zeek", "zeek-json", "suricata", "passivedns", "passivedns-json"}
}

// InputFormat is what --format says: a format, or none (FormatUnknown: find
// it from the content), and for passivedns the letters of its -f option
// when its columns cannot be told from its lines.
type InputFormat struct {
	Format LogFormat
	Fields string // passivedns -f letters, or ""
}

// ParseInputFormat reads the value of --format: auto, a format's name, or
// passivedns:LETTERS.
func ParseInputFormat(s string) (InputFormat, error) {
	name, letters, hasLetters := strings.Cut(s, ":")
	if name == "auto" && !hasLetters {
		return InputFormat{}, nil
	}
	for f, n := range formatNames {
		if n != name {
			continue
		}
		if !hasLetters {
			return InputFormat{Format: f}, nil
		}
		if f != FormatPassiveDNS {
			break
		}
		if _, err := passiveDNSLayoutOf(letters); err != nil {
			return InputFormat{}, err
		}
		return InputFormat{Format: f, Fields: letters}, nil
	}
	return InputFormat{}, fmt.Errorf("%s is not a format: auto, %s, or passivedns:LETTERS (the letters of passivedns -f)", Quote(s, 40), strings.Join(LogFormatNames(), ", "))
}

// SniffLog says what the content that begins with head is, from its first
// line that is not blank: Zeek's TSV header, a JSON object whose members
// say whose it is, a COF array, or passivedns's ||-separated columns.
func SniffLog(head []byte) (LogFormat, error) {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	line := firstLine(head)
	switch {
	case len(line) == 0:
		return FormatCOF, nil // nothing: read as COF, which says so
	case bytes.HasPrefix(line, []byte("#separator")), bytes.HasPrefix(line, []byte("#fields")):
		return FormatZeek, nil
	case bytes.HasPrefix(line, []byte("ts\t")) && bytes.Contains(line, []byte("\tquery\t")):
		return FormatZeek, nil // the ASCII writer's "tsv" mode: one header line, the names
	case line[0] == '[':
		return FormatCOF, nil
	case line[0] == '{':
		return sniffJSON(line)
	case line[0] == '<':
		return FormatCOF, nil // the record stage says what it is
	case bytes.Contains(line, []byte("||")) || bytes.HasPrefix(line, []byte("#timestamp")):
		return FormatPassiveDNS, nil
	}
	return FormatUnknown, fmt.Errorf("the input is no format circl-pdns reads (it begins %s): COF, Zeek's dns.log (TSV or JSON), Suricata's EVE JSON or passivedns logs; --format names one", Quote(string(line), 40))
}

// sniffJSON tells the JSON formats apart by the members of the first
// object.
func sniffJSON(line []byte) (LogFormat, error) {
	has := map[string]bool{}
	if err := eachMember(string(line), func(k, _ string) error { has[k] = true; return nil }); err != nil {
		// a COF record pretty-printed, or cut: the record stage says what it is
		return FormatCOF, nil
	}
	switch {
	case has["event_type"]:
		return FormatSuricata, nil
	case has["rrname"] && (has["rdata"] || has["rrdata"]):
		return FormatCOF, nil
	case has["ts"] && (has["query"] || has["qtype_name"] || has["answers"] || has["uid"]):
		return FormatZeekJSON, nil
	case has["timestamp_s"] || has["query"] && has["answer"] && has["type"]:
		return FormatPassiveDNSJSON, nil
	}
	return FormatCOF, nil // the record stage names what is missing
}

// firstLine is the first line of b that is not blank, without its end
// (cut at 64 KiB).
func firstLine(b []byte) []byte {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return line[:min(len(line), 64<<10)]
		}
	}
	return nil
}

// LogStats count what a log held, line by line.
type LogStats struct {
	Lines    int // lines read, header lines and bad ones too
	Answers  int // observations made
	NoAnswer int // responses with no answer (NOERROR, NODATA), queries never answered
	NXDomain int // NXDOMAIN responses
	Failed   int // other error responses: SERVFAIL, REFUSED, ...
	Rejected int // Zeek's rejected queries
	Class    int // queries of another class than IN (CHAOS, mDNS's)
	Requests int // queries without their answer (Suricata's request events)
	Other    int // other events (Suricata's flow, alert, ...), other logs (a conn.log's lines)
	Unplaced int // answers whose owner or type the log does not tell (an ANY query's names)
	Bad      int // lines that could not be read, or answers refused
}

// Add adds o's counts to s.
func (s *LogStats) Add(o LogStats) {
	s.Lines += o.Lines
	s.Answers += o.Answers
	s.NoAnswer += o.NoAnswer
	s.NXDomain += o.NXDomain
	s.Failed += o.Failed
	s.Rejected += o.Rejected
	s.Class += o.Class
	s.Requests += o.Requests
	s.Other += o.Other
	s.Unplaced += o.Unplaced
	s.Bad += o.Bad
}

// Skipped says, for people, what was read and not stored, in one phrase
// ("2 NXDOMAIN, 1 rejected"), or ""; num writes the numbers.
func (s LogStats) Skipped(num func(int) string) string {
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, num(n)+" "+many)
		}
	}
	add(s.NoAnswer, "without an answer", "without an answer")
	add(s.NXDomain, "NXDOMAIN", "NXDOMAIN")
	add(s.Failed, "failed", "failed")
	add(s.Rejected, "rejected", "rejected")
	add(s.Class, "not of class IN", "not of class IN")
	add(s.Requests, "request", "requests")
	add(s.Other, "other event", "other events")
	add(s.Unplaced, "answer of unknown owner or type", "answers of unknown owner or type")
	add(s.Bad, "bad line", "bad lines")
	return strings.Join(parts, ", ")
}

// LogParser reads the lines of one log. It is given the log's content in
// blocks of whole lines (the last block may end without a line end) in
// order, each either to import (Parse) or imported before (Skip: only
// what says how later lines are read, Zeek's headers, is kept).
type LogParser interface {
	// Parse reads the lines of block, the first of them numbered line,
	// into t. A bad line is said to problem with its number, counted,
	// and skipped. An error ends the log: its lines cannot be read.
	Parse(block []byte, line int, t *Tally) error
	// Skip sees lines imported before.
	Skip(block []byte)
	// Stats are the counts so far.
	Stats() LogStats
}

// NewLogParser is the parser of a log of format f (not COF, which the
// record stage reads), whose lines are at most maxLine bytes (0 means
// DefaultMaxRecordBytes: a longer one is a bad line); problem receives
// each bad line.
func NewLogParser(f InputFormat, maxLine int, problem func(line int, err error)) (LogParser, error) {
	if maxLine <= 0 {
		maxLine = DefaultMaxRecordBytes
	}
	base := logBase{problem: problem, maxLine: maxLine}
	switch f.Format {
	case FormatZeek:
		return &zeekTSV{logBase: base}, nil
	case FormatZeekJSON:
		return &jsonLog{logBase: base, read: readZeekJSON}, nil
	case FormatSuricata:
		return &jsonLog{logBase: base, read: readEVE}, nil
	case FormatPassiveDNSJSON:
		return &jsonLog{logBase: base, read: readPassiveDNSJSON}, nil
	case FormatPassiveDNS:
		p := &passiveDNS{logBase: base}
		if f.Fields != "" {
			l, err := passiveDNSLayoutOf(f.Fields)
			if err != nil {
				return nil, err
			}
			p.layout = &l
		}
		return p, nil
	}
	return nil, fmt.Errorf("no log parser for %s", f.Format)
}

// logBase is what every parser has: its counts and where bad lines go.
type logBase struct {
	stats   LogStats
	problem func(line int, err error)
	maxLine int
}

func (b *logBase) Stats() LogStats { return b.stats }

// bad says a bad line, and counts it.
func (b *logBase) bad(line int, err error) {
	b.stats.Bad++
	if b.problem != nil {
		b.problem(line, err)
	}
}

// observe passes one answer to t; one t refuses is a bad line.
func (b *logBase) observe(t *Tally, line int, o *Observation) {
	if err := t.Add(o); err != nil {
		if t.cur != nil {
			t.cur.Refused = append(t.cur.Refused, err)
		}
		b.bad(line, err)
		return
	}
	b.stats.Answers++
}

// repeated counts what a line of a signature read before made again.
func (b *logBase) repeated(m *LineMemo, line int) {
	b.stats.Answers += len(m.entries)
	b.stats.Unplaced += m.Unplaced
	for _, err := range m.Refused {
		b.bad(line, err)
	}
}

// eachLine calls fn with each line of block (without its end, CR
// included), numbered from line.
func eachLine(block []byte, line int, fn func(l []byte, n int)) {
	for len(block) > 0 {
		l := block
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			l, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		fn(bytes.TrimSuffix(l, []byte("\r")), line)
		line++
	}
}

// lines calls fn with each line of block not longer than the limit (a
// longer one is a bad line), counting them all.
func (b *logBase) lines(block []byte, line int, fn func(l []byte, n int)) {
	eachLine(block, line, func(l []byte, n int) {
		b.stats.Lines++
		if len(l) > b.maxLine {
			b.bad(n, &LineTooLongError{Max: b.maxLine, What: "line"})
			return
		}
		fn(l, n)
	})
}

// rcodeOutcome counts a response by its code (a name, or a number as
// text), and says whether its answers are records: NOERROR only.
func (b *logBase) rcodeOutcome(rcode string) bool {
	switch strings.ToUpper(rcode) {
	case "NOERROR", "0":
		return true
	case "NXDOMAIN", "3":
		b.stats.NXDomain++
	default:
		b.stats.Failed++
	}
	return false
}
