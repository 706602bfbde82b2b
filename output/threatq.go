package output

import (
	"bufio"
	"encoding/json"
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
type ThreatQ struct {
	w        *bufio.Writer
	obj      threatqIndicator
	attrSeen map[threatqAttribute]bool
	relSeen  map[string]bool
}

type threatqIndicator struct {
	Value      string             `json:"value"`
	Type       string             `json:"type"`
	Sources    []threatqSource    `json:"sources"`
	Attributes []threatqAttribute `json:"attributes"`
	Related    []threatqRelated   `json:"related"`
}

type threatqSource struct {
	Name string `json:"name"`
}

type threatqAttribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type threatqRelated struct {
	Value string `json:"value"`
	Type  string `json:"type"`
}

// SourceName is the ThreatQ source the objects are attributed to.
const SourceName = "CIRCL Passive DNS"

// NewThreatQ returns a ThreatQ writer to w.
func NewThreatQ(w io.Writer) *ThreatQ {
	t := &ThreatQ{w: bufio.NewWriter(w)}
	t.reset()
	return t
}

func (t *ThreatQ) reset() {
	t.obj = threatqIndicator{Sources: []threatqSource{{SourceName}}, Attributes: []threatqAttribute{}, Related: []threatqRelated{}}
	t.attrSeen = map[threatqAttribute]bool{}
	t.relSeen = map[string]bool{}
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

func (t *ThreatQ) attribute(name, value string) {
	a := threatqAttribute{name, value}
	if !t.attrSeen[a] {
		a.Value = strings.Clone(value) // not a slice of the record, which can then go
		t.attrSeen[a] = true
		t.obj.Attributes = append(t.obj.Attributes, a)
	}
}

func (t *ThreatQ) related(q query.Indicator, value string, kinds ...query.Kind) {
	ind, err := query.ParseIndicator(value)
	if err != nil || ind == q || t.relSeen[ind.Value] {
		return
	}
	for _, k := range kinds {
		if ind.Kind == k {
			t.relSeen[ind.Value] = true
			t.obj.Related = append(t.obj.Related, threatqRelated{ind.Value, threatqType(ind.Kind)})
		}
	}
}

func (t *ThreatQ) Record(q query.Indicator, r *query.Record) error {
	t.attribute("Resource Type", r.RRType)
	for _, v := range r.RData {
		t.attribute("Resource Data", v)
		switch r.RRType {
		case "A", "AAAA":
			if _, err := netip.ParseAddr(v); err == nil {
				t.related(q, v, query.IPv4, query.IPv6)
			}
		case "CNAME", "NS", "PTR", "DNAME", "MX", "SRV":
			// the target name is the last field: "10 mx.example.com." for MX
			if f := strings.Fields(v); len(f) > 0 {
				t.related(q, f[len(f)-1], query.FQDN)
			}
		}
	}
	if q.Kind != query.FQDN && !strings.HasSuffix(r.RRName, ".arpa") && !strings.HasSuffix(r.RRName, ".arpa.") {
		t.related(q, r.RRName, query.FQDN) // a name that pointed to the address
	}
	return nil
}

func (t *ThreatQ) End(q query.Indicator) error {
	t.obj.Value, t.obj.Type = q.Value, threatqType(q.Kind)
	b, err := json.Marshal(t.obj)
	t.reset()
	if err != nil {
		return err
	}
	if _, err := t.w.Write(append(safeJSON(nil, b), '\n')); err != nil {
		return err
	}
	return t.w.Flush()
}

func (t *ThreatQ) Close() error { return t.w.Flush() }
