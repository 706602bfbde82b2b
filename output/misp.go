package output

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// The MISP object template for passive DNS records (from the MISP objects
// repository, CC0; see misp/LICENSE.md).
//
//go:embed misp/passive-dns.json
var mispTemplateJSON []byte

type mispTemplate struct {
	Name         string   `json:"name"`
	MetaCategory string   `json:"meta-category"`
	Description  string   `json:"description"`
	UUID         string   `json:"uuid"`
	Version      int      `json:"version"`
	Required     []string `json:"required"`
	Attributes   map[string]struct {
		Type string `json:"misp-attribute"`
	} `json:"attributes"`
}

var passiveDNSTemplate = func() mispTemplate {
	var t mispTemplate
	if err := json.Unmarshal(mispTemplateJSON, &t); err != nil {
		panic("the embedded MISP template: " + err.Error())
	}
	return t
}()

// mispNamespace makes the objects' UUIDs (v5): the same record is the same
// object in every run, and MISP can tell it was imported before.
var mispNamespace = uuid.MustParse("b77b7b1c-66ab-4a41-8da4-83810f6d2d6c") // the template's own

// MISP writes one MISP event (MISP's core JSON format, {"Event": {...}})
// for the run: one passive-dns object per record, built from the MISP
// template (its relations and their types), and one attribute per queried
// indicator (domain or ip-dst). It is written as a stream: the objects as
// they come, the indicators and the event's info at the end.
type MISP struct {
	w       *bufio.Writer
	o       Options
	started bool
	objects int
	written *pdns.HashSet // the objects' uuids: one object a record in the event
	leftOut int           // records without rdata, which the template requires
	inds    []pdns.Indicator
	asked   *pdns.HashSet // of inds
	buf     []byte
}

// NewMISP returns a MISP event writer to w.
func NewMISP(w io.Writer, o Options) *MISP {
	return &MISP{w: bufio.NewWriterSize(w, 64<<10), o: o, written: pdns.NewHashSet(), asked: pdns.NewHashSet()}
}

func (m *MISP) now() time.Time {
	if !m.o.Now.IsZero() {
		return m.o.Now.UTC()
	}
	return time.Now().UTC()
}

func (m *MISP) start() {
	if m.started {
		return
	}
	m.started = true
	fmt.Fprintf(m.w, `{"Event":{"date":%q,"threat_level_id":"4","analysis":"0","distribution":"0","published":false,"Object":[`, m.now().Format("2006-01-02"))
}

type mispAttribute struct {
	ObjectRelation string `json:"object_relation,omitempty"`
	Type           string `json:"type"`
	Category       string `json:"category,omitempty"`
	Value          string `json:"value"`
	ToIDS          bool   `json:"to_ids"`
}

// mispValue is a COF member as the value of its template relation: times
// (vetted) as ISO 8601 UTC, a domain as a host name, strings as they are,
// numbers as their text. A member without a value MISP takes (null, an
// empty string, a domain that is none) gives no attribute: false.
func mispValue(relation, value string) (string, bool) {
	if value == "null" || value == "" {
		return "", false
	}
	var s string
	isString := json.Unmarshal([]byte(value), &s) == nil
	switch passiveDNSTemplate.Attributes[relation].Type {
	case "datetime":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n == 0 {
			return "", false
		}
		return time.Unix(n, 0).UTC().Format(time.RFC3339), true
	case "domain":
		return pdns.HostName(s)
	}
	if isString {
		return s, s != ""
	}
	if value[0] == '[' || value[0] == '{' { // a value MISP has no attribute for
		return "", false
	}
	return value, true // a number, or true or false
}

func (m *MISP) Record(q pdns.Indicator, r *pdns.Record) error {
	rdata := strings.Join(r.RData, " ") // several values, one relation: joined
	if strings.TrimSpace(rdata) == "" {
		m.leftOut++ // the template requires rdata: MISP would refuse the object
		return nil
	}
	key := r.RRName + "\x00" + r.RRType + "\x00" + strings.Join(r.RData, "\x00")
	src := sourceText(r)
	if src != "" { // a source's own observation is an object of its own
		key += "\x00" + src
	}
	id := uuid.NewSHA1(mispNamespace, []byte(key))
	if !m.written.Add(string(id[:])) {
		return nil // the same record answered another indicator: one object
	}
	m.start()
	t := passiveDNSTemplate
	var attrs []mispAttribute
	have := map[string]bool{}
	for _, f := range r.Members() {
		tt, known := t.Attributes[f.Key]
		if !known { // members the template does not name are left out
			continue
		}
		value, ok := mispValue(f.Key, f.Value)
		if f.Key == "rdata" {
			value, ok = rdata, true
		}
		if ok {
			attrs = append(attrs, mispAttribute{ObjectRelation: f.Key, Type: tt.Type, Value: value})
			have[f.Key] = true
		}
	}
	for _, rel := range []struct{ key, value string }{{"rrname", r.RRName}, {"rrtype", r.RRType}, {"rdata", rdata}} {
		if !have[rel.key] { // required by the template, whatever the record's members
			attrs = append(attrs, mispAttribute{ObjectRelation: rel.key, Type: t.Attributes[rel.key].Type, Value: rel.value})
		}
	}
	if src != "" { // where it was observed, in the template's free text
		attrs = append(attrs, mispAttribute{ObjectRelation: "text", Type: t.Attributes["text"].Type, Value: "circl-pdns source: " + strings.ReplaceAll(src, ",", ", ")})
	}
	obj := map[string]any{
		"name": t.Name, "meta-category": t.MetaCategory, "description": t.Description,
		"template_uuid": t.UUID, "template_version": strconv.Itoa(t.Version),
		"uuid": id.String(), "distribution": "5", "Attribute": attrs,
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if m.objects > 0 {
		m.w.WriteString(",\n") // an object a line: a stream, and grep-able
	}
	m.objects++
	m.buf = safeJSON(m.buf[:0], b)
	_, err = m.w.Write(m.buf)
	return err
}

func (m *MISP) End(q pdns.Indicator) error {
	if m.asked.Add(q.Value) {
		m.inds = append(m.inds, q)
	}
	return nil
}

func (m *MISP) Close() error {
	if m.objects == 0 && len(m.inds) == 0 { // given no answer (--new, nothing new): nothing
		return nil
	}
	m.start()
	attrs := []mispAttribute{}
	var names []string
	for _, q := range m.inds {
		typ := "ip-dst"
		if q.Kind == pdns.FQDN {
			typ = "domain"
		}
		attrs = append(attrs, mispAttribute{Type: typ, Category: "Network activity", Value: q.Value})
		names = append(names, q.Value)
	}
	info := "circl-pdns: CIRCL Passive DNS records for " + strings.Join(names, ", ")
	note := ""
	if m.leftOut > 0 {
		note = fmt.Sprintf(" (%s without rdata left out)", Plural(m.leftOut, "record"))
	}
	if len(info)+len(note) > 250 {
		info = info[:250-len(note)] + "…"
	}
	info += note
	id := uuid.NewSHA1(mispNamespace, []byte("event\x00"+m.now().Format(time.RFC3339)+"\x00"+strings.Join(names, "\x00")))
	tail, err := json.Marshal(map[string]any{"Attribute": attrs, "info": info, "uuid": id.String()})
	if err != nil {
		return err
	}
	m.w.WriteString("\n],")                       // the objects end
	m.w.Write(safeJSON(nil, tail[1:len(tail)-1])) // the rest of the event's members
	m.w.WriteString("}}\n")
	return m.w.Flush()
}
