package output

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query"
)

// graph is what the records of a run say about the infrastructure: a node
// for each name and address, an edge from a record's rrname to each host
// its rdata names (A, AAAA, CNAME, NS, MX, PTR, DNAME, SRV), labelled with
// the type and the times. The given indicators and the hubs (answers of
// more than Options.HubOver records) are marked. It is written whole at
// the end of the run, by the dot and Cytoscape writers.
type graph struct {
	o     Options
	nodes []*graphNode
	index map[string]*graphNode
	edges []*graphEdge
	seen  map[string]*graphEdge // source, target, type
	count int                   // records of the answer being read
}

type graphNode struct {
	id      string
	address bool
	given   bool
	hub     bool
	hop     int
}

type graphEdge struct {
	source, target, rrtype string
	first, last            int64
	count                  int64
	fields                 []query.Field // the record, as received
}

func newGraph(o Options) *graph {
	return &graph{o: o, index: map[string]*graphNode{}, seen: map[string]*graphEdge{}}
}

func (g *graph) node(id string, hop int) *graphNode {
	if n, ok := g.index[id]; ok {
		return n
	}
	_, err := netip.ParseAddr(id)
	n := &graphNode{id: id, address: err == nil, hop: hop}
	g.index[id] = n
	g.nodes = append(g.nodes, n)
	return n
}

func (g *graph) record(q query.Indicator, r *query.Record) {
	g.count++
	g.node(q.Value, q.Hop).given = q.Hop == 0
	targets := query.PointsTo(r)
	if len(targets) == 0 {
		return
	}
	from := strings.ToLower(strings.TrimSuffix(r.RRName, "."))
	if ind, err := query.ParseIndicator(from); err == nil {
		from = ind.Value
	}
	g.node(from, q.Hop+1)
	for _, to := range targets {
		g.node(to, q.Hop+1)
		key := from + "\x00" + to + "\x00" + r.RRType
		if e, ok := g.seen[key]; ok { // the same edge again (from another answer)
			e.first, e.last = earliest(e.first, r.First()), max(e.last, r.Last())
			continue
		}
		e := &graphEdge{source: from, target: to, rrtype: r.RRType, first: r.First(), last: r.Last(), count: r.Count, fields: r.Members()}
		g.seen[key] = e
		g.edges = append(g.edges, e)
	}
}

// end closes an answer: one of more than HubOver records is a hub.
func (g *graph) end(q query.Indicator) {
	n := g.node(q.Value, q.Hop)
	n.given = n.given || q.Hop == 0
	if g.o.HubOver > 0 && g.count > g.o.HubOver {
		n.hub = true
	}
	g.count = 0
}

func dates(first, last int64) string {
	f, l := timeText(first, dateLayout), timeText(last, dateLayout)
	switch {
	case f == "" && l == "":
		return ""
	case f == l:
		return f
	}
	return f + " .. " + l
}

// graphWriter gathers the graph of the run, for a writer that writes it
// whole when the run ends.
type graphWriter struct {
	w io.Writer
	g *graph
}

func (gw graphWriter) Record(q query.Indicator, r *query.Record) error { gw.g.record(q, r); return nil }
func (gw graphWriter) End(q query.Indicator) error                     { gw.g.end(q); return nil }

// Dot writes the graph of the run for Graphviz (dot -Tsvg): names as
// ellipses, addresses as boxes, the given indicators with a double
// outline, hubs filled grey; edges labelled with the type and the dates.
type Dot struct{ graphWriter }

// NewDot returns a DOT writer to w.
func NewDot(w io.Writer, o Options) *Dot { return &Dot{graphWriter{w: w, g: newGraph(o)}} }

func (d *Dot) Close() error {
	if len(d.g.nodes) == 0 { // given no answer (--new, nothing new): nothing
		return nil
	}
	bw := bufio.NewWriter(d.w)
	fmt.Fprintln(bw, "digraph pdns {")
	fmt.Fprintln(bw, `  graph [rankdir=LR, fontname="Helvetica"];`)
	fmt.Fprintln(bw, `  node [fontname="Helvetica", fontsize=10];`)
	fmt.Fprintln(bw, `  edge [fontname="Helvetica", fontsize=8];`)
	for _, n := range d.g.nodes {
		attrs := []string{"label=" + dotQuote(n.id)}
		if n.address {
			attrs = append(attrs, "shape=box")
		} else {
			attrs = append(attrs, "shape=ellipse")
		}
		if n.given {
			attrs = append(attrs, "peripheries=2", "penwidth=2")
		}
		if n.hub {
			attrs = append(attrs, "style=filled", `fillcolor="#dddddd"`, "xlabel="+dotQuote("hub"))
		}
		fmt.Fprintf(bw, "  %s [%s];\n", dotQuote(n.id), strings.Join(attrs, ", "))
	}
	for _, e := range d.g.edges {
		label := e.rrtype
		if ds := dates(e.first, e.last); ds != "" {
			label += `\n` + ds
		}
		fmt.Fprintf(bw, "  %s -> %s [label=\"%s\"];\n", dotQuote(e.source), dotQuote(e.target), label)
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// dotQuote is s as a DOT string: inert on a terminal (Terminal), quotes and
// backslashes escaped.
func dotQuote(s string) string {
	s = Terminal(s)
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

// Cytoscape writes the graph of the run as Cytoscape.js elements JSON:
// {"elements": {"nodes": [{"data": {...}}], "edges": [{"data": {...}}]}},
// every record field on its edges.
type Cytoscape struct{ graphWriter }

// NewCytoscape returns a Cytoscape.js writer to w.
func NewCytoscape(w io.Writer, o Options) *Cytoscape {
	return &Cytoscape{graphWriter{w: w, g: newGraph(o)}}
}

func (c *Cytoscape) Close() error {
	if len(c.g.nodes) == 0 { // given no answer (--new, nothing new): nothing
		return nil
	}
	bw := bufio.NewWriter(c.w)
	// element by element, a line each: the graph is never held twice
	item := func(first bool, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteString(",\n")
		}
		_, err = bw.Write(safeJSON(nil, b))
		return err
	}
	bw.WriteString(`{"elements":{"nodes":[` + "\n")
	for i, n := range c.g.nodes {
		kind := "name"
		if n.address {
			kind = "address"
		}
		if err := item(i == 0, map[string]any{"data": map[string]any{
			"id": n.id, "label": n.id, "kind": kind, "given": n.given, "hub": n.hub, "hop": n.hop,
		}}); err != nil {
			return err
		}
	}
	bw.WriteString("\n],\n" + `"edges":[` + "\n")
	for i, e := range c.g.edges {
		data := map[string]any{}
		for _, f := range e.fields { // the record as received, numbers as numbers
			data[f.Key] = json.RawMessage(f.Value)
		}
		data["id"] = "e" + strconv.Itoa(i+1)
		data["source"], data["target"], data["label"] = e.source, e.target, e.rrtype
		if e.first != 0 {
			data["first_seen"] = time.Unix(e.first, 0).UTC().Format(time.RFC3339)
		}
		if e.last != 0 {
			data["last_seen"] = time.Unix(e.last, 0).UTC().Format(time.RFC3339)
		}
		if err := item(i == 0, map[string]any{"data": data}); err != nil {
			return err
		}
	}
	bw.WriteString("\n]}}\n")
	return bw.Flush()
}
