package pdns

import (
	"encoding/json"
	"errors"
	"strings"
)

// scanner walks JSON text, checking it as it goes, and returns the spans
// of values without decoding them.
type scanner struct {
	s string
	i int
}

var errSyntax = errors.New("malformed JSON")

// maxDepth bounds the nesting of arrays and objects in a record.
const maxDepth = 64

func (d *scanner) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

func (d *scanner) eat(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// value returns the text of the JSON value at the cursor, and moves past it.
func (d *scanner) value(depth int) (string, error) {
	if d.i >= len(d.s) {
		return "", errSyntax
	}
	start := d.i
	var err error
	switch c := d.s[d.i]; {
	case c == '"':
		return d.str()
	case c == '{' || c == '[':
		err = d.composite(depth + 1)
	case c == 't':
		err = d.literal("true")
	case c == 'f':
		err = d.literal("false")
	case c == 'n':
		err = d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		err = d.number()
	default:
		err = errSyntax
	}
	return d.s[start:d.i], err
}

func (d *scanner) literal(lit string) error {
	if !strings.HasPrefix(d.s[d.i:], lit) {
		return errSyntax
	}
	d.i += len(lit)
	return nil
}

// number checks the JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *scanner) number() error {
	d.eat('-')
	switch {
	case d.eat('0'):
	case d.digits() == 0:
		return errSyntax
	}
	if d.eat('.') && d.digits() == 0 {
		return errSyntax
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if d.digits() == 0 {
			return errSyntax
		}
	}
	return nil
}

func (d *scanner) digits() int {
	n := 0
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// str returns the text of the string at the cursor, quotes included; it
// checks that control characters are escaped and escapes are well formed.
func (d *scanner) str() (string, error) {
	start := d.i
	if !d.eat('"') {
		return "", errSyntax
	}
	for d.i < len(d.s) {
		for d.i < len(d.s) && !strSpecial[d.s[d.i]] {
			d.i++
		}
		if d.i >= len(d.s) {
			break
		}
		switch c := d.s[d.i]; {
		case c == '"':
			d.i++
			return d.s[start:d.i], nil
		case c == '\\':
			if err := d.escape(); err != nil {
				return "", err
			}
			d.i++
		default: // a control character
			return "", errSyntax
		}
	}
	return "", errSyntax
}

// strSpecial marks the bytes that end the plain run of a string: the
// quote, the backslash and control characters.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// escape checks the escape at the cursor (a backslash) and moves to its
// last byte.
func (d *scanner) escape() error {
	if d.i+1 >= len(d.s) {
		return errSyntax
	}
	switch d.s[d.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		d.i++
	case 'u':
		if d.i+6 > len(d.s) || !isHex4(d.s[d.i+2:d.i+6]) {
			return errSyntax
		}
		d.i += 5
	default:
		return errSyntax
	}
	return nil
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// allDigits says whether s is a non-empty run of decimal digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// composite checks an array or an object.
func (d *scanner) composite(depth int) error {
	if depth > maxDepth {
		return errSyntax
	}
	return d.each(d.s[d.i], depth, nil)
}

// each walks the object ('{') or array ('[') at the cursor, nested depth
// deep, calling fn (if not nil) with each member's key (decoded; "" in an
// array) and value.
func (d *scanner) each(open byte, depth int, fn func(key, value string) error) error {
	close := byte('}')
	if open == '[' {
		close = ']'
	}
	if !d.eat(open) {
		return errSyntax
	}
	d.space()
	if d.eat(close) {
		return nil
	}
	for {
		d.space()
		var key string
		if open == '{' {
			k, err := d.str()
			if err != nil {
				return err
			}
			d.space()
			if !d.eat(':') {
				return errSyntax
			}
			d.space()
			if fn != nil {
				key = unquote(k)
			}
		}
		v, err := d.value(depth)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(key, v); err != nil {
				return err
			}
		}
		d.space()
		if d.eat(close) {
			return nil
		}
		if !d.eat(',') {
			return errSyntax
		}
	}
}

// unquote returns the content of a JSON string the scanner checked: a
// slice of it when it has no escapes, a decoded copy otherwise.
func unquote(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	var s string
	json.Unmarshal([]byte(raw), &s) // raw is a valid JSON string
	return s
}
