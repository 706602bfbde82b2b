package pdns

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input renders a record as the value a jq program sees: the object jsonl
// prints, "query" (and "hop" and "via", "source" or "sources") first. It is built from the text
// the record was decoded from, by the same scanner, with no JSON decoder
// and no second copy: strings are unquoted, integers are ints, other
// numbers json.Number (as gojq wants them).
func Input(ind Indicator, r *Record) map[string]any {
	members := r.fields
	var plain []Field
	if r.plain {
		plain = splitMembers(r.Raw)
		members = plain
	}
	lead := append(ind.LeadFields(), r.SourceFields()...)
	m := make(map[string]any, len(members)+len(lead))
	for _, f := range members {
		m[validUTF8(f.Key)] = jsonValue(f.Value)
	}
	for _, f := range lead {
		m[f.Key] = jsonValue(f.Value)
	}
	return m
}

// splitMembers returns the members of a compact object whose keys have no
// escapes, as slices of it.
func splitMembers(raw string) []Field {
	fs := make([]Field, 0, 8)
	d := scanner{s: raw, i: 1}
	for d.i < len(d.s) && d.s[d.i] != '}' {
		k, _ := d.str()
		d.i++ // ':'
		v, _ := d.value(0)
		fs = append(fs, Field{Key: k[1 : len(k)-1], Value: v})
		d.eat(',')
	}
	return fs
}

// jsonValue decodes JSON text the scanner checked.
func jsonValue(v string) any {
	switch c := v[0]; {
	case c == '"':
		return validUTF8(unquote(v))
	case c == 't':
		return true
	case c == 'f':
		return false
	case c == 'n':
		return nil
	case c == '[':
		out := []any{}
		d := scanner{s: v, i: 1}
		for d.space(); !d.eat(']'); d.space() {
			e, _ := d.value(0)
			out = append(out, jsonValue(e))
			d.space()
			d.eat(',')
		}
		return out
	case c == '{':
		out := map[string]any{}
		d := scanner{s: v, i: 1}
		for d.space(); !d.eat('}'); d.space() {
			k, _ := d.str()
			d.space()
			d.eat(':')
			d.space()
			e, _ := d.value(0)
			out[validUTF8(unquote(k))] = jsonValue(e)
			d.space()
			d.eat(',')
		}
		return out
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return json.Number(v)
}

// validUTF8 replaces each byte of s that is not UTF-8 with U+FFFD, as a
// JSON decoder does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for a byte that is not UTF-8
		i += size
	}
	return b.String()
}
