package pdns

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// drain reads everything and renders it one item a line: the indicator, or
// the error.
func drain(r *Reader) string {
	var out []string
	for {
		ind, err := r.Next()
		if err == io.EOF {
			return strings.Join(out, "\n")
		}
		if err != nil {
			out = append(out, "error: "+err.Error())
			continue
		}
		out = append(out, ind.Kind.String()+" "+ind.Value)
	}
}

func TestReaderStdin(t *testing.T) {
	t.Parallel()
	in := "# IOCs\r\nwww.threatq.com\r\n\n   \n  example[.]com  \nWWW.THREATQ.COM\nexa mple.com\n" +
		strings.Repeat("a", 5000) + "\n104.196.175.197\n\t# indented comment\nhxxps://example.com/x" // no final newline
	got := drain(NewReader(nil, strings.NewReader(in)))
	want := `FQDN www.threatq.com
FQDN example.com
error: line 7: "exa mple.com": a name with invalid characters, not an FQDN or IP address
error: line 8: line longer than 2048 bytes, skipped
IPv4 104.196.175.197`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReaderArgs(t *testing.T) {
	t.Parallel()
	got := drain(NewReader([]string{"example.com", "", "-", "2001:db8::1", "-", "example.com"}, strings.NewReader("192.0.2.1\nexample.com\n")))
	want := `FQDN example.com
error: argument 2: empty, not an FQDN or IP address
IPv4 192.0.2.1
IPv6 2001:db8::1`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReaderLongBadLineIsQuotedShort(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("\x1b[2J", 300) // 1200 bytes of escape sequences
	_, err := NewReader(nil, strings.NewReader(long+"\n")).Next()
	var ie *InputError
	if !errors.As(err, &ie) || len(err.Error()) > 200 || strings.ContainsRune(err.Error(), 0x1b) {
		t.Errorf("got %q, want a short error with the escapes escaped", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReaderReadError(t *testing.T) {
	t.Parallel()
	_, err := NewReader(nil, failingReader{}).Next()
	var ie *InputError
	if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("got %v, want the read error", err)
	}
}

func TestLineReader(t *testing.T) {
	t.Parallel()
	in := "short\r\n" + strings.Repeat("x", 100) + "\n" + strings.Repeat("y", 20) + "\nlast"
	l := newLineReader(strings.NewReader(in), 20)
	var got []string
	for {
		b, err := l.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, string(b))
	}
	want := []string{"short", "line longer than 20 bytes, skipped", strings.Repeat("y", 20), "last"}
	if strings.Join(got, "|") != strings.Join(want, "|") || l.line != 4 {
		t.Errorf("got %q (line %d), want %q", got, l.line, want)
	}
}

func TestReaderLongLineSkipped(t *testing.T) {
	t.Parallel()
	// a 200 KB line, then more indicators: reading goes on after it
	in := "example.com\n" + strings.Repeat("\x00binary", 25000) + "\nexample.org\r\n" + strings.Repeat("y", 1<<20) + "\n192.0.2.7\n" + strings.Repeat("z", 3000)
	got := drain(NewReader([]string{"-", "192.0.2.1"}, strings.NewReader(in)))
	want := `FQDN example.com
error: line 2: line longer than 2048 bytes, skipped
FQDN example.org
error: line 4: line longer than 2048 bytes, skipped
IPv4 192.0.2.7
error: line 6: line longer than 2048 bytes, skipped
IPv4 192.0.2.1`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReaderByteOrderMarks(t *testing.T) {
	t.Parallel()
	got := drain(NewReader(nil, strings.NewReader("\xEF\xBB\xBFexample.com\nexample.org\n")))
	if want := "FQDN example.com\nFQDN example.org"; got != want {
		t.Errorf("UTF-8 BOM: got\n%s\nwant\n%s", got, want)
	}
	utf16 := "\xFF\xFEe\x00x\x00.\x00c\x00o\x00\n\x00a\x00.\x00b\x00\n\x00"
	got = drain(NewReader([]string{"-", "192.0.2.1"}, strings.NewReader(utf16)))
	want := `error: standard input: it is UTF-16 (byte-order mark FFFE), not UTF-8: convert it first, e.g. with iconv -f UTF-16 -t UTF-8
IPv4 192.0.2.1`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
