package pdns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Field is one member of a record as received, its value (JSON text)
// normalised.
type Field struct {
	Key   string
	Value string
}

// Record is one Passive DNS Common Output Format record. The typed fields
// serve selection and display; Members gives every member as received (known
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
	fields                      []Field
	// Raw is the record's JSON text as it was received, for the cache
	// (without the blanks between tokens, for a record decoded by the fast
	// path).
	Raw string
	// plain: Raw is compact and in the form output writes (decodePlain);
	// fields is not filled in.
	plain bool
	given uint8 // the numeric members given as numbers: bits in numberKeys' order
	// Source is the name of the source that answered the record, in a run
	// that asks several; Sources, of a record merged from several
	// (--merge), every one that had it. Neither is in Raw: they are written
	// as members "source" and "sources", before the record's own.
	Source  string
	Sources []string
}

// SourceFields are the members that say where the record came from:
// "source", or "sources" for a merged record; none in a run of one source.
func (r *Record) SourceFields() []Field {
	switch {
	case r.Sources != nil:
		b := []byte{'['}
		for i, s := range r.Sources {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return []Field{{Key: "sources", Value: string(append(b, ']'))}}
	case r.Source != "":
		return []Field{{Key: "source", Value: string(appendJSONString(nil, r.Source))}}
	}
	return nil
}

// Members are the record's members as received, known and unknown ones,
// in order, their values normalised.
func (r *Record) Members() []Field {
	if r.plain {
		g, _ := decodeGeneral([]byte(r.Raw)) // it was decoded once already
		return g.fields
	}
	return r.fields
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

// DecodeRecord decodes one line of COF NDJSON, tolerantly: numbers may be
// numeric strings, rrtype a name or a number, rdata a string or an array,
// and unknown members are kept. It requires rrname, rrtype and rdata.
//
// It is the hot path of a large answer, so it scans the line once, checks
// it is JSON, decodes only the members it needs and keeps the others as
// slices of one copy of the line.
//
// Its values are vetted (vet.go): a record whose times or count cannot be
// is refused, as a malformed one is.
func DecodeRecord(line []byte) (Record, error) {
	return decode(line, nil)
}

// decode is DecodeRecord, with the memory of records from a (nil: the heap).
func decode(line []byte, a *arena) (Record, error) {
	r, ok := decodePlain(line, a)
	if !ok {
		var err error
		if r, err = decodeGeneral(line); err != nil {
			return r, err
		}
	}
	if err := r.vet(); err != nil {
		return Record{}, err
	}
	return r, nil
}

// decodeGeneral is DecodeRecord for any record.
func decodeGeneral(line []byte) (Record, error) {
	var r Record
	d := scanner{s: string(line)}
	r.Raw = d.s
	d.space()
	if !d.eat('{') {
		return r, errors.New("not a JSON object")
	}
	r.fields = make([]Field, 0, 8)
	var keys map[string]struct{} // for records with many members
	d.space()
	if !d.eat('}') {
		for {
			d.space()
			rawKey, err := d.str()
			if err != nil {
				return r, errors.New("malformed JSON")
			}
			d.space()
			if !d.eat(':') {
				return r, errors.New("malformed JSON")
			}
			d.space()
			v, err := d.value(0)
			if err != nil {
				return r, errors.New("malformed JSON")
			}
			key := unquote(rawKey)
			if hasField(r.fields, &keys, key) {
				// I-JSON (RFC 7493): parsers disagree on which one wins, so
				// another tool could read another record than ours
				return r, fmt.Errorf("member %s appears twice", Quote(key, 40))
			}
			if v, err = r.set(key, v); err != nil {
				return r, fmt.Errorf("%s: %w", key, err)
			}
			r.fields = append(r.fields, Field{Key: key, Value: v})
			d.space()
			if d.eat('}') {
				break
			}
			if !d.eat(',') {
				return r, errors.New("malformed JSON")
			}
		}
	}
	d.space()
	if d.i < len(d.s) {
		return r, errors.New("data after the JSON object")
	}
	if r.RData == nil { // older QOF servers name it rrdata
		for i, f := range r.fields {
			if f.Key == "rrdata" {
				rdata, err := parseRData(f.Value)
				if err != nil {
					return r, fmt.Errorf("rrdata: %w", err)
				}
				r.RData, r.fields[i].Key = rdata, "rdata"
				break
			}
		}
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

// hasField says whether key is among fs; past a few members it keeps them
// in *keys, so that a record of many members costs no more than linear time.
func hasField(fs []Field, keys *map[string]struct{}, key string) bool {
	const few = 16
	if len(fs) < few {
		for i := range fs {
			if fs[i].Key == key {
				return true
			}
		}
		return false
	}
	if *keys == nil {
		*keys = make(map[string]struct{}, 2*few)
		for _, f := range fs {
			(*keys)[f.Key] = struct{}{}
		}
	}
	if _, ok := (*keys)[key]; ok {
		return true
	}
	(*keys)[key] = struct{}{}
	return false
}

// set stores a known member in its typed field and returns the value to keep.
func (r *Record) set(key, v string) (string, error) {
	if (v[0] == '[' || v[0] == '{') && strings.ContainsAny(v, " \t\r\n") {
		var b bytes.Buffer
		json.Compact(&b, []byte(v)) // v is valid JSON: the scanner checked it
		v = b.String()
	}
	switch key {
	case "time_first", "time_last", "count", "zone_time_first", "zone_time_last":
		// numbers, or numeric strings; they leave as numbers
		if v == "null" {
			return v, nil
		}
		n, plain, err := parseInt(v)
		if err != nil {
			return "", err
		}
		r.setNumber(key, n)
		if plain {
			return v, nil
		}
		return strconv.FormatInt(n, 10), nil
	case "rrname":
		if v[0] != '"' {
			return "", errors.New("not a string")
		}
		r.RRName = unquote(v)
	case "rrtype":
		if v[0] == '"' {
			if s := unquote(v); s != "" && !allDigits(s) {
				r.RRType = strings.ToUpper(s)
				if r.RRType != s || strings.IndexByte(v, '\\') >= 0 {
					v = string(appendJSONString(nil, r.RRType))
				}
				return v, nil
			}
		}
		n, _, err := parseInt(v)
		if err != nil || n < 0 || n > math.MaxUint16 {
			return "", errors.New("not a type name or number")
		}
		r.RRType = TypeName(uint16(n))
		return `"` + r.RRType + `"`, nil
	case "rdata":
		rdata, err := parseRData(v)
		if err != nil {
			return "", err
		}
		r.RData = rdata
	}
	return v, nil
}

// numberKeys are the numeric members, in the order of Record.given's bits.
var numberKeys = [...]string{"time_first", "time_last", "count", "zone_time_first", "zone_time_last"}

// setNumber stores the value of a numeric member (one of numberKeys), and
// notes that it was given.
func (r *Record) setNumber(key string, n int64) {
	if i := slices.Index(numberKeys[:], key); i >= 0 {
		*r.numbers()[i] = n
		r.given |= 1 << i
	}
}

// numbers are the fields of the numeric members, in numberKeys' order.
func (r *Record) numbers() [len(numberKeys)]*int64 {
	return [...]*int64{&r.TimeFirst, &r.TimeLast, &r.Count, &r.ZoneTimeFirst, &r.ZoneTimeLast}
}

// Given says whether the numeric member key (time_first, time_last, count,
// zone_time_first or zone_time_last) was given as a number: a record
// without a count, or with "count": null, has Count 0 but no count given.
func (r *Record) Given(key string) bool {
	i := slices.Index(numberKeys[:], key)
	return i >= 0 && r.given&(1<<i) != 0
}

// Number is the value of the numeric member key (one of time_first,
// time_last, count, zone_time_first, zone_time_last), and whether it was
// given as a number.
func (r *Record) Number(key string) (int64, bool) {
	i := slices.Index(numberKeys[:], key)
	if i < 0 || r.given&(1<<i) == 0 {
		return 0, false
	}
	return *r.numbers()[i], true
}

// JSON is the record as one compact JSON object: its members as received,
// in their order, their values normalised.
func (r *Record) JSON() string {
	if r.plain {
		return r.Raw
	}
	return string(r.AppendJSON(nil))
}

// RDataJSON is the rdata member as compact JSON, written the same way
// however it was received (a string, or an array): a key for the value.
func (r *Record) RDataJSON() (string, error) {
	if r.plain { // one plain string
		return `"` + r.RData[0] + `"`, nil
	}
	for _, f := range r.fields {
		if f.Key == "rdata" {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(jsonValue(f.Value)); err != nil {
				return "", err
			}
			return strings.TrimSuffix(b.String(), "\n"), nil
		}
	}
	return "", errors.New("a record without rdata") // DecodeRecord refuses those
}

// RecordOf is the record of these members, as DecodeRecord reads their
// JSON object.
func RecordOf(fields []Field) (Record, error) {
	patched := Record{fields: fields}
	return DecodeRecord(patched.AppendJSON(nil))
}

// parseInt reads a JSON number or a string holding one; a fractional value
// is truncated. plain says v is already an integer literal.
func parseInt(v string) (n int64, plain bool, err error) {
	s := v
	if len(s) <= 18 && allDigits(s) { // the common case, which cannot overflow
		for i := 0; i < len(s); i++ {
			n = n*10 + int64(s[i]-'0')
		}
		return n, true, nil
	}
	if len(s) > 1 && s[0] == '"' {
		s = strings.TrimSpace(unquote(s))
	} else if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, false, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, false, errors.New("not a number")
	}
	return int64(f), false, nil
}

func parseRData(v string) ([]string, error) {
	switch v[0] {
	case '"':
		return []string{unquote(v)}, nil
	case '[':
	default:
		return nil, errors.New("neither a string nor an array")
	}
	var out []string
	d := scanner{s: v, i: 1}
	d.space()
	if d.eat(']') {
		return []string{}, nil
	}
	for {
		d.space()
		e, _ := d.value(0) // v was checked whole
		if e[0] == '"' {
			out = append(out, unquote(e))
		} else {
			out = append(out, e) // a number or an object: its JSON text
		}
		d.space()
		if !d.eat(',') {
			return out, nil
		}
	}
}

// AppendJSON appends the record as one JSON object: the given leading
// members first, then every member as received, except those the leading
// ones replace.
func (r *Record) AppendJSON(dst []byte, lead ...Field) []byte {
	dst = append(dst, '{')
	if r.plain { // Raw is already that JSON: no member is among the leading ones
		for _, f := range lead {
			dst = appendJSONString(dst, f.Key)
			dst = append(dst, ':')
			dst = append(dst, f.Value...)
			dst = append(dst, ',')
		}
		return append(dst, r.Raw[1:]...)
	}
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
	for _, f := range r.fields {
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

// TypeNames are the mnemonics of the DNS types this package knows, sorted.
func TypeNames() []string {
	names := make([]string, 0, len(typeNames))
	for _, n := range typeNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TypeName returns the mnemonic of a DNS type number, or TYPEnnn (RFC 3597).
func TypeName(n uint16) string {
	if s, ok := typeNames[n]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(n))
}

// JSONString is s as a JSON string, written as records write theirs.
func JSONString(s string) string { return string(appendJSONString(nil, s)) }

// ObjectJSON is fields as one compact JSON object, in their order.
func ObjectJSON(fields []Field) string {
	r := Record{fields: fields}
	return string(r.AppendJSON(nil))
}

// ObjectMembers are the members of the JSON object text, in their order:
// keys decoded, values as their JSON text.
func ObjectMembers(text string) ([]Field, error) {
	var fs []Field
	err := eachMember(text, func(k, v string) error {
		fs = append(fs, Field{Key: k, Value: v})
		return nil
	})
	return fs, err
}

// OtherMembers are the record's members but those named, as one compact
// JSON object in their order; "" when there are none. For a record of the
// fast path, its text is cut, not decoded again.
func (r *Record) OtherMembers(names ...string) string {
	var b []byte
	add := func(k, v string) {
		if slices.Contains(names, k) {
			return
		}
		if b == nil {
			b = make([]byte, 0, 64)
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = append(b, v...)
	}
	if r.plain {
		eachPlainMember(r.Raw, add)
	} else {
		for _, f := range r.fields {
			add(f.Key, f.Value)
		}
	}
	if b == nil {
		return ""
	}
	return string(append(b, '}'))
}

// Has says whether the record has the member key, null or not.
func (r *Record) Has(key string) bool {
	if r.plain { // its numbers are numbers (a null takes the general path)
		return slices.Contains(numberKeys[:], key) && r.Given(key) || strings.Contains(r.Raw, `"`+key+`":`)
	}
	return slices.ContainsFunc(r.fields, func(f Field) bool { return f.Key == key })
}
