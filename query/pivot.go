package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Pivot follows the infrastructure behind the given indicators, hop by
// hop: a name's A and AAAA records lead to addresses, its CNAME, NS and MX
// records to names; an address's records lead to the names that pointed to
// it. Only records that passed the selection are followed.
//
// It follows only what a record vetted by type points to (Record.Targets;
// for an address, the rrnames that are host names), never a special-use
// name (localhost, invalid, and the names under them), nor, unless Private,
// an address of a private, loopback, link-local, unspecified or multicast
// range: what it skips is said once in the run (SkipWarning).
//
// It is bounded: MaxQueries caps the queries of the whole run (the given
// indicators are always asked; what the budget leaves unasked is said), an
// indicator whose answer has more than MaxFanout records is a hub (a CDN, a
// parking address) whose records are kept but not followed, nothing is
// asked twice, and the order is that of the input, hop by hop.
type Pivot struct {
	Hops       int      // 1 to 5
	Types      []string // the record types followed (none: A, AAAA, CNAME, NS, MX)
	MaxQueries int
	MaxFanout  int
	Private    bool // follow private, loopback and link-local addresses too

	mu       sync.Mutex
	asked    map[string]bool
	queries  int
	frontier []pivotLead // of the hop being run, by job
	spent    bool        // the budget ran out: no further hop
	skipped  []string    // targets not followed, in the order met
}

// defaultPivotTypes are the record types followed unless Types says.
var defaultPivotTypes = []string{"A", "AAAA", "CNAME", "NS", "MX"}

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
func (p *Pivot) targets(ind pdns.Indicator, r *pdns.Record) []string {
	types := p.Types
	if len(types) == 0 {
		types = defaultPivotTypes
	}
	if !slices.Contains(types, r.RRType) {
		return nil
	}
	if ind.Kind != pdns.FQDN { // an address: the names that pointed to it
		if name, ok := pdns.HostName(r.RRName); ok && name != ind.Value {
			return []string{name}
		}
		return nil
	}
	return slices.DeleteFunc(r.Targets(), func(t string) bool { return t == ind.Value })
}

// follow takes the targets of a finished answer (seq in input order, via
// the indicator it answered), for the next hop.
func (p *Pivot) follow(seq int, via string, targets []string) {
	if len(targets) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frontier = append(p.frontier, pivotLead{seq: seq, via: via, targets: targets})
}

// next is the indicators of the next hop: what the last hop led to, in its
// input order, not asked before, within the budget.
func (p *Pivot) next(hop int, problem func(error)) []pdns.Indicator {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spent { // said once, when it ran out
		p.frontier = nil
		return nil
	}
	slices.SortStableFunc(p.frontier, func(a, b pivotLead) int { return a.seq - b.seq })
	var next []pdns.Indicator
	var left []string
	for _, l := range p.frontier {
		for _, t := range l.targets {
			if p.asked[t] {
				continue
			}
			p.asked[t] = true
			if !p.followable(t) {
				p.skipped = append(p.skipped, t)
				continue
			}
			if p.queries >= p.MaxQueries {
				left = append(left, t)
				continue
			}
			p.queries++
			ind, _ := pdns.ParseIndicator(t) // a target is an indicator already
			ind.Pivoting, ind.Hop, ind.Via = true, hop, l.via
			next = append(next, ind)
		}
	}
	p.frontier = nil
	if len(left) > 0 {
		p.spent = true
		problem(&pdns.Warning{Indicator: left[0], Msg: fmt.Sprintf("the budget of %d queries is spent: %d indicators of hop %d left unasked, from this one on", p.MaxQueries, len(left), hop)})
	}
	return next
}

// followable says whether a target may be asked: not a special-use name
// (RFC 6761: localhost, invalid), nor an address that is not a host on
// the internet, unless Private says so for private, loopback and
// link-local ones.
func (p *Pivot) followable(t string) bool {
	a, err := netip.ParseAddr(t)
	if err != nil {
		for _, special := range []string{"localhost", "invalid"} {
			if t == special || strings.HasSuffix(t, "."+special) {
				return false
			}
		}
		return true
	}
	switch {
	case a.IsUnspecified(), a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return false
	case a.IsPrivate(), a.IsLoopback(), a.IsLinkLocalUnicast():
		return p.Private
	}
	return true
}

// skipWarning says, once at the end of a run, what was not followed.
func (p *Pivot) skipWarning(problem func(error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.skipped) == 0 {
		return
	}
	shown := p.skipped[:min(len(p.skipped), 5)]
	msg := fmt.Sprintf("%d %s not followed: %s", len(p.skipped), map[bool]string{true: "target", false: "targets"}[len(p.skipped) == 1], strings.Join(shown, ", "))
	if len(p.skipped) > len(shown) {
		msg += ", …"
	}
	msg += " (special-use names, and addresses that are no host on the internet; --pivot-private follows private, loopback and link-local ones)"
	problem(&pdns.Warning{Indicator: p.skipped[0], Msg: msg})
	p.skipped = nil
}
