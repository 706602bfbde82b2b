package output

import (
	"bufio"
	"encoding/json"
	"io"
	"net/netip"
	"strings"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// ThreatQ writes one JSON object per queried indicator, in the shape of a
// ThreatQ indicator, with the mapping of the ThreatQ CIRCL operation: each
// record's rrtype becomes a "Resource Type" attribute and each rdata value a
// "Resource Data" attribute (pairs in the order first seen, without
// repeats). An indicator without records still gets its object, so that the
// importer knows it was queried. "related" adds what the operation loses:
// the names and addresses the records point to (rdata that is an FQDN or
// an IP address, and for an address query the names that pointed to it).
//
// An answer's attributes are written as they come to a spill (memory, then
// a temporary file past 1 MB), and only hashes of them are kept to leave
// out repeats, so that an answer of any size takes bounded memory.
type ThreatQ struct {
	w   *bufio.Writer
	cur *threatqObject // of the answer being written
	buf []byte
}

// threatqObject is the object of one indicator, being written.
type threatqObject struct {
	q                   pdns.Indicator
	attributes, related spill         // the elements of each array, comma-separated
	seen                *pdns.HashSet // the elements written
}

type threatqIndicator struct {
	Value   string          `json:"value"`
	Type    string          `json:"type"`
	Sources []threatqSource `json:"sources"`
}

type threatqSource struct {
	Name string `json:"name"`
}

// SourceName is the ThreatQ source the objects are attributed to.
const SourceName = "CIRCL Passive DNS"

// NewThreatQ returns a ThreatQ writer to w.
func NewThreatQ(w io.Writer) *ThreatQ { return &ThreatQ{w: bufio.NewWriter(w)} }

// object is q's object: the answers come one after another.
func (t *ThreatQ) object(q pdns.Indicator) *threatqObject {
	if t.cur == nil || t.cur.q.Value != q.Value {
		t.closeObject()
		t.cur = &threatqObject{q: q, seen: pdns.NewHashSet()}
	}
	return t.cur
}

// closeObject frees what the object being written holds, if any.
func (t *ThreatQ) closeObject() {
	if t.cur != nil {
		t.cur.attributes.Close()
		t.cur.related.Close()
		t.cur = nil
	}
}

// add writes an element to the array a, unless it was written already:
// an object of two members, named by names, whose values are values.
func (t *ThreatQ) add(o *threatqObject, a *spill, kind byte, names [2]string, values [2]string) error {
	if !o.seen.Add(string(kind), values[0], values[1]) {
		return nil
	}
	b := t.buf[:0]
	if a.Len() > 0 {
		b = append(b, ',')
	}
	b = append(append(append(b, `{"`...), names[0]...), `":`...)
	b = appendJSONString(b, values[0])
	b = append(append(append(b, `,"`...), names[1]...), `":`...)
	b = appendJSONString(b, values[1])
	b = append(b, '}')
	t.buf = b
	_, err := a.Write(b)
	return err
}

// threatqType is ThreatQ's indicator type for a kind of indicator.
func threatqType(k pdns.Kind) string {
	switch k {
	case pdns.IPv4:
		return "IP Address"
	case pdns.IPv6:
		return "IPv6 Address"
	}
	return "FQDN"
}

func (t *ThreatQ) attribute(o *threatqObject, name, value string) error {
	return t.add(o, &o.attributes, 'a', [2]string{"name", "value"}, [2]string{name, value})
}

// related adds a name or an address that the answer to q points to (not q
// itself): value is a vetted target, or a host name.
func (t *ThreatQ) related(o *threatqObject, q pdns.Indicator, value string) error {
	if value == q.Value {
		return nil
	}
	kind := pdns.FQDN
	if a, err := netip.ParseAddr(value); err == nil {
		kind = pdns.IPv6
		if a.Is4() {
			kind = pdns.IPv4
		}
	}
	return t.add(o, &o.related, 'r', [2]string{"value", "type"}, [2]string{value, threatqType(kind)})
}

func (t *ThreatQ) Record(q pdns.Indicator, r *pdns.Record) error {
	o := t.object(q)
	if err := t.attribute(o, "Resource Type", r.RRType); err != nil {
		return err
	}
	for _, v := range r.RData {
		if err := t.attribute(o, "Resource Data", v); err != nil {
			return err
		}
	}
	names := r.Sources
	if names == nil && r.Source != "" {
		names = []string{r.Source}
	}
	for _, name := range names { // several sources: which had records
		if err := t.attribute(o, "Passive DNS Source", name); err != nil {
			return err
		}
	}
	for _, target := range r.Targets() { // what the rdata points to, by type
		if err := t.related(o, q, target); err != nil {
			return err
		}
	}
	if name, ok := pdns.HostName(r.RRName); ok && q.Kind != pdns.FQDN && !strings.HasSuffix(name, ".arpa") {
		return t.related(o, q, name) // a name that pointed to the address
	}
	return nil
}

// End writes q's object: one line, whatever its size.
func (t *ThreatQ) End(q pdns.Indicator) error {
	o := t.object(q)
	defer t.closeObject()
	head, err := json.Marshal(threatqIndicator{Value: q.Value, Type: threatqType(q.Kind), Sources: []threatqSource{{SourceName}}})
	if err != nil {
		return err
	}
	t.w.Write(safeJSON(nil, head[:len(head)-1]))
	t.w.WriteString(`,"attributes":[`)
	if _, err := o.attributes.WriteTo(t.w); err != nil {
		return err
	}
	t.w.WriteString(`],"related":[`)
	if _, err := o.related.WriteTo(t.w); err != nil {
		return err
	}
	t.w.WriteString("]}\n")
	return t.w.Flush()
}

func (t *ThreatQ) Close() error {
	t.closeObject() // an answer that never ended
	return t.w.Flush()
}
