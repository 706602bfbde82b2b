package circl

import "testing"

func TestDescribeDribbleErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"limit": "capped at 2"}`: `{"limit":"capped at 2"}`,
		`{"x":"a<b&c"}`:            `{"x":"a<b&c"}`,
		`{"x":"\u202eevil"}`:       `"{\"x\":\"\\u202eevil\"}"`, // bidi: quoted, escaped
		"{\"x\":\"\\u001b[2J\"}":   `{"x":"\u001b[2J"}`,         // JSON escapes it itself
		"not json \x1b[2J":         `"not json \x1b[2J"`,
	} {
		if got := describeDribbleErrors(in); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}
