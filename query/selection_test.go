package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

func mk(name, typ, rdata string, first, last, count int64) pdns.Record {
	r, err := pdns.DecodeRecord([]byte(fmt.Sprintf(`{"rrname":%q,"rrtype":%q,"rdata":%q,"time_first":%d,"time_last":%d,"count":%d}`, name, typ, rdata, first, last, count)))
	if err != nil {
		panic(err)
	}
	return r
}

// collect is an emitter that renders what it gets, one item a line.
type collect struct{ out []string }

func (c *collect) Record(r pdns.Record) error {
	c.out = append(c.out, r.RData[0])
	return nil
}
func (c *collect) Value(v any) error {
	c.out = append(c.out, fmt.Sprint(v))
	return nil
}

// apply runs records through the chain of a selection as a Batch does; it
// returns what came out and at which record (1-based) the limit stopped the
// answer (0: never).
func apply(sel *Selection, recs []pdns.Record) ([]string, int, []error) {
	c := &collect{}
	var problems []error
	b := &Batch{Selection: sel}
	x, err := b.newChain(context.Background(), pdns.Indicator{Value: "q.example", Kind: pdns.FQDN}, c, func(err error) { problems = append(problems, err) })
	if err != nil {
		panic(err)
	}
	stopped := 0
	for i, r := range recs {
		if err := x.first.record(&r); errors.Is(err, errLimitReached) {
			stopped = i + 1
			break
		} else if err != nil { // the query ends, as in a Batch
			problems = append(problems, err)
			break
		}
	}
	if err := x.first.end(); err != nil {
		problems = append(problems, err)
	}
	return c.out, stopped, problems
}

// Times in these records: a from 100 to 200, b 150-300, c 250-400, d 500-600.
var selRecords = []pdns.Record{
	mk("a.q.example", "A", "a", 100, 200, 5),
	mk("b.q.example", "AAAA", "b", 150, 300, 50),
	mk("c.q.example", "NS", "c", 250, 400, 1),
	mk("d.q.example", "A", "d", 500, 600, 50),
}

func TestSelection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sel     Selection
		want    string
		stopped int
	}{
		{"all", Selection{}, "a b c d", 0},
		{"rrtype", Selection{RRTypes: []string{"A", "NS"}}, "a c d", 0},
		{"since: last seen at or after", Selection{Since: time.Unix(300, 0)}, "b c d", 0},
		{"until: first seen at or before", Selection{Until: time.Unix(250, 0)}, "a b c", 0},
		{"window overlaps", Selection{Since: time.Unix(210, 0), Until: time.Unix(260, 0)}, "b c", 0},
		{"strict window", Selection{Since: time.Unix(100, 0), Until: time.Unix(300, 0), Strict: true}, "a b", 0},
		{"strict since", Selection{Since: time.Unix(150, 0), Strict: true}, "b c d", 0},
		{"limit stops the answer", Selection{Limit: 2}, "a b", 2},
		{"limit after the filters", Selection{RRTypes: []string{"A"}, Limit: 1}, "a", 1},
		{"limit not reached", Selection{Limit: 9}, "a b c d", 0},
		{"sort descending", Selection{Sort: []SortKey{{"time_last", true}}}, "d c b a", 0},
		{"sort by two keys", Selection{Sort: []SortKey{{"count", true}, {"rrname", false}}}, "b d a c", 0},
		{"sort then limit: the top N", Selection{Sort: []SortKey{{"count", false}}, Limit: 2}, "c a", 0},
		{"sort by rrtype is stable", Selection{Sort: []SortKey{{"rrtype", false}}}, "a d b c", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stopped, problems := apply(&tt.sel, selRecords)
			if strings.Join(got, " ") != tt.want || stopped != tt.stopped || problems != nil {
				t.Errorf("got %q stopped at %d (%v), want %q stopped at %d", got, stopped, problems, tt.want, tt.stopped)
			}
		})
	}
}

func TestSelectionZoneTimes(t *testing.T) {
	t.Parallel()
	r, _ := pdns.DecodeRecord([]byte(`{"rrname":"z.example","rrtype":"A","rdata":"z","zone_time_first":100,"zone_time_last":200}`))
	if got, _, _ := apply(&Selection{Since: time.Unix(150, 0)}, []pdns.Record{r}); len(got) != 1 {
		t.Error("a zone-file record is dated by its zone times")
	}
}

