package output

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Report writes one self-contained HTML page for the run (inline CSS and
// SVG; no script, font or style from the network: it opens offline): for
// each indicator a summary, an SVG timeline and its records, and with
// --pivot the graph. Everything from a record is escaped by html/template.
// Past reportRows rows an answer shows its busiest rows (by count) and says
// how many more there are, so that the page stays small (under 5 MB for
// 200,000 records).
type Report struct {
	w     io.Writer
	o     Options
	spans // one row per record (rrname, type, rdata)
	graph *graph
	made  time.Time
}

// reportRows is the most rows an answer shows, in its timeline and table.
const reportRows = 500

// NewReport returns a report writer to w.
func NewReport(w io.Writer, o Options) *Report {
	return &Report{w: w, o: o, graph: newGraph(), made: time.Now().UTC()}
}

func (rp *Report) Record(q pdns.Indicator, r *pdns.Record) error {
	if q.Pivoting { // the graph is drawn only for a pivot
		if err := rp.graph.record(q, r); err != nil {
			return err
		}
	}
	rdata := strings.Join(r.RData, " ")
	rp.record(q, r).add(r.RRName, r.RRType, rdata, r, rp.sources.bits(r))
	return nil
}

func (rp *Report) End(q pdns.Indicator) error {
	if q.Pivoting {
		rp.graph.end(q)
	}
	rp.end(q)
	return nil
}

// the page's view of an answer
type reportView struct {
	Query, Note        string
	Records, Distinct  int
	Size               string
	First, Last, Types string
	Timeline           template.HTML
	Rows               []reportRowView
	More               string // how many rows are left out, if any
}

type reportRowView struct {
	RRName, RRType, RData, Count, First, Last string
	Sources                                   string // in a run of several
}

func (rp *Report) Close() error {
	lo, hi := rp.bounds()
	var views []reportView
	for _, a := range rp.answers {
		v := reportView{Query: a.q.Value, Note: strings.TrimSpace(pivotNote(a.q)), Records: a.records, Distinct: a.rows.len(), Types: strings.Join(a.types, ", ")}
		v.First, v.Last = timeText(a.first, timeLayout), timeText(a.last, timeLayout)
		v.Size = Plural(a.records, "record") + ", " + Grouped(a.rows.len()) + " distinct"
		rows := make([]spanRow, min(a.rows.len(), reportRows))
		if a.rows.len() > reportRows { // the busiest ones
			order := a.sorted(func(x, y *spanRow) int { return cmp.Compare(y.Count, x.Count) })
			v.More = Grouped(len(order) - reportRows)
			for i := range rows {
				rows[i] = *a.rows.at(int(order[i]))
			}
		} else {
			for i := range rows {
				rows[i] = *a.rows.at(i)
			}
		}
		slices.SortStableFunc(rows, func(x, y spanRow) int { return cmp.Compare(x.First, y.First) })
		for i := range rows {
			r := &rows[i]
			count := ""
			if r.Count != 0 {
				count = strconv.FormatInt(r.Count, 10)
			}
			v.Rows = append(v.Rows, reportRowView{RRName: Terminal(r.RRName()), RRType: Terminal(r.RRType()), RData: Terminal(r.Label()), Count: count,
				First: timeText(r.First, timeLayout), Last: timeText(r.Last, timeLayout), Sources: Terminal(strings.Join(rp.sources.names(r.Srcs), ", "))})
		}
		v.Timeline = timelineSVG(rows, lo, hi, a.q.Kind == pdns.FQDN)
		views = append(views, v)
	}
	var graphSVG template.HTML
	if slices.ContainsFunc(rp.answers, func(a *spanAnswer) bool { return a.q.Pivoting }) {
		graphSVG = rp.graphSVG()
	}
	var sources []string // the legend of the source column
	if rp.o.Sources {
		for _, name := range rp.sources.list {
			sources = append(sources, Terminal(name))
		}
	}
	return reportPage.Execute(rp.w, map[string]any{
		"Made": rp.made.Format("2006-01-02 15:04 UTC"), "Answers": views, "Graph": graphSVG, "Indicators": Plural(len(views), "indicator"),
		"Several": rp.o.Sources, "Sources": strings.Join(sources, ", "),
	})
}

// svgText escapes text for SVG: what a terminal would act on shown as
// escapes (XML allows no control characters), then XML's specials.
func svgText(s string) string { return template.HTMLEscapeString(Terminal(s)) }

// timelineSVG draws rows on one axis from lo to hi: a line from first to
// last seen, thicker for more sightings a day, a dot for one instant; each
// with a tooltip (its title) that says it all, and a label cut to its room.
func timelineSVG(rows []spanRow, lo, hi int64, byRData bool) template.HTML {
	const labelW, plotW, rowH, top = 260, 640, 16, 22
	const charW = 6.7              // of the 11px monospace font
	labelChars := labelW/charW - 2 // "TYPE label" within labelW, a little gap after it
	height := top + rowH*len(rows) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, labelW+plotW+20, height)
	x := func(t int64) float64 { return labelW + float64(t-lo)/float64(hi-lo)*plotW }
	marks, _ := ticks(lo, hi, func(label string) int { return int(plotW / (float64(len(label))*charW + 12)) })
	for _, tk := range marks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="14" x2="%.1f" y2="%d" class="tick"/><text x="%.1f" y="11" class="year">%s</text>`, x(tk.at), x(tk.at), height, x(tk.at)+2, tk.label)
	}
	for i := range rows {
		r := &rows[i]
		y := top + i*rowH + rowH/2
		label := r.Label()
		if !byRData {
			label = r.RRName()
		}
		title := svgText(r.RRType() + " " + label + ": " + timeText(r.First, timeLayout) + " .. " + timeText(r.Last, timeLayout))
		if r.Count != 0 {
			title += svgText(", count " + strconv.FormatInt(r.Count, 10))
		}
		text := cut(Terminal(r.RRType()+" "+label), int(labelChars))
		fmt.Fprintf(&b, `<text x="4" y="%d" class="label">%s<title>%s</title></text>`, y+4, template.HTMLEscapeString(text), title)
		if r.First == 0 && r.Last == 0 {
			continue
		}
		cls := "t-" + strings.ToLower(svgText(r.RRType()))
		if r.Last <= r.First {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="3.5" class="%s"><title>%s</title></circle>`, x(r.First), y, cls, title)
			continue
		}
		days := math.Max(float64(r.Last-r.First)/86400, 1)
		width := 1.5 + math.Min(6, math.Log2(1+float64(r.Count)/days)*2) // by count a day
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke-width="%.1f" class="%s"><title>%s</title></line>`, x(r.First), y, math.Max(x(r.Last), x(r.First)+1), y, width, cls, title)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from escaped text only
}

// graphSVG draws the pivot's graph: one column per hop, nodes in the order
// met, edges as lines; the given indicators bold, hubs grey. The names met
// only through a hub (never asked) are not drawn: the hub says how many.
func (rp *Report) graphSVG() template.HTML {
	g := rp.graph
	drawn, behind := g.fold()
	const colW, rowH, nodeW = 290, 26, 200 // a gap of 90 between columns, for the edges and their types
	col := map[int]int{}
	type pos struct{ x, y int }
	at := map[string]pos{}
	maxRows := 0
	for i := range g.nodes.len() {
		n := g.nodes.at(i)
		if !drawn[i] {
			continue
		}
		h := int(n.hop)
		if n.given {
			h = 0
		}
		at[n.id] = pos{10 + h*colW, 10 + col[h]*rowH}
		col[h]++
		maxRows = max(maxRows, col[h])
	}
	width := 20 + len(col)*colW
	height := 20 + maxRows*rowH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, width+60, height)
	// an arrow at the end of each edge: from the record's name to what it points to
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>`)
	for i := range g.edges.len() {
		source, target, rrtype := g.ends(g.edges.at(i))
		s, okS := at[source]
		t, okT := at[target]
		if !okS || !okT {
			continue
		}
		y1, y2 := s.y+9, t.y+9
		var x1, x2 int
		var path string
		switch {
		case t.x > s.x: // to the right
			x1, x2 = s.x+nodeW, t.x
			path = fmt.Sprintf("M %d %d L %d %d", x1, y1, x2, y2)
		case t.x < s.x: // back to the left
			x1, x2 = s.x, t.x+nodeW
			path = fmt.Sprintf("M %d %d L %d %d", x1, y1, x2, y2)
		default: // the same column: out on the right, and back
			x1, x2 = s.x+nodeW, t.x+nodeW
			bulge := 30 + abs(y2-y1)/4
			path = fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", x1, y1, x1+bulge, y1, x2+bulge, y2, x2, y2)
		}
		title := svgText(rrtype + ": " + source + " → " + target)
		fmt.Fprintf(&b, `<path d="%s" class="edge" marker-end="url(#arrow)"><title>%s</title></path>`, path, title)
		lx, ly := x1+(x2-x1)*3/4, y1+(y2-y1)*3/4-2 // near the end it points to: apart from its siblings
		if x1 == x2 {
			lx += 24 + abs(y2-y1)/8
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="edgelabel">%s<title>%s</title></text>`, lx, ly, svgText(rrtype), title)
	}
	for i := range g.nodes.len() {
		n := g.nodes.at(i)
		p, ok := at[n.id]
		if !ok {
			continue
		}
		cls := "node"
		if n.address {
			cls += " address"
		}
		if n.given {
			cls += " given"
		}
		if n.hub {
			cls += " hub"
		}
		label := n.id
		if n.hub {
			label += fmt.Sprintf(" (hub, %d more)", behind[i])
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="18" rx="4" class="%s"/><text x="%d" y="%d" class="nodelabel">%s</text>`, p.x, p.y, nodeW, cls, p.x+6, p.y+13, svgText(label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var reportPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>circl-pdns report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.summary { color: #444; } .note { color: #666; font-weight: normal; }
table { border-collapse: collapse; font: 12px ui-monospace, monospace; }
th, td { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
td.count { text-align: right; } td.rdata { max-width: 40em; overflow-wrap: anywhere; }
svg { display: block; margin: 1em 0; font: 11px ui-monospace, monospace; }
.tick { stroke: #ddd; } .year { fill: #888; } .label { fill: #333; }
line[class^="t-"], circle[class^="t-"] { stroke: #777; fill: #777; stroke-linecap: round; }
line.t-a, circle.t-a { stroke: #2a7; fill: #2a7; } line.t-aaaa, circle.t-aaaa { stroke: #0aa; fill: #0aa; }
line.t-cname, circle.t-cname { stroke: #c90; fill: #c90; } line.t-ns, circle.t-ns { stroke: #a3a; fill: #a3a; }
line.t-mx, circle.t-mx { stroke: #36c; fill: #36c; } line.t-txt, circle.t-txt { stroke: #999; fill: #999; }
line.t-soa, circle.t-soa { stroke: #c33; fill: #c33; } line.t-ptr, circle.t-ptr { stroke: #6a3; fill: #6a3; }
.edge { stroke: #999; fill: none; } .arrowhead { fill: #999; } .edgelabel { fill: #777; font-size: 9px; text-anchor: middle; } .node { fill: #fff; stroke: #555; } .address { fill: #eef; }
.given { stroke-width: 2.5; } .hub { fill: #ddd; } .nodelabel { fill: #222; }
.more { color: #666; font-style: italic; }
</style>
</head>
<body>
<h1>circl-pdns report</h1>
<p class="summary">{{.Indicators}}, made {{.Made}}. Times are UTC.</p>
{{if .Several}}<p class="summary">Sources: {{or .Sources "none answered"}}. The source column says which had each record.</p>{{end}}
{{if .Graph}}<h2>Pivot graph</h2>
{{.Graph}}{{end}}
{{range .Answers}}
<h2>{{.Query}} {{with .Note}}<span class="note">{{.}}</span>{{end}}</h2>
<p class="summary">{{.Size}}; {{if .First}}first seen {{.First}}, last seen {{.Last}}; {{end}}types: {{or .Types "none"}}.</p>
{{if .Rows}}{{.Timeline}}
<table>
<thead><tr><th>rrname</th><th>type</th><th>rdata</th><th>count</th><th>first seen</th><th>last seen</th>{{if $.Several}}<th>source</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.RRName}}</td><td>{{.RRType}}</td><td class="rdata">{{.RData}}</td><td class="count">{{.Count}}</td><td>{{.First}}</td><td>{{.Last}}</td>{{if $.Several}}<td>{{.Sources}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{if .More}}<p class="more">and {{.More}} more rows, with fewer sightings.</p>{{end}}
{{end}}{{end}}
</body>
</html>
`))

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
