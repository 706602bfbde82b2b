package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Field is one member of a record as received, its value normalised.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Record is one Passive DNS Common Output Format record. The typed fields
// serve selection and display; Fields keeps every member as received (known
// and unknown ones, in order) so that output can pass it through.
type Record struct {
	RRName    string
	RRType    string   // the type's mnemonic in upper case, even when it arrived as a number
	RData     []string // one value, or several when rdata arrived as an array
	TimeFirst int64    // epoch seconds; 0 when absent
	TimeLast  int64
	Count     int64 // 0 when absent
	// ZoneTimeFirst and ZoneTimeLast date records seen in zone files
	// rather than on the wire.
	ZoneTimeFirst, ZoneTimeLast int64
	Fields                      []Field
}

// First is when the record was first seen: time_first, or zone_time_first
// for a record known only from zone files.
func (r *Record) First() int64 {
	if r.TimeFirst == 0 {
		return r.ZoneTimeFirst
	}
	return r.TimeFirst
}

// Last is when the record was last seen: time_last, or zone_time_last.
func (r *Record) Last() int64 {
	if r.TimeLast == 0 {
		return r.ZoneTimeLast
	}
	return r.TimeLast
}

// numericFields may arrive as numbers or numeric strings; they leave as numbers.
var numericFields = map[string]bool{
	"time_first": true, "time_last": true, "count": true,
	"zone_time_first": true, "zone_time_last": true,
}

// DecodeRecord decodes one line of COF NDJSON, tolerantly: numbers may be
// numeric strings, rrtype a name or a number, rdata a string or an array, and
// unknown members are kept. It requires rrname, rrtype and rdata.
func DecodeRecord(line []byte) (Record, error) {
	var r Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return r, errors.New("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return r, errors.New("malformed JSON")
		}
		key := t.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return r, errors.New("malformed JSON")
		}
		if v, err = r.set(key, v); err != nil {
			return r, fmt.Errorf("%s: %w", key, err)
		}
		if v[0] == '[' || v[0] == '{' {
			var b bytes.Buffer
			json.Compact(&b, v) // v is valid JSON: the decoder read it
			v = b.Bytes()
		}
		r.Fields = setField(r.Fields, key, v)
	}
	if _, err := dec.Token(); err != nil {
		return r, errors.New("malformed JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return r, errors.New("data after the JSON object")
	}
	switch {
	case r.RRName == "":
		return r, errors.New("no rrname")
	case r.RRType == "":
		return r, errors.New("no rrtype")
	case r.RData == nil:
		return r, errors.New("no rdata")
	}
	return r, nil
}

func setField(fs []Field, key string, v json.RawMessage) []Field {
	for i := range fs {
		if fs[i].Key == key { // a repeated member: the last one wins, as in JSON parsers
			fs[i].Value = v
			return fs
		}
	}
	return append(fs, Field{Key: key, Value: v})
}

// set stores a known member in its typed field and returns the value to keep.
func (r *Record) set(key string, v json.RawMessage) (json.RawMessage, error) {
	if numericFields[key] {
		if string(v) == "null" {
			return v, nil
		}
		n, err := parseInt(v)
		if err != nil {
			return nil, err
		}
		switch key {
		case "time_first":
			r.TimeFirst = n
		case "time_last":
			r.TimeLast = n
		case "count":
			r.Count = n
		case "zone_time_first":
			r.ZoneTimeFirst = n
		case "zone_time_last":
			r.ZoneTimeLast = n
		}
		return strconv.AppendInt(nil, n, 10), nil
	}
	switch key {
	case "rrname":
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, errors.New("not a string")
		}
		r.RRName = s
	case "rrtype":
		var s string
		if json.Unmarshal(v, &s) == nil && strings.Trim(s, "0123456789") != "" {
			r.RRType = strings.ToUpper(s)
			if r.RRType != s {
				v = appendJSONString(nil, r.RRType)
			}
			return v, nil
		}
		n, err := parseInt(v)
		if err != nil || n < 0 || n > math.MaxUint16 {
			return nil, errors.New("not a type name or number")
		}
		r.RRType = TypeName(uint16(n))
		return appendJSONString(nil, r.RRType), nil
	case "rdata":
		rdata, err := parseRData(v)
		if err != nil {
			return nil, err
		}
		r.RData = rdata
	}
	return v, nil
}

// parseInt reads a JSON number or a string holding one; a fractional value
// is truncated.
func parseInt(v json.RawMessage) (int64, error) {
	s := string(v)
	if len(s) > 1 && s[0] == '"' {
		if json.Unmarshal(v, &s) != nil {
			return 0, errors.New("not a number")
		}
		s = strings.TrimSpace(s)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, errors.New("not a number")
	}
	return int64(f), nil
}

func parseRData(v json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return []string{s}, nil
	}
	var vs []json.RawMessage
	if json.Unmarshal(v, &vs) != nil {
		return nil, errors.New("neither a string nor an array")
	}
	out := make([]string, 0, len(vs))
	for _, e := range vs {
		if json.Unmarshal(e, &s) == nil {
			out = append(out, s)
		} else {
			out = append(out, string(e)) // a number or object: its JSON text
		}
	}
	return out, nil
}

// AppendJSON appends the record as one JSON object: the given leading
// members first, then every member as received, except those the leading
// ones replace.
func (r *Record) AppendJSON(dst []byte, lead ...Field) []byte {
	dst = append(dst, '{')
	n := 0
	add := func(f Field) {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendJSONString(dst, f.Key)
		dst = append(dst, ':')
		dst = append(dst, f.Value...)
	}
	for _, f := range lead {
		add(f)
	}
next:
	for _, f := range r.Fields {
		for _, l := range lead {
			if l.Key == f.Key {
				continue next
			}
		}
		add(f)
	}
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

var typeNames = map[uint16]string{
	1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX",
	16: "TXT", 17: "RP", 18: "AFSDB", 24: "SIG", 25: "KEY", 28: "AAAA", 29: "LOC",
	33: "SRV", 35: "NAPTR", 36: "KX", 37: "CERT", 39: "DNAME", 43: "DS",
	44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY",
	49: "DHCID", 50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA",
	55: "HIP", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC",
	63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF", 108: "EUI48", 109: "EUI64",
	249: "TKEY", 250: "TSIG", 252: "AXFR", 255: "ANY", 256: "URI", 257: "CAA",
}

// TypeName returns the mnemonic of a DNS type number, or TYPEnnn (RFC 3597).
func TypeName(n uint16) string {
	if s, ok := typeNames[n]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(n))
}
