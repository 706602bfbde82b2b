package pdns_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// readAll reads every record of in through the record stage and describes
// what came out, a line each: the rdata of a record, or "line N: why" for
// a bad one, or "error: why" for what ended the answer.
func readAll(in io.Reader, max int) []string {
	rr := pdns.NewRecordReader(in, max)
	var out []string
	for {
		rec, err := rr.Next()
		var bad *pdns.BadRecordError
		switch {
		case err == io.EOF:
			return out
		case errors.As(err, &bad):
			out = append(out, bad.Error())
		case err != nil:
			return append(out, "error: "+err.Error())
		default:
			if strings.ContainsAny(rec.Raw, "\r\n") {
				out = append(out, "raw spans lines: "+rec.Raw)
			}
			out = append(out, strings.Join(rec.RData, "+"))
		}
	}
}

func r(rdata string) string {
	return fmt.Sprintf(`{"rrname":"x.example","rrtype":"A","rdata":%q}`, rdata)
}

func TestRecordReaderLayouts(t *testing.T) {
	t.Parallel()
	pretty := "{\n\"rrname\": \"x.example\",\n\"rrtype\": \"A\",\n\"rdata\": \"1\"\n}{\n\"rrname\": \"x.example\",\n\"rrtype\": \"A\",\n\"rdata\": [\n\"2\", \"3\"]\n}"
	tests := []struct {
		name, in string
		want     string
	}{
		{"NDJSON", r("1") + "\n" + r("2") + "\n", "1|2"},
		{"no newline at the end", r("1") + "\n" + r("2"), "1|2"},
		{"CRLF, blank lines, spaces", "\r\n" + r("1") + "\r\n\r\n  " + r("2") + " \t\r\n", "1|2"},
		{"CR alone", r("1") + "\r" + r("2") + "\r", "1|2"},
		{"UTF-8 byte-order mark", "\xEF\xBB\xBF" + r("1") + "\n" + r("2") + "\n", "1|2"},
		{"run together on a line", r("1") + r("2") + " " + r("3") + "\n", "1|2|3"},
		{"pretty-printed, run together", pretty, "1|2+3"},
		{"pretty-printed, CR alone", strings.ReplaceAll(pretty, "\n", "\r"), "1|2+3"},
		{"an array", "[" + r("1") + "," + r("2") + "]", "1|2"},
		{"an array, pretty, with a BOM", "\xEF\xBB\xBF[\n  " + r("1") + ",\n  " + r("2") + "\n]\n", "1|2"},
		{"an empty array", "[]", ""},
		{"nothing", "", ""},
		{"blank lines only", "\n\n\r\n", ""},
		{"braces and newlines in strings", `{"rrname":"x","rrtype":"TXT","rdata":"}{ \"\\n[ "}` + "\n", `}{ "\n[ `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(readAll(strings.NewReader(tt.in), 1<<20), "|"); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// The ThreatQ product sheet's sample response: pretty-printed objects run
// together, 57 lines, 7 records.
func TestRecordReaderSeedSample(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../testdata/seed-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := readAll(f, 1<<20)
	want := "104.196.175.197|dns04.gpn.register.com|dns01.gpn.register.com|dns02.gpn.register.com|dns05.gpn.register.com|dns03.gpn.register.com|104.196.175.197"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q", got)
	}
}

// A bad record is reported with the line it starts on, and reading goes on
// with the next one, in every layout.
func TestRecordReaderBadRecords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     string
	}{
		{"a line cut short", r("1") + "\n" + `{"rrname":"x",` + "\n" + r("3") + "\n", "1|line 2: malformed JSON|3"},
		{"a line cut in a string", r("1") + "\n" + `{"rrname":"x` + "\n" + r("3") + "\n", "1|line 2: malformed JSON|3"},
		{"a line cut after a value", r("1") + "\n" + `{"rrname":"x"` + "\n" + r("3") + "\n", "1|line 2: malformed JSON|3"},
		{"junk", "\n" + r("1") + "\nnot json\n" + r("3"), "1|line 3: not a JSON object|3"},
		{"not a record", r("1") + "\n" + `{"rrname":"x"}` + "\n" + r("3"), "1|line 2: no rrtype|3"},
		{"a member twice", r("1") + "\n" + `{"rrname":"a","rrtype":"A","rdata":"2","rrname":"b"}` + "\n" + r("3"), `1|line 2: member "rrname" appears twice|3`},
		{"nested too deep", r("1") + "\n" + `{"rrname":"x","rrtype":"A","rdata":"2","n":` + strings.Repeat("[", 100000) + "\n" + r("3"), "1|line 2: malformed JSON|3"},
		{"a bad pretty object", "{\n\"rrname\": \"x\",\n\"rrtype\": \"A\",\n\"rdata\": \"1\"\n}{\n\"rrname\": \"x\"\n\"rrtype\": \"A\",\n\"rdata\": \"2\"\n}{\n\"rrname\": \"x\",\n\"rrtype\": \"A\",\n\"rdata\": \"3\"\n}",
			"1|line 5: malformed JSON|3"},
		{"a pretty object broken mid-way, then }{", "{\n\"rrname\": \"x\",\n\"rrtype\": \"A\",\n\"rdata\": \"1\"\n}{\n\"rrname\": \"x\",\n\"rdata\": \"2\n\"rrtype\": \"A\"\n}{\n\"rrname\": \"x\",\n\"rrtype\": \"A\",\n\"rdata\": \"3\"\n}",
			"1|line 5: malformed JSON|3"},
		{"an element broken mid-way, then },{", "[" + r("1") + `,{"rrname":"x" "a"{"b"},` + r("3") + "]", "1|line 1: malformed JSON|3"},
		{"a bad element of an array", "[" + r("1") + `,{"rrname":"x"},` + r("3") + "]", "1|line 1: no rrtype|3"},
		{"ends cleanly inside a record", r("1") + "\n" + `{"rrname":"x",` + "\n", "1|line 2: incomplete JSON object"},
		{"cut inside a record", r("1") + "\n" + `{"rrname":"x","rrt`, "1|error: the answer was cut short"},
		{"cut inside an array", "[" + r("1") + ",", "1|error: the answer was cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(readAll(strings.NewReader(tt.in), 1<<20), "|"); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// What the answer is, is decided by its first bytes, whatever its label.
func TestRecordReaderRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"\n  <!DOCTYPE html>\n<html>", `error: HTML, not NDJSON: "<!DOCTYPE html>"`},
		{"\xFF\xFE{\x00", "error: UTF-16 (byte-order mark FFFE), not UTF-8"},
		{"\xFE\xFF\x00{", "error: UTF-16 (byte-order mark FEFF), not UTF-8"},
		{"Service \x1b[31mdown\n" + r("1"), `error: not NDJSON: it starts with "Service \x1b[31mdown"`},
		{"42\n", `error: not NDJSON: it starts with "42"`},
	}
	for _, tt := range tests {
		if got := strings.Join(readAll(strings.NewReader(tt.in), 1<<20), "|"); got != tt.want {
			t.Errorf("%q: got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestRecordReaderLimit(t *testing.T) {
	t.Parallel()
	long := r(strings.Repeat("y", 200))
	tests := []struct{ name, in, want string }{
		{"a long line", r("1") + "\n" + long + "\n" + r("3") + "\n", "1|line 2: record longer than 100 bytes, skipped|3"},
		{"a long pretty record", r("1") + "\n{\n\"rdata\": \"" + strings.Repeat("y", 200) + "\"\n}\n" + r("3"), "1|line 2: record longer than 100 bytes, skipped|3"},
		{"a long element", "[" + r("1") + "," + long + "," + r("3") + "]", "1|line 1: record longer than 100 bytes, skipped|3"},
		{"exactly the limit", r(strings.Repeat("y", 100-len(r("")))) + "\n", strings.Repeat("y", 100-len(r("")))},
	}
	for _, tt := range tests {
		if got := strings.Join(readAll(strings.NewReader(tt.in), 100), "|"); got != tt.want {
			t.Errorf("%s: got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// endless is a body that never ends: head, then unit again and again. It
// counts what was read of it.
type endless struct {
	head, unit string
	n          int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 && e.head != "" {
		e.n = copy(p, e.head)
		return e.n, nil
	}
	for i := range p {
		p[i] = e.unit[(e.n+i)%len(e.unit)]
	}
	e.n += len(p)
	return len(p), nil
}

// Whatever a body holds, it is given up on after a bounded read.
func TestRecordReaderBounded(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, head, unit, want string }{
		{"blank lines", "", "\n", "error: given up on: more than 1 MB of blank space and no record"},
		{"CR alone", "", "\r", "error: given up on: more than 1 MB of blank space and no record"},
		{"one string for ever", `{"rrname":"`, "x", "error: given up on: the record at line 1 goes on for more than 4 MB with no end in sight"},
		{"nesting for ever", `{"a":`, "[", "line 1: malformed JSON|error: given up on: more than 4 MB that is not records"},
		{"junk after a broken record", `{"a":"b"{`, "x", "line 1: malformed JSON|error: given up on: more than 4 MB that is not records"},
		{"bad lines", "", "{}\n", "error: given up on: 100 records in a row are not records"},
		{"long lines", "", "{" + strings.Repeat(" ", 100<<10) + "}\n", "error: given up on: 10 records in a row longer than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &endless{head: tt.head, unit: tt.unit}
			got := readAll(body, 64<<10)
			if len(got) > 1 && got[0] != "line 1: malformed JSON" {
				got = got[len(got)-1:] // the bad records before the run ended it
			}
			if s := strings.Join(got, "|"); s != tt.want {
				t.Errorf("got  %s\nwant %s", s, tt.want)
			}
			if body.n > 8<<20 {
				t.Errorf("read %d MB", body.n>>20)
			}
		})
	}
}

// arrayBody is one JSON array of n records, made as it is read.
type arrayBody struct {
	n, i int
	buf  []byte
	read int
}

func (a *arrayBody) Read(p []byte) (int, error) {
	for len(a.buf) < len(p) && a.i <= a.n {
		switch {
		case a.i == 0:
			a.buf = append(a.buf, '[')
		case a.i == a.n:
			a.buf = append(a.buf, ']')
		default:
			a.buf = append(a.buf, ',')
		}
		if a.i < a.n {
			a.buf = append(a.buf, r(fmt.Sprint(a.i))...)
		}
		a.i++
	}
	if len(a.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, a.buf)
	a.buf = a.buf[n:]
	a.read += n
	return n, nil
}

// An array's elements are streamed: the first record comes before the
// array is read, and all of them come.
func TestRecordReaderStreamsArrays(t *testing.T) {
	t.Parallel()
	body := &arrayBody{n: 200000} // 11 MB on one line
	rr := pdns.NewRecordReader(body, 1<<20)
	rec, err := rr.Next()
	if err != nil || rec.RData[0] != "0" {
		t.Fatalf("first: %v %v", rec, err)
	}
	if body.read > 256<<10 {
		t.Errorf("%d KB read for the first record", body.read>>10)
	}
	n := 1
	for {
		if _, err := rr.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 200000 {
		t.Errorf("%d records", n)
	}
}

func TestRecordReaderLineNumbers(t *testing.T) {
	t.Parallel()
	// every kind of line end counts, and LineOffset carries them across pages
	in := "\r\n" + r("1") + "\r" + r("2") + "\n\n{\n\"rrname\":\"x\"\n}\r\n"
	rr := pdns.NewRecordReader(strings.NewReader(in), 1<<20)
	rr.LineOffset = 10
	var got []string
	for {
		_, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, err.Error())
		}
	}
	if strings.Join(got, "|") != "line 15: no rrtype" || rr.Lines() != 7 {
		t.Errorf("got %q, %d lines", got, rr.Lines())
	}
}

func FuzzRecordReader(f *testing.F) {
	f.Add("\xEF\xBB\xBF" + r("1") + "\r\n" + r("2"))
	f.Add("[" + r("1") + ",\n" + r("2") + "]")
	f.Add("{\n\"rrname\": \"x\",\n\"rrtype\": \"A\",\n\"rdata\": \"1\"\n}{\"a\":\n")
	f.Add(`{"rrname":"a.b","rrtype":"A","rdata":"1.2.3.4","x":"a\"b,}","n":-1,"t":true}`)
	f.Fuzz(func(t *testing.T, s string) {
		rr := pdns.NewRecordReader(strings.NewReader(s), 256)
		for i := 0; ; i++ {
			if i > len(s)+1 {
				t.Fatalf("more results than bytes in %q", s)
			}
			rec, err := rr.Next()
			if err == io.EOF {
				return
			}
			var bad *pdns.BadRecordError
			if errors.As(err, &bad) {
				continue
			}
			if err != nil {
				return
			}
			// what comes out is a record on one line, which decodes again
			if strings.ContainsAny(rec.Raw, "\r\n") {
				t.Fatalf("Raw %q spans lines", rec.Raw)
			}
			if _, err := pdns.DecodeRecord([]byte(rec.Raw)); err != nil {
				t.Fatalf("Raw %q: %v", rec.Raw, err)
			}
			// the members but some, cut from the text on the fast path,
			// are those the record has
			var rest []pdns.Field
			for _, m := range rec.Members() {
				if m.Key != "rrname" && m.Key != "count" {
					rest = append(rest, m)
				}
			}
			want := ""
			if len(rest) > 0 {
				want = pdns.ObjectJSON(rest)
			}
			if got := rec.OtherMembers("rrname", "count"); got != want {
				t.Fatalf("%q: OtherMembers %q, Members say %q", rec.Raw, got, want)
			}
		}
	})
}

// OtherMembers cuts a record's members from its text on the fast path
// (strings with escapes, numbers, literals), as they are.
func TestOtherMembers(t *testing.T) {
	for line, want := range map[string]string{
		`{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","count":3}`:                                              ``,
		`{"count":3,"origin":"x\"y,}","rrname":"a.example","n":-12,"ok":true,"rrtype":"A","rdata":"192.0.2.1","z":null}`: `{"origin":"x\"y,}","n":-12,"ok":true,"z":null}`,
		`{ "rrname" : "a.example", "rrtype": "A", "rdata": "192.0.2.1", "sensor_id": "s\\1" }`:                           `{"sensor_id":"s\\1"}`,
	} {
		rec, err := pdns.NewRecordReader(strings.NewReader(line), 0).Next()
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.OtherMembers("rrname", "rrtype", "rdata", "count"); got != want {
			t.Errorf("%s: %q, want %q", line, got, want)
		}
	}
}
