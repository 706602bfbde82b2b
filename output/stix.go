package output

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/circl-pdns/circl-pdns/query"
)

// stixNamespace is the namespace of STIX 2.1 deterministic identifiers
// (the specification, section 2.9).
var stixNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// stixID is the deterministic id of a cyber observable of type typ with
// this value: UUIDv5 over its ID contributing properties, {"value":"..."}.
func stixID(typ, value string) string {
	b, _ := json.Marshal(map[string]string{"value": value}) // a string always marshals
	return typ + "--" + uuid.NewSHA1(stixNamespace, b).String()
}

// STIX writes one STIX 2.1 bundle for the run: a domain-name, ipv4-addr or
// ipv6-addr object for each name and address, once (a domain-name lists in
// resolves_to_refs what its A, AAAA and CNAME records point to), and one
// observed-data per record. It is a stream: the observed-data and the
// addresses as they come, the names at the end, when their records are all
// known; memory grows with the names and addresses, not the records.
type STIX struct {
	w       *bufio.Writer
	o       Options
	started bool
	n       int                 // objects written
	written map[string]bool     // ids of the observables written
	names   []string            // domain names, in the order met
	refs    map[string][]string // domain name -> what it resolves to
	hasRef  map[[2]string]bool  // (name, ref) pairs in refs
	buf     []byte
}

// NewSTIX returns a STIX 2.1 bundle writer to w.
func NewSTIX(w io.Writer, o Options) *STIX {
	return &STIX{w: bufio.NewWriterSize(w, 64<<10), o: o, written: map[string]bool{}, refs: map[string][]string{}, hasRef: map[[2]string]bool{}}
}

func (s *STIX) now() time.Time {
	if !s.o.Now.IsZero() {
		return s.o.Now.UTC()
	}
	return time.Now().UTC()
}

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *STIX) header() {
	if !s.started {
		s.started = true
		id := "bundle--" + uuid.NewSHA1(stixNamespace, []byte("circl-pdns bundle "+stixTime(s.now()))).String()
		fmt.Fprintf(s.w, `{"type":"bundle","id":%q,"objects":[`, id)
	}
}

func (s *STIX) object(v any) error {
	s.header()
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if s.n > 0 {
		s.w.WriteString(",\n")
	}
	s.n++
	s.buf = safeJSON(s.buf[:0], b)
	_, err = s.w.Write(s.buf)
	return err
}

// observable is the id of the observable for a name or an address, written
// now for an address; a name waits for its refs. Neither: "".
func (s *STIX) observable(value string) string {
	value = strings.TrimSuffix(value, ".")
	if a, err := netip.ParseAddr(value); err == nil {
		typ := "ipv4-addr"
		if a.Unmap().Is6() {
			typ = "ipv6-addr"
		}
		v := a.Unmap().String()
		id := stixID(typ, v)
		if !s.written[id] {
			s.written[id] = true
			s.object(map[string]any{"type": typ, "spec_version": "2.1", "id": id, "value": v})
		}
		return id
	}
	ind, err := query.ParseIndicator(value)
	if err != nil || ind.Kind != query.FQDN {
		return ""
	}
	id := stixID("domain-name", ind.Value)
	if _, ok := s.refs[ind.Value]; !ok {
		s.refs[ind.Value] = nil
		s.names = append(s.names, ind.Value)
	}
	return id
}

func (s *STIX) Record(q query.Indicator, r *query.Record) error {
	from := s.observable(r.RRName)
	refs := []string{}
	if from != "" {
		refs = append(refs, from)
	}
	for _, v := range query.PointsTo(r) {
		to := s.observable(v)
		if to == "" || to == from {
			continue
		}
		refs = append(refs, to)
		if from != "" && (r.RRType == "A" || r.RRType == "AAAA" || r.RRType == "CNAME") {
			name := strings.TrimSuffix(strings.ToLower(r.RRName), ".")
			if ind, err := query.ParseIndicator(name); err == nil && !s.hasRef[[2]string{ind.Value, to}] {
				s.hasRef[[2]string{ind.Value, to}] = true
				s.refs[ind.Value] = append(s.refs[ind.Value], to)
			}
		}
	}
	if len(refs) == 0 { // nothing observable to point to: the query itself
		refs = append(refs, s.observable(q.Value))
	}
	now := stixTime(s.now())
	first, last := r.First(), r.Last()
	if first == 0 {
		first = last
	}
	if last == 0 {
		last = first
	}
	var firstT, lastT string
	if first == 0 {
		firstT, lastT = now, now
	} else {
		firstT, lastT = stixTime(time.Unix(first, 0)), stixTime(time.Unix(max(last, first), 0))
	}
	n := max(r.Count, 1)
	n = min(n, 999999999)
	id := "observed-data--" + uuid.NewSHA1(stixNamespace, []byte(q.Value+"\x00"+r.RRName+"\x00"+r.RRType+"\x00"+strings.Join(r.RData, "\x00"))).String()
	return s.object(map[string]any{
		"type": "observed-data", "spec_version": "2.1", "id": id, "created": now, "modified": now,
		"first_observed": firstT, "last_observed": lastT, "number_observed": n, "object_refs": refs,
	})
}

func (s *STIX) End(q query.Indicator) error {
	s.observable(q.Value) // an indicator without records is in the bundle too
	return nil
}

func (s *STIX) Close() error {
	if !s.started && len(s.names) == 0 { // given no answer (--new, nothing new): nothing
		return nil
	}
	for _, name := range s.names {
		obj := map[string]any{"type": "domain-name", "spec_version": "2.1", "id": stixID("domain-name", name), "value": name}
		if refs := s.refs[name]; len(refs) > 0 {
			obj["resolves_to_refs"] = refs
		}
		if err := s.object(obj); err != nil {
			return err
		}
	}
	s.header() // an empty run: an empty bundle
	s.w.WriteString("]}\n")
	return s.w.Flush()
}