func TestParseSort(t *testing.T) {
	t.Parallel()
	keys, err := ParseSort("-time_last, rrname")
	if err != nil || len(keys) != 2 || keys[0] != (SortKey{"time_last", true}) || keys[1] != (SortKey{"rrname", false}) {
		t.Errorf("got %v, %v", keys, err)
	}
	if _, err := ParseSort("time_last,bogus"); err == nil || !strings.Contains(err.Error(), `"bogus": not a sort key`) {
		t.Errorf("got %v", err)
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := map[string]string{
		"2024-05-01T12:00:00Z":      "2024-05-01T12:00:00Z",
		"2024-05-01T14:00:00+02:00": "2024-05-01T12:00:00Z",
		"2024-05-01":                "2024-05-01T00:00:00Z",
		"1714564800":                "2024-05-01T12:00:00Z",
		"90d":                       "2026-08-31T12:00:00Z",
		"12h":                       "2026-11-29T00:00:00Z",
		"2w":                        "2026-11-15T12:00:00Z",
		"30m":                       "2026-11-29T11:30:00Z",
	}
	for in, want := range tests {
		got, err := ParseTime(in, now, false)
		if err != nil || got.Format(time.RFC3339) != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if got, _ := ParseTime("2024-03-31", now, true); got.Format(time.RFC3339) != "2024-03-31T23:59:59Z" {
		t.Errorf("a date for --until: %v, want the end of the day", got)
	}
	if got, _ := ParseTime("2024-03-31T10:00:00Z", now, true); got.Format(time.RFC3339) != "2024-03-31T10:00:00Z" {
		t.Errorf("a time for --until: %v, want itself", got)
	}
	for _, bad := range []string{"", "yesterday", "2024-13-01", "12", "-5d", "5y"} {
		if _, err := ParseTime(bad, now, false); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
}

func TestJQ(t *testing.T) {
	t.Parallel()
	prog := func(src string, vars ...Var) *Program {
		p, err := CompileJQ(src, vars, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		p    *Program
		want string
	}{
		{"extract", prog(".rdata"), "a b c d"},
		{"select", prog(`select(.count >= 50) | .rrname`), "b.q.example d.q.example"},
		{"query is in the input", prog(`.query`), "q.example q.example q.example q.example"},
		{"vars", prog(`select(.rrtype == $t) | .rdata + $s`, Var{"t", "A"}, Var{"s", "!"}), "a! d!"},
		{"several outputs", prog(`select(.rdata == "a") | .time_first, .time_last`), "100 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, problems := apply(&Selection{Program: tt.p}, selRecords)
			if strings.Join(got, " ") != tt.want || problems != nil {
				t.Errorf("got %q, %v; want %q", got, problems, tt.want)
			}
		})
	}
}

func TestJQRuntimeErrorGoesOn(t *testing.T) {
	t.Parallel()
	p, _ := CompileJQ(`if .rdata == "b" then error("no b") else .rdata end`, nil, nil)
	got, _, problems := apply(&Selection{Program: p}, selRecords)
	var jqErr *JQError
	if strings.Join(got, " ") != "a c d" || len(problems) != 1 || !errors.As(problems[0], &jqErr) ||
		problems[0].Error() != "q.example: jq: error: no b" {
		t.Errorf("got %q, problems %v", got, problems)
	}
}

func TestJQHalt(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]HaltError{
		`if .rdata == "b" then halt else .rdata end`:                   {Code: 0},
		`if .rdata == "b" then "stop\n" | halt_error else .rdata end`:  {Code: 5, Message: "stop\n"},
		`if .rdata == "b" then {x: 1} | halt_error(3) else .rdata end`: {Code: 3, Message: "{\"x\":1}\n"},
	} {
		p, _ := CompileJQ(src, nil, nil)
		got, _, problems := apply(&Selection{Program: p}, selRecords)
		var halt *HaltError
		if strings.Join(got, " ") != "a" || len(problems) != 1 || !errors.As(problems[0], &halt) || *halt != want {
			t.Errorf("%s: got %q, %v; want a, then %+v", src, got, problems, want)
		}
	}
}

func TestJQSyntaxError(t *testing.T) {
	t.Parallel()
	_, err := CompileJQ(".rrname | select(. == \"x\"}", nil, nil)
	var ce *JQCompileError
	want := "jq: syntax error: unexpected token \"}\"\n    .rrname | select(. == \"x\"}\n                             ^"
	if !errors.As(err, &ce) || ce.Failure() != pdns.Usage || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	_, err = CompileJQ("select(.a) |\n  nosuchfunction", nil, nil)
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "nosuchfunction") {
		t.Errorf("got %v", err)
	}
}

func TestJQEnv(t *testing.T) {
	t.Parallel()
	environ := func() []string { return []string{"MY_VAR=visible"} }
	for env, want := range map[bool]string{false: "<nil> <nil>", true: "visible visible"} {
		var e func() []string
		if env {
			e = environ
		}
		p, err := CompileJQ(`$ENV.MY_VAR, env.MY_VAR`, nil, e)
		if err != nil {
			t.Fatal(err)
		}
		got, _, _ := apply(&Selection{Program: p}, selRecords[:1])
		if strings.Join(got, " ") != want {
			t.Errorf("env %v: got %q, want %q", env, got, want)
		}
	}
}

func TestRecordFromValue(t *testing.T) {
	t.Parallel()
	if _, err := recordFromValue("1.2.3.4"); err == nil || err.Error() != `output "1.2.3.4" is not a record (an object with rrname, rrtype and rdata)` {
		t.Errorf("got %v", err)
	}
	if _, err := recordFromValue(map[string]any{"rrname": "x"}); err == nil || !strings.Contains(err.Error(), "no rrtype") {
		t.Errorf("got %v", err)
	}
	r, err := recordFromValue(map[string]any{"rrname": "x", "rrtype": "A", "rdata": []any{"1.2.3.4"}, "extra": 1})
	if err != nil || r.RRName != "x" || r.RData[0] != "1.2.3.4" {
		t.Errorf("got %+v, %v", r, err)
	}
}
