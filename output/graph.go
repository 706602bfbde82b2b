package output

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// graph is what the records of a run say about the infrastructure: a node
// for each name and address, an edge from a record's rrname (a host name)
// to each of its targets (pdns.Record.Targets: what its rdata points to, read
// strictly by type), labelled with the type and the times. The given indicators and the hubs (answers of
// more than --max-fanout records, as the engine says) are marked. It is written whole at
// the end of the run, by the dot and Cytoscape writers.
//
// Nodes and edges are values in slices, found through openIndexes; an edge
// names its ends by the nodes' own strings. Only the Cytoscape writer
// needs each edge's record, which goes to a spill as it comes (read back
// in order at the end), so that no graph holds the records themselves.
type graph struct {
	nodes     chunked[graphNode]
	nodeIndex openIndex
	edges     chunked[graphEdge]
	edgeIndex openIndex
	records   *spill // with keepRecords: each edge's record, in edge order
	types     []string
	sources   sourceSet // the sources records came from (several sources)
	texts     texts     // the nodes' ids
	buf       []byte
}

type graphNode struct {
	id      string
	hop     int32
	address bool
	given   bool
	hub     bool
	asked   bool   // its answer is in the run
	srcs    uint64 // the sources of its records (sourceSet)
}

type graphEdge struct {
	from, to, rrtype int32 // nodes, and types
	recordLen        int32 // its record's bytes in graph.records
	first, last      int64
	count            int64
	srcs             uint64 // as graphNode's
}

// ends are the ids of an edge's nodes, and its type.
func (g *graph) ends(e *graphEdge) (source, target, rrtype string) {
	return g.nodes.at(int(e.from)).id, g.nodes.at(int(e.to)).id, g.types[e.rrtype]
}

func newGraph() *graph {
	return &graph{nodeIndex: newOpenIndex(), edgeIndex: newOpenIndex()}
}

// keepRecords has the graph keep each edge's record, for the Cytoscape writer.
func (g *graph) keepRecords() *graph {
	g.records = &spill{}
	return g
}

// node returns the index of the node of id, made with hop the first time.
func (g *graph) node(id string, hop int) int32 {
	i, slot := g.nodeIndex.find(g.nodeIndex.hash(id), func(i int) bool { return g.nodes.at(i).id == id },
		g.nodes.len(), func(i int) uint64 { return g.nodeIndex.hash(g.nodes.at(i).id) })
	if i >= 0 {
		return int32(i)
	}
	_, err := netip.ParseAddr(id)
	g.nodeIndex.put(slot, g.nodes.len())
	g.nodes.append(graphNode{id: g.texts.clone(id), address: err == nil, hop: int32(hop)})
	return int32(g.nodes.len() - 1)
}

func (g *graph) record(q pdns.Indicator, r *pdns.Record) error {
	g.nodes.at(int(g.node(q.Value, q.Hop))).given = q.Hop == 0
	targets := r.Targets()
	name, ok := pdns.HostName(r.RRName)
	if len(targets) == 0 || !ok { // no edge but between names and addresses
		return nil
	}
	from := g.node(name, q.Hop+1)
	srcs := g.sources.bits(r)
	g.nodes.at(int(from)).srcs |= srcs
	rrtype := int32(slices.Index(g.types, r.RRType))
	if rrtype < 0 {
		rrtype = int32(len(g.types))
		g.types = append(g.types, strings.Clone(r.RRType))
	}
	for _, target := range targets {
		to := g.node(target, q.Hop+1)
		g.nodes.at(int(to)).srcs |= srcs
		i, slot := g.edgeIndex.find(edgeHash(&g.edgeIndex, from, to, rrtype), func(i int) bool {
			e := g.edges.at(i)
			return e.from == from && e.to == to && e.rrtype == rrtype
		}, g.edges.len(), func(i int) uint64 {
			e := g.edges.at(i)
			return edgeHash(&g.edgeIndex, e.from, e.to, e.rrtype)
		})
		if i >= 0 { // the same edge again (from another answer, or source)
			e := g.edges.at(i)
			e.first, e.last = earliest(e.first, r.First()), max(e.last, r.Last())
			e.srcs |= srcs
			continue
		}
		e := graphEdge{from: from, to: to, rrtype: rrtype, first: r.First(), last: r.Last(), count: r.Count, srcs: srcs}
		if g.records != nil {
			g.buf = r.AppendJSON(g.buf[:0])
			e.recordLen = int32(len(g.buf))
			if _, err := g.records.Write(g.buf); err != nil {
				return err
			}
		}
		g.edgeIndex.put(slot, g.edges.len())
		g.edges.append(e)
	}
	return nil
}

func edgeHash(x *openIndex, from, to, rrtype int32) uint64 {
	var b [12]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(from))
	binary.LittleEndian.PutUint32(b[4:], uint32(to))
	binary.LittleEndian.PutUint32(b[8:], uint32(rrtype))
	return x.hash(string(b[:]))
}

// end closes an answer: a hub (as the engine decided) is marked.
func (g *graph) end(q pdns.Indicator) {
	n := g.nodes.at(int(g.node(q.Value, q.Hop)))
	n.given = n.given || q.Hop == 0
	n.hub = n.hub || q.Hub
	n.asked = true
}

