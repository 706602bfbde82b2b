package pdns

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// jsonLog reads a log of one JSON object a line: Zeek's JSON logs,
// Suricata's EVE, passivedns's -j.
type jsonLog struct {
	logBase
	read func(p *jsonLog, t *Tally, line string, n int) error
}

func (p *jsonLog) Parse(block []byte, line int, t *Tally) error {
	p.lines(block, line, func(l []byte, n int) {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			return
		}
		if err := p.read(p, t, bytesString(l), n); err != nil {
			p.bad(n, err)
		}
	})
	return nil
}

func (p *jsonLog) Skip([]byte) {}

// eachMember calls fn with the key (decoded) and the value (JSON text) of
// each member of the object s, checking its syntax as it goes.
func eachMember(s string, fn func(key, value string) error) error {
	d := scanner{s: s}
	d.space()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return errors.New("not a JSON object")
	}
	if err := d.each('{', 0, fn); err != nil {
		return err
	}
	if d.space(); d.i < len(d.s) {
		return errors.New("data after the JSON object")
	}
	return nil
}

// eachElement calls fn with the text of each element of the array s (as
// the scanner checked it).
func eachElement(s string, fn func(v string) error) error {
	d := scanner{s: s}
	if d.i >= len(d.s) || d.s[d.i] != '[' {
		return errors.New("not an array")
	}
	return d.each('[', 0, func(_, v string) error { return fn(v) })
}

// jsonText is the text of a JSON scalar: a string's content, a number or
// literal as it is written; "" for null.
func jsonText(v string) string {
	switch {
	case v == "" || v == "null":
		return ""
	case v[0] == '"':
		return unquote(v)
	}
	return v
}

// jsonStrings is an array of strings (or a single string) as a list.
func jsonStrings(v string) ([]string, error) {
	if v[0] == '"' {
		return []string{unquote(v)}, nil
	}
	var out []string
	err := eachElement(v, func(e string) error {
		if e[0] != '"' {
			return errors.New("not an array of strings")
		}
		out = append(out, unquote(e))
		return nil
	})
	return out, err
}

// jsonTime reads a time as logs write it: epoch seconds (a number, or a
// string of one, with a fraction or not), or ISO 8601 with or without a
// zone (UTC then): 2018-03-24T17:15:20.865716Z, Suricata's
// 2018-03-24T17:15:20.865716+0000.
func jsonTime(v string) (int64, error) {
	s := jsonText(v)
	if s == "" {
		return 0, errors.New("no time")
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-T:") {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e13 {
			return int64(f), nil
		}
		return 0, fmt.Errorf("%s is not a time", Quote(s, 40))
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("%s is not a time", Quote(s, 40))
}

