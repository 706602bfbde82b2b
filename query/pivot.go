package query

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Pivot follows the infrastructure behind the given indicators, hop by
// hop: a name's A and AAAA records lead to addresses, its CNAME, NS and MX
// records to names; an address's records lead to the names that pointed to
// it. Only records that passed the selection are followed.
//
// It is bounded: MaxQueries caps the queries of the whole run (the given
// indicators are always asked; what the budget leaves unasked is said), an
// indicator whose answer has more than MaxFanout records is a hub (a CDN, a
// parking address) whose records are kept but not followed, nothing is
// asked twice, and the order is that of the input, hop by hop.
type Pivot struct {
	Hops       int      // 1 to 5
	Types      []string // the record types followed (A, AAAA, CNAME, NS, MX by default)
	MaxQueries int
	MaxFanout  int

	mu       sync.Mutex
	asked    map[string]bool
	queries  int
	frontier []pivotLead // of the hop being run, by job
	spent    bool        // the budget ran out: no further hop
}

// DefaultPivotTypes are the record types followed unless told otherwise.
var DefaultPivotTypes = []string{"A", "AAAA", "CNAME", "NS", "MX"}

type pivotLead struct {
	seq     int
	via     string
	targets []string
}

// ask notes an indicator as asked (or to be asked) in this run.
func (p *Pivot) ask(value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.asked == nil {
		p.asked = map[string]bool{}
	}
	if !p.asked[value] {
		p.asked[value] = true
		p.queries++
	}
}

// targets are what r, in the answer to ind, leads to: for a name, what
// its records point to; for an address, the names that pointed to it.
func (p *Pivot) targets(ind Indicator, r *Record) []string {
	if !slices.Contains(p.Types, r.RRType) {
		return nil
	}
	if ind.Kind != FQDN { // an address: the names that pointed to it
		if t, err := ParseIndicator(r.RRName); err == nil && t.Value != ind.Value {
			return []string{t.Value}
		}
		return nil
	}
	return slices.DeleteFunc(PointsTo(r), func(t string) bool { return t == ind.Value })
}

// pointerTypes are the record types whose rdata names a host.
var pointerTypes = map[string]bool{"A": true, "AAAA": true, "CNAME": true, "NS": true, "MX": true, "PTR": true, "DNAME": true, "SRV": true}

// PointsTo is the names and addresses a record points to (the host of an
// MX or SRV), written as indicators are: nothing for other types.
func PointsTo(r *Record) []string {
	if !pointerTypes[r.RRType] {
		return nil
	}
	var out []string
	for _, v := range r.RData {
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		v = f[len(f)-1] // "10 mx.example.com.", "0 5 443 host."
		v = strings.ToLower(strings.TrimSuffix(v, "."))
		if t, err := ParseIndicator(v); err == nil && !slices.Contains(out, t.Value) {
			out = append(out, t.Value)
		}
	}
	return out
}

// done takes what a finished query led to; a hub's leads are not followed.
func (p *Pivot) done(j *job, problem func(error)) {
	if j.leads == nil {
		return
	}
	if j.followed > p.MaxFanout {
		problem(&Warning{Indicator: j.ind.Value, Msg: fmt.Sprintf("a hub (%d records, more than %d): kept, not followed", j.followed, p.MaxFanout)})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frontier = append(p.frontier, pivotLead{seq: j.seq, via: j.ind.Value, targets: j.leads})
}

// next is the indicators of the next hop: what the last hop led to, in its
// input order, not asked before, within the budget.
func (p *Pivot) next(hop int, problem func(error)) []Indicator {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spent { // said once, when it ran out
		p.frontier = nil
		return nil
	}
	slices.SortStableFunc(p.frontier, func(a, b pivotLead) int { return a.seq - b.seq })
	var next []Indicator
	var left []string
	for _, l := range p.frontier {
		for _, t := range l.targets {
			if p.asked[t] {
				continue
			}
			p.asked[t] = true
			if p.queries >= p.MaxQueries {
				left = append(left, t)
				continue
			}
			p.queries++
			ind, _ := ParseIndicator(t) // a target is an indicator already
			ind.Pivoting, ind.Hop, ind.Via = true, hop, l.via
			next = append(next, ind)
		}
	}
	p.frontier = nil
	if len(left) > 0 {
		p.spent = true
		problem(&Warning{Indicator: left[0], Msg: fmt.Sprintf("the budget of %d queries is spent: %d indicators of hop %d left unasked, from this one on", p.MaxQueries, len(left), hop)})
	}
	return next
}
