package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTerminal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, with spaces", "plain text, with spaces"},
		{"bücher 例え 🙂", "bücher 例え 🙂"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"a\rb\nc\td", `a\x0db\x0ac\x09d`},
		{"\u202eevil\u202c", `\u202eevil\u202c`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`},
		{"\u009b31m\x7f", `\u009b31m\x7f`},
		{"bad \xff utf8", `bad \xff utf8`},
		{"tag \U000e0041", `tag \U000e0041`},
		{"nbsp\u00a0", `nbsp\u00a0`},
	}
	for _, tt := range tests {
		if got := Terminal(tt.in); got != tt.want {
			t.Errorf("Terminal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"a=1": "a=1", "": "", "example.com": "example.com",
	} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzTerminal(f *testing.F) {
	for _, s := range []string{"\x1b[2J", "a\rb", "\u202e", "\xff\xfe", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Terminal(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Terminal(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if unsafeRune(r) {
				t.Fatalf("Terminal(%q) = %q: raw %U", s, got, r)
			}
		}
		if strings.IndexFunc(s, unsafeRune) < 0 && utf8.ValidString(s) && got != s {
			t.Fatalf("Terminal(%q) = %q: changed safe text", s, got)
		}
	})
}

// appendJSONString writes what encoding/json writes, made safe.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain.example.", "a<b", "b>c", "c&d", `q"uo\te`, "\x1b[31mred", "bidi \u202e evil", "bad \xff utf-8", "line\u2028sep", "caf\u00e9", "del\x7f"} {
		b, _ := json.Marshal(s)
		if got, want := string(appendJSONString(nil, s)), string(safeJSON(nil, b)); got != want {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func TestASCIIPrefix(t *testing.T) {
	naive := func(b []byte) int {
		i := 0
		for i < len(b) && b[i] < 0x7f {
			i++
		}
		return i
	}
	for _, c := range []byte{0x00, 0x7e, 0x7f, 0x80, 0xff} {
		for n := range 20 {
			for at := range n + 1 {
				b := bytes.Repeat([]byte{'a'}, n)
				if at < n {
					b[at] = c
				}
				if got, want := asciiPrefix(b), naive(b); got != want {
					t.Errorf("%q: %d, want %d", b, got, want)
				}
			}
		}
	}
}