// readZeekJSON reads one line of a Zeek JSON log: the columns of the TSV
// form as members (absent rather than unset), answers as an array.
func readZeekJSON(p *jsonLog, t *Tally, line string, n int) error {
	var zl zeekLine
	var ts string
	var class, classNum, qtype, qtypeNum, rcode, rcodeNum string
	other := false
	err := eachMember(line, func(k, v string) error {
		var err error
		switch k {
		case "ts":
			ts = v
		case "_path":
			other = jsonText(v) != "dns"
		case "query":
			zl.query = jsonText(v)
		case "qclass_name":
			class = jsonText(v)
		case "qclass":
			classNum = jsonText(v)
		case "qtype_name":
			qtype = jsonText(v)
		case "qtype":
			qtypeNum = jsonText(v)
		case "rcode_name":
			rcode = jsonText(v)
		case "rcode":
			rcodeNum = jsonText(v)
		case "rejected":
			zl.rejected = v == "true"
		case "answers":
			if v != "null" {
				zl.answers, err = jsonStrings(v)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case other:
		p.stats.Other++
		return nil
	}
	if zl.ts, err = jsonTime(ts); err != nil {
		return fmt.Errorf("ts: %w", err)
	}
	zl.class, zl.qtype, zl.rcode = cmpOr(class, classNum), cmpOr(qtype, qtypeNum), cmpOr(rcode, rcodeNum)
	p.response(t, n, &zl)
	return nil
}

// cmpOr is the first of its arguments that is not empty.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readEVE reads one line of Suricata's EVE JSON: a dns event in any of
// the versions of its DNS logging (see eveDNS); other events are counted.
func readEVE(p *jsonLog, t *Tally, line string, n int) error {
	var ts, kind, dns string
	err := eachMember(line, func(k, v string) error {
		switch k {
		case "timestamp":
			ts = v
		case "event_type":
			kind = jsonText(v)
		case "dns":
			dns = v
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case kind != "dns":
		p.stats.Other++
		return nil
	case dns == "" || dns[0] != '{':
		return errors.New("a dns event without its dns object")
	}
	when, err := jsonTime(ts)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	return p.eveDNS(t, n, when, dns)
}

// eveDNS reads the dns object of an EVE event:
//
//   - version 1 (before Suricata 4.1, or version: 1): one event per answer
//     record, type "answer", with its rrname, rrtype and rdata (or soa,
//     srv, sshfp objects);
//   - version 2: one event per response, type "answer", the question's
//     rrname and rrtype, and the answers as an array of records
//     ("detailed": each with rrname, rrtype, rdata) and/or "grouped" by
//     type (no owner names: the CNAMEs make a chain from the question's
//     name, and the other records belong to its end);
//   - version 3 (Suricata 8): type "response", the question in queries.
//
// Requests (type query or request) hold no answer: they are counted.
func (p *jsonLog) eveDNS(t *Tally, n int, when int64, dns string) error {
	var version, kind, rrname, rrtype, rcode, answers, grouped, queries string
	single := map[string]string{} // a version 1 answer's rdata, soa, srv, sshfp
	err := eachMember(dns, func(k, v string) error {
		switch k {
		case "version":
			version = jsonText(v)
		case "type":
			kind = jsonText(v)
		case "rrname":
			rrname = jsonText(v)
		case "rrtype":
			rrtype = jsonText(v)
		case "rcode":
			rcode = jsonText(v)
		case "answers":
			answers = v
		case "grouped":
			grouped = v
		case "queries":
			queries = v
		case "rdata", "soa", "srv", "sshfp", "mx":
			single[k] = v
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	switch kind {
	case "query", "request":
		p.stats.Requests++
		return nil
	case "answer", "response":
	default:
		return fmt.Errorf("dns: type %s is neither a query nor an answer", Quote(kind, 20))
	}
	if rcode == "" {
		rcode = "NOERROR"
	}
	if !p.rcodeOutcome(rcode) {
		return nil
	}
	o := Observation{Time: when, Count: 1}
	emit := func(owner, typ, rdata string) {
		o.RRName, o.RRType, o.RData, o.Count = owner, typ, rdata, 1
		p.observe(t, n, &o)
	}
	switch {
	case answers != "" && answers != "null":
		return eachElement(answers, func(a string) error {
			var name, typ string
			rd := map[string]string{}
			if err := eachMember(a, func(k, v string) error {
				switch k {
				case "rrname":
					name = jsonText(v)
				case "rrtype":
					typ = jsonText(v)
				case "rdata", "soa", "srv", "sshfp", "mx":
					rd[k] = v
				}
				return nil
			}); err != nil {
				return fmt.Errorf("dns answers: %w", err)
			}
			if rdata, ok := eveRData(rd); ok && name != "" && typ != "" {
				emit(name, typ, rdata)
			} else {
				p.stats.Unplaced++
			}
			return nil
		})
	case grouped != "" && grouped != "null":
		if version != "2" && queries != "" { // version 3: the question is in queries
			rrname = eveQuestion(queries)
		}
		return p.eveGrouped(grouped, rrname, emit)
	case version == "" || version == "1":
		if rdata, ok := eveRData(single); ok && rrname != "" && rrtype != "" {
			emit(rrname, rrtype, rdata)
			return nil
		}
	}
	p.stats.NoAnswer++
	return nil
}

// eveQuestion is the name of the first query of a version 3 event.
func eveQuestion(queries string) string {
	var name string
	eachElement(queries, func(q string) error {
		if name == "" {
			eachMember(q, func(k, v string) error {
				if k == "rrname" {
					name = jsonText(v)
				}
				return nil
			})
		}
		return nil
	})
	return name
}

// eveGrouped reads answers grouped by type: the CNAMEs, in order, lead
// from the question's name to the name that owns the other records.
func (p *jsonLog) eveGrouped(grouped, question string, emit func(owner, typ, rdata string)) error {
	if question == "" {
		return errors.New("dns: grouped answers without the question's name")
	}
	groups := map[string][]string{}
	var order []string
	err := eachMember(grouped, func(typ, v string) error {
		var values []string
		err := eachElement(v, func(e string) error {
			if e[0] == '{' {
				rd := map[string]string{strings.ToLower(typ): e}
				if rdata, ok := eveRData(rd); ok {
					values = append(values, rdata)
				} else {
					p.stats.Unplaced++
				}
				return nil
			}
			values = append(values, jsonText(e))
			return nil
		})
		groups[typ] = values
		order = append(order, typ)
		return err
	})
	if err != nil {
		return fmt.Errorf("dns grouped: %w", err)
	}
	owner := question
	for _, target := range groups["CNAME"] {
		emit(owner, "CNAME", target)
		owner = target
	}
	for _, typ := range order {
		if typ == "CNAME" {
			continue
		}
		for _, v := range groups[typ] {
			emit(owner, typ, v)
		}
	}
	return nil
}

// eveRData is the rdata of an EVE answer: its rdata string, or its soa,
// srv, sshfp or mx object written as the record's presentation form.
func eveRData(rd map[string]string) (string, bool) {
	if v, ok := rd["rdata"]; ok && v != "null" {
		if v[0] == '"' {
			return unquote(v), true
		}
		return "", false
	}
	for kind, fields := range map[string][]string{
		"soa":   {"mname", "rname", "serial", "refresh", "retry", "expire", "minimum"},
		"srv":   {"priority", "weight", "port", "target|name"},
		"sshfp": {"algo", "type", "fingerprint"},
		"mx":    {"preference", "exchange|name"},
	} {
		obj, ok := rd[kind]
		if !ok || obj == "" || obj[0] != '{' {
			continue
		}
		values := map[string]string{}
		if eachMember(obj, func(k, v string) error { values[k] = jsonText(v); return nil }) != nil {
			return "", false
		}
		parts := make([]string, 0, len(fields))
		for _, f := range fields {
			var v string
			for _, name := range strings.Split(f, "|") {
				v = cmpOr(v, values[name])
			}
			if v == "" {
				return "", false
			}
			parts = append(parts, v)
		}
		return strings.Join(parts, " "), true
	}
	return "", false
}

// readPassiveDNSJSON reads one line of passivedns -j: timestamp_s and
// timestamp_ms (or timestamp, the local time), class, query, type,
// answer, ttl, count.
func readPassiveDNSJSON(p *jsonLog, t *Tally, line string, n int) error {
	var r passiveDNSRecord
	var seconds, local string
	err := eachMember(line, func(k, v string) error {
		switch k {
		case "timestamp_s":
			seconds = v
		case "timestamp":
			local = jsonText(v)
		case "class":
			r.class = jsonText(v)
		case "query":
			r.query = jsonText(v)
		case "type":
			r.qtype = jsonText(v)
		case "answer":
			r.answer = jsonText(v)
		case "count":
			r.count = jsonText(v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case seconds != "":
		r.time, err = jsonTime(seconds)
	case local != "":
		r.time, err = localTime(local)
	default:
		err = errors.New("no time: neither timestamp_s nor timestamp")
	}
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	return p.passiveDNSRecord(t, n, &r)
}
