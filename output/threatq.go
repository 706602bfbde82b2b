package output

import (
	"bufio"
	"encoding/json"
	"hash/maphash"
	"io"
	"net/netip"
	"strings"

	"github.com/circl-pdns/circl-pdns/query"
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
// out repeats, so that an answer of any size takes bounded memory. Each
// indicator has its own object: with --unordered, answers interleave.
type ThreatQ struct {
	w    *bufio.Writer
	open map[string]*threatqObject // by indicator
	seed maphash.Seed
	buf  []byte
}

// threatqObject is the object of one indicator, being written.
type threatqObject struct {
	attributes, related spill // the elements of each array, comma-separated
	seen                map[uint64]struct{}
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
func NewThreatQ(w io.Writer) *ThreatQ {
	return &ThreatQ{w: bufio.NewWriter(w), open: map[string]*threatqObject{}, seed: maphash.MakeSeed()}
}

func (t *ThreatQ) object(q query.Indicator) *threatqObject {
	o := t.open[q.Value]
	if o == nil {
		o = &threatqObject{seen: map[uint64]struct{}{}}
		t.open[q.Value] = o
	}
	return o
}

// add writes an element to the array a, unless it was written already:
// an object of two members, named by names, whose values are values.
func (t *ThreatQ) add(o *threatqObject, a *spill, kind byte, names [2]string, values [2]string) error {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteByte(kind)
	for _, v := range values {
		h.WriteString(v)
		h.WriteByte(0)
	}
	sum := h.Sum64()
	if _, ok := o.seen[sum]; ok {
		return nil
	}
	o.seen[sum] = struct{}{}
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

// appendJSONString appends s as encoding/json writes a string (<, > and &
// escaped too), with what a terminal would act on escaped.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, safeJSON(nil, b)...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// threatqType is ThreatQ's indicator type for a kind of indicator.
func threatqType(k query.Kind) string {
	switch k {
	case query.IPv4:
		return "IP Address"
	case query.IPv6:
		return "IPv6 Address"
	}
	return "FQDN"
}

func (t *ThreatQ) attribute(o *threatqObject, name, value string) error {
	return t.add(o, &o.attributes, 'a', [2]string{"name", "value"}, [2]string{name, value})
}

func (t *ThreatQ) related(o *threatqObject, q query.Indicator, value string, kinds ...query.Kind) error {
	ind, err := query.ParseIndicator(value)
	if err != nil || ind == q {
		return nil
	}
	for _, k := range kinds {
		if ind.Kind == k {
			return t.add(o, &o.related, 'r', [2]string{"value", "type"}, [2]string{ind.Value, threatqType(ind.Kind)})
		}
	}
	return nil
}

func (t *ThreatQ) Record(q query.Indicator, r *query.Record) error {
	o := t.object(q)
	if err := t.attribute(o, "Resource Type", r.RRType); err != nil {
		return err
	}
	for _, v := range r.RData {
		if err := t.attribute(o, "Resource Data", v); err != nil {
			return err
		}
		var err error
		switch r.RRType {
		case "A", "AAAA":
			if _, perr := netip.ParseAddr(v); perr == nil {
				err = t.related(o, q, v, query.IPv4, query.IPv6)
			}
		case "CNAME", "NS", "PTR", "DNAME", "MX", "SRV":
			// the target name is the last field: "10 mx.example.com." for MX
			if f := strings.Fields(v); len(f) > 0 {
				err = t.related(o, q, f[len(f)-1], query.FQDN)
			}
		}
		if err != nil {
			return err
		}
	}
	if q.Kind != query.FQDN && !strings.HasSuffix(r.RRName, ".arpa") && !strings.HasSuffix(r.RRName, ".arpa.") {
		return t.related(o, q, r.RRName, query.FQDN) // a name that pointed to the address
	}
	return nil
}

// End writes q's object: one line, whatever its size.
func (t *ThreatQ) End(q query.Indicator) error {
	o := t.object(q)
	delete(t.open, q.Value)
	defer o.attributes.Close()
	defer o.related.Close()
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
	for _, o := range t.open { // answers that never ended
		o.attributes.Close()
		o.related.Close()
	}
	return t.w.Flush()
}