// fold decides what a drawing of the graph shows, so that a hub (a
// parking address, a CDN) is one node, not a ribbon of hundreds: the nodes
// asked (whose answers are in the run), and those linked to an asked node
// that is no hub. A node met only through a hub is folded into it: behind
// counts them, each once.
func (g *graph) fold() (drawn []bool, behind []int) {
	n := g.nodes.len()
	drawn, behind = make([]bool, n), make([]int, n)
	for i := range n {
		drawn[i] = g.nodes.at(i).asked
	}
	pairs := func(e *graphEdge) [2][2]int32 { return [2][2]int32{{e.from, e.to}, {e.to, e.from}} }
	for i := range g.edges.len() {
		for _, p := range pairs(g.edges.at(i)) {
			if other := g.nodes.at(int(p[1])); !drawn[p[0]] && other.asked && !other.hub {
				drawn[p[0]] = true
			}
		}
	}
	counted := make([]bool, n)
	for i := range g.edges.len() {
		for _, p := range pairs(g.edges.at(i)) {
			if !drawn[p[0]] && !counted[p[0]] && g.nodes.at(int(p[1])).hub {
				behind[p[1]]++
				counted[p[0]] = true
			}
		}
	}
	return drawn, behind
}

// graphWriter gathers the graph of the run, for a writer that writes it
// whole when the run ends.
type graphWriter struct {
	w io.Writer
	g *graph
}

func (gw graphWriter) Record(q pdns.Indicator, r *pdns.Record) error { return gw.g.record(q, r) }
func (gw graphWriter) End(q pdns.Indicator) error                    { gw.g.end(q); return nil }

// Dot writes the graph of the run for Graphviz (dot -Tsvg): names as
// ellipses, addresses as boxes, the given indicators with a double
// outline, hubs filled grey; edges labelled with the type and the dates.
type Dot struct{ graphWriter }

// NewDot returns a DOT writer to w.
func NewDot(w io.Writer, o Options) *Dot { return &Dot{graphWriter{w: w, g: newGraph()}} }

func (d *Dot) Close() error {
	if d.g.nodes.len() == 0 { // given no answer (--new, nothing new): nothing
		return nil
	}
	drawn, behind := d.g.fold() // a hub is one node, as in the report
	bw := bufio.NewWriter(d.w)
	fmt.Fprintln(bw, "digraph pdns {")
	fmt.Fprintln(bw, `  graph [rankdir=LR, fontname="Helvetica"];`)
	fmt.Fprintln(bw, `  node [fontname="Helvetica", fontsize=10];`)
	fmt.Fprintln(bw, `  edge [fontname="Helvetica", fontsize=8];`)
	for i := range d.g.nodes.len() {
		n := d.g.nodes.at(i)
		if !drawn[i] {
			continue
		}
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
			hub := "hub"
			if behind[i] > 0 {
				hub = fmt.Sprintf("hub, %d more", behind[i])
			}
			attrs = append(attrs, "style=filled", `fillcolor="#dddddd"`, "xlabel="+dotQuote(hub))
		}
		fmt.Fprintf(bw, "  %s [%s];\n", dotQuote(n.id), strings.Join(attrs, ", "))
	}
	for i := range d.g.edges.len() {
		e := d.g.edges.at(i)
		if !drawn[e.from] || !drawn[e.to] {
			continue // to a name folded into its hub
		}
		source, target, label := d.g.ends(e)
		if ds := dates(e.first, e.last); ds != "" {
			label += `\n` + ds
		}
		if e.srcs != 0 { // several sources: which had it
			label += `\n` + strings.Trim(dotQuote("from "+strings.Join(d.g.sources.names(e.srcs), ", ")), `"`)
		}
		fmt.Fprintf(bw, "  %s -> %s [label=\"%s\"];\n", dotQuote(source), dotQuote(target), label)
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
	return &Cytoscape{graphWriter{w: w, g: newGraph().keepRecords()}}
}

func (c *Cytoscape) Close() error {
	if c.g.nodes.len() == 0 { // given no answer (--new, nothing new): nothing
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
	for i := range c.g.nodes.len() {
		n := c.g.nodes.at(i)
		kind := "name"
		if n.address {
			kind = "address"
		}
		data := map[string]any{"id": n.id, "label": n.id, "kind": kind, "given": n.given, "hub": n.hub, "hop": n.hop}
		if c.g.sources.any() { // several sources: those whose records drew it
			data["sources"] = c.g.sources.names(n.srcs)
		}
		if err := item(i == 0, map[string]any{"data": data}); err != nil {
			return err
		}
	}
	bw.WriteString("\n],\n" + `"edges":[` + "\n")
	records, err := c.g.records.Reader()
	if err != nil {
		return err
	}
	defer c.g.records.Close()
	rb := bufio.NewReaderSize(records, 64<<10)
	for i := range c.g.edges.len() {
		e := c.g.edges.at(i)
		n := int(e.recordLen)
		if cap(c.g.buf) < n {
			c.g.buf = make([]byte, n)
		}
		text := c.g.buf[:n:n]
		if _, err := io.ReadFull(rb, text); err != nil {
			return err
		}
		r, err := pdns.DecodeRecord(text)
		if err != nil {
			return err // it is our own JSON
		}
		data := map[string]any{}
		for _, f := range r.Members() { // the record as received, numbers as numbers
			data[f.Key] = json.RawMessage(f.Value)
		}
		data["id"] = "e" + strconv.Itoa(i+1)
		data["source"], data["target"], data["label"] = c.g.ends(e) // Cytoscape's: the edge's ends
		if c.g.sources.any() {                                      // several sources: those that had the record
			data["sources"] = c.g.sources.names(e.srcs)
		}
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
