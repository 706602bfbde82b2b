package circltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Style is the way a server writes its answers. Real servers differ
// (testdata/reference/cof-servers.md), and circl-pdns must read them all.
type Style struct {
	ContentType      string // instead of application/x-ndjson
	IgnorePagination bool   // answer everything at once, with no cursor
	Layout           Layout
	LineEnd          string   // "\n" unless set: "\r\n", or "\r" alone
	BOM              bool     // a UTF-8 byte-order mark before the first record
	Order            []string // members in this order, then the others
	QOF              bool     // numbers as strings, and rdata named rrdata
	// CloseDelimited answers HTTP/1.0 style: no Content-Length, no chunks,
	// the end of the body is the end of the connection.
	CloseDelimited bool
}

// Layout is how the records of an answer are laid out.
type Layout int

const (
	NDJSON Layout = iota // one record a line
	Pretty               // pretty-printed objects run together ("}{"), as the seed's sample response
	Array                // one JSON array of records
)

// The styles of the servers we know, by name.
var Styles = map[string]Style{
	"circl": {},
	// CIRCL's open-source D4 server (pdns-cof-server.py, Tornado): NDJSON
	// labelled text/html, no pagination, its own member order.
	"d4": {ContentType: "text/html; charset=UTF-8", IgnorePagination: true,
		Order: []string{"time_first", "time_last", "count", "rrtype", "rrname", "rdata"}},
	// older pdns-qof-server: numbers as strings, rrdata.
	"qof": {QOF: true},
	// the sample response of ThreatQ's product sheet.
	"pretty": {Layout: Pretty},
	// proxies and gateways that turn an answer into one JSON array.
	"array": {ContentType: "application/json", Layout: Array},
}

// ParseStyle reads a style by name, with modifiers after commas: bom, crlf,
// cr, http10 (d4,bom,cr is the D4 server behind something that adds a
// byte-order mark and ends lines in CR).
func ParseStyle(s string) (Style, error) {
	names := strings.Split(s, ",")
	st, ok := Styles[names[0]]
	if !ok {
		return st, fmt.Errorf("unknown style %q", names[0])
	}
	for _, m := range names[1:] {
		switch m {
		case "bom":
			st.BOM = true
		case "crlf":
			st.LineEnd = "\r\n"
		case "cr":
			st.LineEnd = "\r"
		case "http10":
			st.CloseDelimited = true
		default:
			return st, fmt.Errorf("unknown style modifier %q (bom, crlf, cr, http10)", m)
		}
	}
	return st, nil
}

// body writes the records of lines (NDJSON) as st says.
func (st Style) body(lines []string) []byte {
	var b bytes.Buffer
	if st.BOM {
		b.WriteString("\xEF\xBB\xBF")
	}
	end := st.LineEnd
	if end == "" {
		end = "\n"
	}
	if st.Layout == Array {
		b.WriteByte('[')
	}
	for i, l := range lines {
		l = st.record(l)
		switch st.Layout {
		case Array:
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l)
		case Pretty:
			var p bytes.Buffer
			if json.Indent(&p, []byte(l), "", "") != nil {
				p.WriteString(l)
			}
			b.WriteString(strings.ReplaceAll(p.String(), "\n", end))
		default:
			b.WriteString(l)
			b.WriteString(end)
		}
	}
	if st.Layout == Array {
		b.WriteByte(']')
	}
	return b.Bytes()
}

// record rewrites one record's members as st says; a line that is not a
// record (a test's junk) is left as it is.
func (st Style) record(line string) string {
	if st.Order == nil && !st.QOF {
		return line
	}
	rec, err := pdns.DecodeRecord([]byte(line))
	if err != nil {
		return line
	}
	fields := slices.Clone(rec.Members())
	rank := func(k string) int {
		if i := slices.Index(st.Order, k); i >= 0 {
			return i
		}
		return len(st.Order)
	}
	slices.SortStableFunc(fields, func(a, b pdns.Field) int { return rank(a.Key) - rank(b.Key) })
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		k, v := f.Key, f.Value
		if st.QOF {
			switch k {
			case "count", "time_first", "time_last":
				if v != "" && v[0] != '"' {
					v = `"` + v + `"`
				}
			case "rdata":
				k = "rrdata"
			}
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteString(": ")
		b.WriteString(v)
	}
	b.WriteByte('}')
	return b.String()
}
