package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// The references, copied into the repository (a clone has all its tests
// need): the OASIS STIX 2.1 JSON schemas of what we write (BSD licence, in
// testdata/stix2-json-schemas), and the MISP object template (CC0, the
// copy output embeds: output/misp). Read from disk, never the network.
const (
	stixSchemas      = "../testdata/stix2-json-schemas/schemas"
	stixSchemaID     = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"
	mispTemplatePath = "misp/passive-dns.json"
)

// schemaLoader serves the schemas' own URLs from testdata.
type schemaLoader struct{}

func (schemaLoader) Load(url string) (any, error) {
	rel, ok := strings.CutPrefix(url, stixSchemaID)
	if !ok {
		return nil, os.ErrNotExist // nothing from the network
	}
	f, err := os.Open(filepath.Join(stixSchemas, filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		// The copied subset has the schemas of what we write; the others
		// (artifact, attack-pattern...) are referred to only by properties
		// we never write (observed-data's deprecated "objects"): an empty
		// schema stands for them.
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

func stixValidator(t testing.TB) func(typ string, obj any) error {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(schemaLoader{})
	schemas := map[string]*jsonschema.Schema{}
	for typ, path := range map[string]string{
		"domain-name": "observables/domain-name.json",
		"ipv4-addr":   "observables/ipv4-addr.json", "ipv6-addr": "observables/ipv6-addr.json",
		"observed-data": "sdos/observed-data.json",
	} {
		// the schemas of what we write, and the common ones, must be there:
		// only other referred schemas may stand in empty
		for _, p := range []string{path, "common/core.json", "common/cyber-observable-core.json", "common/timestamp.json", "common/identifier.json"} {
			if _, err := os.Stat(filepath.Join(stixSchemas, p)); err != nil {
				t.Fatalf("the STIX schemas in testdata: %v", err)
			}
		}
		s, err := c.Compile(stixSchemaID + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		schemas[typ] = s
	}
	return func(typ string, obj any) error {
		s, ok := schemas[typ]
		if !ok {
			t.Fatalf("an object of type %q", typ)
		}
		return s.Validate(obj)
	}
}

var fixedNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// intelAnswers are the demo dump's answers and the hostile dump's.
func intelAnswers(t *testing.T) (map[string][]pdns.Record, []string) {
	demo := load(t, "demo.ndjson")
	answers := map[string][]pdns.Record{"evil.example": load(t, "hostile.ndjson"), "nothing.example": nil,
		"empty.example": load(t, "hostile-empty.ndjson")}
	order := []string{}
	for _, q := range []string{"www.threatq.com", "threatsketch.com", "104.196.175.197", "www.circl.lu", "2001:7e8:1:1::7"} {
		ind, _ := pdns.ParseIndicator(q)
		for _, r := range demo {
			for _, n := range r.Names() {
				if n == ind.Value {
					answers[q] = append(answers[q], r)
				}
			}
		}
		order = append(order, q)
	}
	huge := pdns.Record{RRName: strings.Repeat("a", 63) + ".example", RRType: "TXT", RData: []string{strings.Repeat("\u202e\x1bX", 10000)}, TimeFirst: 1, TimeLast: 2, Count: 1 << 40}
	answers["evil.example"] = append(answers["evil.example"], huge)
	return answers, append(order, "nothing.example", "evil.example", "empty.example")
}

func TestSTIX(t *testing.T) {
	t.Parallel()
	validate := stixValidator(t)
	answers, order := intelAnswers(t)
	var buf bytes.Buffer
	write(t, NewSTIX(&buf, Options{Now: fixedNow}), answers, order...)
	bundle := checkSTIX(t, validate, buf.Bytes())
	var domain string
	for _, o := range bundle["objects"].([]any) {
		if obj := o.(map[string]any); obj["value"] == "www.threatq.com" {
			domain = strings.Join(toStrings(obj["resolves_to_refs"]), " ")
		}
	}
	// deterministic ids, as STIX 2.1 section 2.9 says (the specification's
	// tools give example.com this one)
	if got := stixID("domain-name", "example.com"); got != "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7" {
		t.Errorf("example.com is %s", got)
	}
	if domain != stixID("ipv4-addr", "104.196.175.197")+" "+stixID("domain-name", "threatq.com") {
		t.Errorf("www.threatq.com resolves to %s", domain)
	}
	assertTerminalSafe(t, buf.String())
	golden(t, "records.stix.json", buf.Bytes())
}

// checkSTIX checks a bundle: its envelope, each object against its schema
// (the bundle's own schema refers to every SDO's, which are not all
// copied), ids unique, every ref resolved.
func checkSTIX(t *testing.T, validate func(string, any) error, b []byte) map[string]any {
	t.Helper()
	var bundle map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&bundle); err != nil {
		t.Fatalf("%v\n%.2000s", err, b)
	}
	if bundle["type"] != "bundle" || !strings.HasPrefix(fmt.Sprint(bundle["id"]), "bundle--") || len(bundle) != 3 {
		t.Errorf("bundle envelope: %v %v", bundle["type"], bundle["id"])
	}
	ids := map[string]bool{}
	for _, o := range asSlice(bundle["objects"]) {
		obj := o.(map[string]any)
		id := obj["id"].(string)
		if ids[id] {
			t.Errorf("%s twice", id)
		}
		ids[id] = true
		if err := validate(obj["type"].(string), obj); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	for _, o := range asSlice(bundle["objects"]) { // every ref resolves
		for _, k := range []string{"object_refs", "resolves_to_refs"} {
			for _, ref := range toStrings(o.(map[string]any)[k]) {
				if !ids[ref] {
					t.Errorf("%s: %s points nowhere", o.(map[string]any)["id"], ref)
				}
			}
		}
	}
	return bundle
}

func toStrings(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		out = append(out, x.(string))
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestMISP(t *testing.T) {
	t.Parallel()
	answers, order := intelAnswers(t)
	var buf bytes.Buffer
	write(t, NewMISP(&buf, Options{Now: fixedNow}), answers, order...)
	ev := checkMISP(t, buf.Bytes())
	if len(ev.Attribute) != len(order) || !strings.HasSuffix(ev.Info, " (2 records without rdata left out)") {
		t.Errorf("event: %d attributes for %d indicators, %q", len(ev.Attribute), len(order), ev.Info)
	}
	for _, a := range ev.Attribute {
		if want := map[bool]string{true: "domain", false: "ip-dst"}[!strings.ContainsAny(a.Value, ":") && strings.ContainsAny(a.Value, "abcdefghijklmnopqrstuvwxyz")]; a.Type != want {
			t.Errorf("%s: %s, want %s", a.Value, a.Type, want)
		}
	}
	assertTerminalSafe(t, buf.String())
	golden(t, "records.misp.json", buf.Bytes())
}

type mispEvent struct {
	Info      string
	UUID      string
	Attribute []mispAttribute
	Object    []struct {
		Name            string
		MetaCategory    string `json:"meta-category"`
		TemplateUUID    string `json:"template_uuid"`
		TemplateVersion string `json:"template_version"`
		UUID            string
		Attribute       []mispAttribute
	}
}

// checkMISP checks an event against what MISP takes: the passive-dns
// template's relations, types and required ones, no empty value, counters
// of 0 or more, ISO 8601 UTC datetimes of four-digit years, one object a
// record (no uuid twice).
func checkMISP(t *testing.T, b []byte) mispEvent {
	t.Helper()
	tb, err := os.ReadFile(mispTemplatePath)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl mispTemplate
	if err := json.Unmarshal(tb, &tmpl); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Event mispEvent }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%.2000s", err, b)
	}
	ev := doc.Event
	if !strings.HasPrefix(ev.Info, "circl-pdns: ") || ev.UUID == "" {
		t.Errorf("event: %q, %q", ev.Info, ev.UUID)
	}
	uuids := map[string]bool{}
	for _, o := range ev.Object {
		if o.Name != tmpl.Name || o.MetaCategory != tmpl.MetaCategory || o.TemplateUUID != tmpl.UUID || o.TemplateVersion != "5" || o.UUID == "" {
			t.Errorf("object %+v", o)
		}
		if uuids[o.UUID] {
			t.Errorf("object %s twice in the event", o.UUID)
		}
		uuids[o.UUID] = true
		have := map[string]bool{}
		for _, a := range o.Attribute {
			tt, ok := tmpl.Attributes[a.ObjectRelation]
			if !ok || tt.Type != a.Type {
				t.Errorf("relation %q of type %q: the template says %q", a.ObjectRelation, a.Type, tt.Type)
			}
			switch {
			case strings.TrimSpace(a.Value) == "":
				t.Errorf("object %s: %s has an empty value", o.UUID, a.ObjectRelation)
			case tt.Type == "datetime":
				if _, err := time.Parse(time.RFC3339, a.Value); err != nil || !strings.HasSuffix(a.Value, "Z") || len(a.Value) != len("2006-01-02T15:04:05Z") {
					t.Errorf("%s: %q is not ISO 8601 UTC", a.ObjectRelation, a.Value)
				}
			case tt.Type == "counter":
				if n, err := strconv.ParseInt(a.Value, 10, 64); err != nil || n < 0 {
					t.Errorf("counter %q", a.Value)
				}
			case tt.Type == "domain":
				if _, ok := pdns.HostName(a.Value); !ok {
					t.Errorf("domain %q", a.Value)
				}
			}
			have[a.ObjectRelation] = true
		}
		for _, r := range tmpl.Required {
			if !have[r] {
				t.Errorf("object %s without %s", o.UUID, r)
			}
		}
	}
	return ev
}

// MISP and STIX are written as they come: the output grows while the
// records come, not at the end.
func TestIntelStreams(t *testing.T) {
	t.Parallel()
	for name, newW := range map[string]func(*bytes.Buffer) Writer{
		"misp": func(b *bytes.Buffer) Writer { return NewMISP(b, Options{}) },
		"stix": func(b *bytes.Buffer) Writer { return NewSTIX(b, Options{}) },
	} {
		var buf bytes.Buffer
		w := newW(&buf)
		ind, _ := pdns.ParseIndicator("big.example")
		r := pdns.Record{RRName: "big.example", RRType: "A", RData: []string{"192.0.2.1"}}
		for i := range 20000 {
			r.RData[0] = "10.1." + strconv.Itoa(i%250) + "." + strconv.Itoa(i/250%250)
			r.Count = int64(i)
			w.Record(ind, &r)
		}
		if buf.Len() < 1<<20 {
			t.Errorf("%s: %d bytes out after 20,000 records: held, not streamed", name, buf.Len())
		}
		w.End(ind)
		w.Close()
		if !json.Valid(bytes.TrimSpace(buf.Bytes())) {
			t.Errorf("%s: not JSON", name)
		}
	}
}
