package pdns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestDecodeRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Record // Fields are checked through the JSON below
		json     string // AppendJSON with a "query" member
	}{
		{
			name: "COF as CIRCL sends it",
			in:   `{"count": 6, "origin": "https://www.circl.lu/pdns/", "time_first": 1496995637, "rrtype": "A", "rrname": "www.threatq.com", "rdata": "104.196.175.197", "time_last": 1499951111}`,
			want: Record{RRName: "www.threatq.com", RRType: "A", RData: []string{"104.196.175.197"}, TimeFirst: 1496995637, TimeLast: 1499951111, Count: 6},
			json: `{"query":"q","count":6,"origin":"https://www.circl.lu/pdns/","time_first":1496995637,"rrtype":"A","rrname":"www.threatq.com","rdata":"104.196.175.197","time_last":1499951111}`,
		},
		{
			name: "numbers as strings, rrtype as a number",
			in:   `{"rrname":"x.example","rrtype":28,"rdata":"2001:db8::1","time_first":"100","time_last":" 200 ","count":"3","zone_time_first":"50"}`,
			want: Record{RRName: "x.example", RRType: "AAAA", RData: []string{"2001:db8::1"}, TimeFirst: 100, TimeLast: 200, Count: 3, ZoneTimeFirst: 50},
			json: `{"query":"q","rrname":"x.example","rrtype":"AAAA","rdata":"2001:db8::1","time_first":100,"time_last":200,"count":3,"zone_time_first":50}`,
		},
		{
			name: "rdata array, unknown type number, unknown fields kept",
			in:   `{"rrname":"x.example","rrtype":"65280","rdata":[ "a", "b" ],"sensor_id":"s1","extra":{"k": [1, 2]}}`,
			want: Record{RRName: "x.example", RRType: "TYPE65280", RData: []string{"a", "b"}},
			json: `{"query":"q","rrname":"x.example","rrtype":"TYPE65280","rdata":["a","b"],"sensor_id":"s1","extra":{"k":[1,2]}}`,
		},
		{
			name: "lower-case type, float time, null count, a query member replaced",
			in:   `{"rrname":"x.example","rrtype":"cname","rdata":"y.example.","time_first":1.5e3,"count":null,"query":"spoofed"}`,
			want: Record{RRName: "x.example", RRType: "CNAME", RData: []string{"y.example."}, TimeFirst: 1500},
			json: `{"query":"q","rrname":"x.example","rrtype":"CNAME","rdata":"y.example.","time_first":1500,"count":null}`,
		},
		{
			name: "rrdata, as older QOF servers name rdata, with numbers as strings",
			in:   `{"count": "126595", "rrname": "x.example", "rrtype": "A", "rrdata": "192.0.2.1", "time_first": "1"}`,
			want: Record{RRName: "x.example", RRType: "A", RData: []string{"192.0.2.1"}, Count: 126595, TimeFirst: 1},
			json: `{"query":"q","count":126595,"rrname":"x.example","rrtype":"A","rdata":"192.0.2.1","time_first":1}`,
		},
		{
			name: "rdata wins over rrdata, which is kept as an unknown member",
			in:   `{"rrdata":"old","rrname":"x","rrtype":"A","rdata":"new"}`,
			want: Record{RRName: "x", RRType: "A", RData: []string{"new"}},
			json: `{"query":"q","rrdata":"old","rrname":"x","rrtype":"A","rdata":"new"}`,
		},
		{
			name: "control characters in keys stay valid JSON",
			in:   `{"rrname":"x","rrtype":"A","rdata":"1.2.3.4","k\u001b[31m":"v"}`,
			want: Record{RRName: "x", RRType: "A", RData: []string{"1.2.3.4"}},
			json: `{"query":"q","rrname":"x","rrtype":"A","rdata":"1.2.3.4","k\u001b[31m":"v"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRecord([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			raw, compact := got.Raw, strings.Join(strings.Fields(tt.in), "")
			if raw != tt.in && !(got.plain && raw == compact) {
				t.Errorf("Raw %q, want the line as it is (or compact)", raw)
			}
			for _, k := range numberKeys { // given: written as a number
				if want := strings.Contains(tt.json, `"`+k+`":`) && !strings.Contains(tt.json, `"`+k+`":null`); got.Given(k) != want {
					t.Errorf("Given(%s) = %v, want %v", k, got.Given(k), want)
				}
			}
			typed := got
			typed.fields, typed.Raw, typed.plain, typed.given = nil, "", false, 0
			if !reflect.DeepEqual(typed, tt.want) {
				t.Errorf("got %+v\nwant %+v", typed, tt.want)
			}
			if j := string(got.AppendJSON(nil, Field{Key: "query", Value: `"q"`})); j != tt.json {
				t.Errorf("JSON\n got %s\nwant %s", j, tt.json)
			}
		})
	}
}

func TestDecodeRecordRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, why string }{
		{`<html>`, "not a JSON object"},
		{`["rrname"]`, "not a JSON object"},
		{`{"rrname":"x","rrtype":"A"`, "malformed"},
		{`{"rrname":"x","rrtype":"A","rdata":"y"} {}`, "data after"},
		{`{"rrtype":"A","rdata":"y"}`, "no rrname"},
		{`{"rrname":"x","rdata":"y"}`, "no rrtype"},
		{`{"rrname":"x","rrtype":"A"}`, "no rdata"},
		{`{"rrname":1,"rrtype":"A","rdata":"y"}`, "rrname: not a string"},
		{`{"rrname":"x","rrtype":"A","rdata":"y","time_first":"yesterday"}`, "time_first: not a number"},
		{`{"rrname":"x","rrtype":70000,"rdata":"y"}`, "rrtype: not a type"},
		{`{"rrname":"x","rrtype":"","rdata":"y"}`, "rrtype: not a type"},
		{`{"rrname":"x","rrtype":"A","rdata":{"a":1}}`, "rdata: neither"},
		{`{"rrname":"x","rrtype":"A","rrdata":7}`, "rrdata: neither"},
		// I-JSON: a member twice is ambiguous, whichever comes last
		{`{"rrname":"good.example","rrtype":"A","rdata":"y","rrname":"evil.example"}`, `member "rrname" appears twice`},
		{`{"rrname":"x","rrtype":"A","rdata":"y","sensor":1,"sensor":2}`, `member "sensor" appears twice`},
		{`{"rrname":"x","rrtype":"A","rdata":"y","\u0072rname":"z"}`, `member "rrname" appears twice`},
		{manyMembers(40) + `,"m3":0}`, `member "m3" appears twice`},
	}
	for _, tt := range tests {
		_, err := DecodeRecord([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("DecodeRecord(%s) = %v, want an error about %q", tt.in, err, tt.why)
		}
	}
}

// manyMembers is the start of a record with n more members, m0 to m(n-1).
func manyMembers(n int) string {
	var b strings.Builder
	b.WriteString(`{"rrname":"x","rrtype":"A","rdata":"y"`)
	for i := range n {
		fmt.Fprintf(&b, `,"m%d":%d`, i, i)
	}
	return b.String()
}

func TestDecodeRecordManyMembers(t *testing.T) {
	t.Parallel()
	if _, err := DecodeRecord([]byte(manyMembers(40) + "}")); err != nil {
		t.Errorf("40 distinct members: %v", err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(`{"count": 6, "time_first": 1496995637, "rrtype": "A", "rrname": "www.threatq.com", "rdata": "104.196.175.197", "time_last": 1499951111}`)
	f.Add(`{"rrname":"x","rrtype":28,"rdata":["a",1],"time_first":"12"}`)
	f.Add(`{"rrname":"x\u00e9","rrtype":"a","rdata":[ "a" , {"b": [1, 2.5e3, -0]} ],"k":null}`)
	f.Add(`{"rrname": "a.example",	"rrtype": "CNAME", "rdata": "b.example.", "extra": "x\\y\u0041", "n": -0, "t": true}`)
	f.Add(`{"rrname":"a","rrtype":"A","rdata":"1","count":"2"}`)
	f.Add(`{"rrname":"a","rrtype":"A","rdata":"1","count":-5}`)
	f.Add(`{"rrname":"a","rrtype":"A","rdata":"1","time_first":12345678901234567890}`)
	f.Add("{\"rrname\":\"a\",\"rrtype\":\"A\",\"rdata\":\"1\",\"k\":\"x\x01,\"n\":1}") // a control character is no end of a string
	f.Add(`["rrname":"a","rrtype":"A","rdata":"1"}`)
	f.Add("{\"rrname\":\"a\",\"rrtype\":\"A\",\"rdata\":\"1\",\"k\":\"x\xc3,\"n\":1}")
	f.Add(`{"rrname":"a","rrtype":"A","rdata":"1","time_last":1.5,"count":null}`)
	f.Add(`{"rrname":"a","rrtype":"A","rdata":"1","rdata":"2"}`)
	f.Add(`{"rrname":"a","rrtype":"A","rdata":"1","query":"q","count":012}`)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := DecodeRecord([]byte(s))
		if plain, ok := decodePlain([]byte(s), new(arena)); ok {
			// the fast path and the general one give the same record
			general, err := decodeGeneral([]byte(s))
			if err != nil {
				t.Fatalf("%q: the fast path takes it, the general one says %v", s, err)
			}
			lead := Field{Key: "query", Value: `"q"`}
			if p, g := plain.AppendJSON(nil, lead), general.AppendJSON(nil, lead); !bytes.Equal(p, g) {
				t.Fatalf("%q: the fast path writes\n%s\nthe general one\n%s", s, p, g)
			}
			if !reflect.DeepEqual(plain.Members(), general.Members()) {
				t.Fatalf("%q: members %v, want %v", s, plain.Members(), general.Members())
			}
			plain.Raw, plain.plain, general.Raw, general.fields = "", false, "", nil // given stays: it must agree
			if !reflect.DeepEqual(plain, general) {
				t.Fatalf("%q: the fast path gives %+v, the general one %+v", s, plain, general)
			}
		}
		if err != nil {
			return
		}
		// What a jq program sees is what jsonl prints, decoded.
		ind := Indicator{Value: "q.example", Pivoting: true, Hop: 1}
		dec := json.NewDecoder(bytes.NewReader(r.AppendJSON(nil, ind.LeadFields()...)))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := Input(ind, &r); !reflect.DeepEqual(any(got), intNumbers(want)) {
			t.Fatalf("%q: jq input %#v, want %#v", s, got, intNumbers(want))
		}
		// The scanner accepts nothing that is not JSON, and what it passes
		// on is JSON too.
		if !json.Valid([]byte(s)) {
			t.Fatalf("accepted %q, which is not JSON", s)
		}
		if out := r.AppendJSON(nil); !json.Valid(out) {
			t.Fatalf("%q re-encodes to %q, which is not JSON", s, out)
		}
		// What is accepted re-encodes to JSON that decodes to the same record.
		again, err := DecodeRecord(r.AppendJSON(nil))
		if err != nil {
			t.Fatalf("re-encoded %s: %v", r.AppendJSON(nil), err)
		}
		if again.RRName != r.RRName || again.RRType != r.RRType || !reflect.DeepEqual(again.RData, r.RData) || again.TimeFirst != r.TimeFirst {
			t.Fatalf("round trip changed %+v into %+v", r, again)
		}
	})
}

// intNumbers turns the json.Numbers of v that are ints into ints, as gojq
// would.
func intNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := strconv.Atoi(string(v)); err == nil {
			return n
		}
	case []any:
		for i := range v {
			v[i] = intNumbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = intNumbers(v[k])
		}
	}
	return v
}
