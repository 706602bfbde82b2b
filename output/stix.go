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

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// stixNamespace is the namespace of STIX 2.1 deterministic identifiers
// (the specification, section 2.9).
var stixNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// stixID is the deterministic id of a cyber observable of type typ with
// this value: UUIDv5 over its ID contributing properties, {"value":"..."}.
func stixID(typ, value string) string { return typ + "--" + stixUUID(value).String() }

func stixUUID(value string) uuid.UUID {
	b, _ := json.Marshal(map[string]string{"value": value}) // a string always marshals
	return uuid.NewSHA1(stixNamespace, b)
}

// stixTypes are the observables' types, by the first byte of a stixRef.
var stixTypes = [...]string{"ipv4-addr", "ipv6-addr", "domain-name"}

// stixRef is an observable's id in 17 bytes: its type's index in
// stixTypes, then its UUID.
type stixRef [17]byte

func (r stixRef) String() string { return stixTypes[r[0]] + "--" + uuid.UUID(r[1:]).String() }

// STIX writes one STIX 2.1 bundle for the run: a domain-name, ipv4-addr or
// ipv6-addr object for each name and address, once (a domain-name lists in
// resolves_to_refs what its A, AAAA and CNAME records point to), and one
// observed-data per record. It is a stream: the observed-data and the
// addresses as they come, the names at the end, when their records are all
// known; memory grows with the names and addresses, not the records.
//
// What is held, for the names at the end, is small: the ids of the
// observables written as 64-bit hashes, each name once, and its refs 17
// bytes each.
type STIX struct {
	w       *bufio.Writer
	o       Options
	started bool
	n       int           // objects written
	written *pdns.HashSet // the observables written
	names   chunked[stixName]
	index   openIndex // of names
	texts   texts
	hasRef  *pdns.HashSet // (name, ref) pairs among the refs
	buf     []byte
}

// stixName is a domain name met, and what it resolves to: its refs.
type stixName struct {
	name string
	refs []byte // stixRefs, one after the other
}

// NewSTIX returns a STIX 2.1 bundle writer to w.
func NewSTIX(w io.Writer, o Options) *STIX {
	return &STIX{w: bufio.NewWriterSize(w, 64<<10), o: o, written: pdns.NewHashSet(), index: newOpenIndex(), hasRef: pdns.NewHashSet()}
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

// observable is the ref of the observable for a name (a host name, as
// pdns.HostName reads it) or an address, written now for an address; a
// name waits for its refs. Neither: false, and nothing is written.
func (s *STIX) observable(value string) (stixRef, bool) {
	var ref stixRef
	if a, err := netip.ParseAddr(value); err == nil && a.Zone() == "" {
		if a.Unmap().Is6() {
			ref[0] = 1
		}
		v := a.Unmap().String()
		u := stixUUID(v)
		copy(ref[1:], u[:])
		if s.written.Add(string(ref[:])) {
			s.object(map[string]any{"type": stixTypes[ref[0]], "spec_version": "2.1", "id": ref.String(), "value": v})
		}
		return ref, true
	}
	name, ok := pdns.HostName(value)
	if !ok {
		return ref, false
	}
	ref[0] = 2
	u := stixUUID(name)
	copy(ref[1:], u[:])
	s.name(name)
	return ref, true
}

// name is the entry of a domain name, made the first time it is met.
func (s *STIX) name(name string) *stixName {
	i, slot := s.index.find(s.index.hash(name), func(i int) bool { return s.names.at(i).name == name },
		s.names.len(), func(i int) uint64 { return s.index.hash(s.names.at(i).name) })
	if i >= 0 {
		return s.names.at(i)
	}
	s.index.put(slot, s.names.len())
	s.names.append(stixName{name: s.texts.clone(name)})
	return s.names.at(s.names.len() - 1)
}

func (s *STIX) Record(q pdns.Indicator, r *pdns.Record) error {
	from, ok := s.observable(r.RRName)
	refs := []string{}
	if ok {
		refs = append(refs, from.String())
	}
	for _, v := range r.Targets() {
		to, ok := s.observable(v)
		if !ok || to == from {
			continue
		}
		refs = append(refs, to.String())
		if from[0] == 2 && (r.RRType == "A" || r.RRType == "AAAA" || r.RRType == "CNAME") {
			if name, _ := pdns.HostName(r.RRName); s.hasRef.Add(name, string(to[:])) {
				n := s.name(name)
				n.refs = append(n.refs, to[:]...)
			}
		}
	}
	if len(refs) == 0 { // nothing observable to point to: the query itself
		ref, ok := s.observable(q.Value)
		if !ok { // a wildcard: the record has nothing STIX can observe
			return nil
		}
		refs = append(refs, ref.String())
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
	key := q.Value + "\x00" + r.RRName + "\x00" + r.RRType + "\x00" + strings.Join(r.RData, "\x00")
	if src := sourceText(r); src != "" { // a source's own observation is an object of its own
		key += "\x00" + src
	}
	id := "observed-data--" + uuid.NewSHA1(stixNamespace, []byte(key)).String()
	if !s.written.Add(id) { // the same record twice in an answer (a dump may have it): one object
		return nil
	}
	obj := map[string]any{
		"type": "observed-data", "spec_version": "2.1", "id": id, "created": now, "modified": now,
		"first_observed": firstT, "last_observed": lastT, "number_observed": n, "object_refs": refs,
	}
	// where it was observed: a custom property, as STIX 2.1 allows them
	// (3.6: x_ and lower case); a list once merged
	switch {
	case r.Sources != nil:
		obj["x_circl_pdns_sources"] = r.Sources
	case r.Source != "":
		obj["x_circl_pdns_source"] = r.Source
	}
	return s.object(obj)
}

func (s *STIX) End(q pdns.Indicator) error {
	s.observable(q.Value) // an indicator without records is in the bundle too
	return nil
}

// domainName writes a name's object, its refs one by one: a name may
// resolve to hundreds of thousands of addresses. The members are in the
// order encoding/json gives the other objects: sorted.
func (s *STIX) domainName(n *stixName) error {
	s.header()
	if s.n > 0 {
		s.w.WriteString(",\n")
	}
	s.n++
	s.buf = appendJSONString(append(s.buf[:0], `{"id":`...), stixID("domain-name", n.name))
	if len(n.refs) > 0 {
		s.buf = append(s.buf, `,"resolves_to_refs":[`...)
		for b := n.refs; len(b) > 0; b = b[len(stixRef{}):] {
			if len(b) < len(n.refs) {
				s.buf = append(s.buf, ',')
			}
			s.buf = append(append(append(s.buf, '"'), stixRef(b).String()...), '"')
			if len(s.buf) > 32<<10 {
				if _, err := s.w.Write(s.buf); err != nil {
					return err
				}
				s.buf = s.buf[:0]
			}
		}
		s.buf = append(s.buf, ']')
	}
	s.buf = append(s.buf, `,"spec_version":"2.1","type":"domain-name","value":`...)
	s.buf = append(appendJSONString(s.buf, n.name), '}')
	n.refs = nil
	_, err := s.w.Write(s.buf)
	return err
}

func (s *STIX) Close() error {
	if !s.started && s.names.len() == 0 { // given no answer (--new, nothing new): nothing
		return nil
	}
	for i := range s.names.len() {
		if err := s.domainName(s.names.at(i)); err != nil {
			return err
		}
	}
	s.header() // an empty run: an empty bundle
	s.w.WriteString("]}\n")
	return s.w.Flush()
}
