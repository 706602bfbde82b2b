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
	rp.record(q, r).add(r.RRName, r.RRType, rdata, r)
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
				First: timeText(r.First, timeLayout), Last: timeText(r.Last, timeLayout)})
		}
		v.Timeline = timelineSVG(rows, lo, hi, a.q.Kind == pdns.FQDN)
		views = append(views, v)
	}
	var graphSVG template.HTML
	if slices.ContainsFunc(rp.answers, func(a *spanAnswer) bool { return a.q.Pivoting }) {
		graphSVG = rp.graphSVG()
	}
	return reportPage.Execute(rp.w, map[string]any{
		"Made": rp.made.Format("2006-01-02 15:04 UTC"), "Answers": views, "Graph": graphSVG,
	})
}

// svgText escapes text for SVG: what a terminal would act on shown as
// escapes (XML allows no control characters), then XML's specials.
func svgText(s string) string { return template.HTMLEscapeString(Terminal(s)) }

// timelineSVG draws rows on one axis from lo to hi: a line from first to
// last seen, thicker for more sightings a day, a dot for one instant.
func timelineSVG(rows []spanRow, lo, hi int64, byRData bool) template.HTML {
	const labelW, plotW, rowH, top = 260, 640, 16, 22
	height := top + rowH*len(rows) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, labelW+plotW+20, height)
	x := func(t int64) float64 { return labelW + float64(t-lo)/float64(hi-lo)*plotW }
	start, end := time.Unix(lo, 0).UTC(), time.Unix(hi, 0).UTC()
	for y := start.Year() + 1; y <= end.Year(); y++ {
		t := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
		fmt.Fprintf(&b, `<line x1="%.1f" y1="14" x2="%.1f" y2="%d" class="tick"/><text x="%.1f" y="11" class="year">%d</text>`, x(t), x(t), height, x(t)+2, y)
	}
	for i := range rows {
		r := &rows[i]
		y := top + i*rowH + rowH/2
		label := r.Label()
		if !byRData {
			label = r.RRName()
		}
		if len(label) > 60 {
			label = label[:60] + "…"
		}
		fmt.Fprintf(&b, `<text x="4" y="%d" class="label">%s %s</text>`, y+4, svgText(r.RRType()), svgText(label))
		if r.First == 0 && r.Last == 0 {
			continue
		}
		cls := "t-" + strings.ToLower(svgText(r.RRType()))
		if r.Last <= r.First {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="3.5" class="%s"/>`, x(r.First), y, cls)
			continue
		}
		days := math.Max(float64(r.Last-r.First)/86400, 1)
		width := 1.5 + math.Min(6, math.Log2(1+float64(r.Count)/days)*2) // by count a day
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke-width="%.1f" class="%s"/>`, x(r.First), y, math.Max(x(r.Last), x(r.First)+1), y, width, cls)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from escaped text only
}

// graphSVG draws the pivot's graph: one column per hop, nodes in the order
// met, edges as lines; the given indicators bold, hubs grey. The names met
// only through a hub (never asked) are not drawn: the hub says how many.
func (rp *Report) graphSVG() template.HTML {
	g := rp.graph
	asked := map[string]bool{}
	for _, a := range rp.answers {
		asked[a.q.Value] = true
	}
	hub := map[string]bool{}
	for i := range g.nodes.len() {
		n := g.nodes.at(i)
		hub[n.id] = n.hub
	}
	// a node is drawn if asked, or linked to an asked node that is no hub
	drawn := map[string]bool{}
	behind := map[string]int{} // hub -> names drawn only through it
	for i := range g.nodes.len() {
		n := g.nodes.at(i)
		drawn[n.id] = asked[n.id]
	}
	for i := range g.edges.len() {
		source, target, _ := g.ends(g.edges.at(i))
		for _, pair := range [][2]string{{source, target}, {target, source}} {
			if n, other := pair[0], pair[1]; !drawn[n] && asked[other] && !hub[other] {
				drawn[n] = true
			}
		}
	}
	for i := range g.edges.len() {
		source, target, _ := g.ends(g.edges.at(i))
		for _, pair := range [][2]string{{source, target}, {target, source}} {
			if n, other := pair[0], pair[1]; !drawn[n] && hub[other] {
				behind[other]++
				drawn[n+"\x00counted"] = true
			}
		}
	}
	const colW, rowH, nodeW = 230, 26, 200
	col := map[int]int{}
	type pos struct{ x, y int }
	at := map[string]pos{}
	maxRows := 0
	for i := range g.nodes.len() {
		n := g.nodes.at(i)
		if !drawn[n.id] {
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
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, width, height)
	for i := range g.edges.len() {
		source, target, rrtype := g.ends(g.edges.at(i))
		s, okS := at[source]
		t, okT := at[target]
		if !okS || !okT {
			continue
		}
		if t.x < s.x { // draw left to right, whichever way the record points
			s, t = t, s
		}
		x1, x2 := s.x+nodeW, t.x
		if s.x == t.x { // the same column: from its right side, looping out
			x1, x2 = s.x+nodeW, t.x+nodeW
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="edge"><title>%s</title></line>`, x1, s.y+9, x2, t.y+9, svgText(rrtype+" "+source+" → "+target))
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
			label += fmt.Sprintf(" (hub, %d more)", behind[n.id])
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
.edge { stroke: #999; } .node { fill: #fff; stroke: #555; } .address { fill: #eef; }
.given { stroke-width: 2.5; } .hub { fill: #ddd; } .nodelabel { fill: #222; }
.more { color: #666; font-style: italic; }
</style>
</head>
<body>
<h1>circl-pdns report</h1>
<p class="summary">{{len .Answers}} indicators, made {{.Made}}. Times are UTC.</p>
{{if .Graph}}<h2>Pivot graph</h2>
{{.Graph}}{{end}}
{{range .Answers}}
<h2>{{.Query}} {{with .Note}}<span class="note">{{.}}</span>{{end}}</h2>
<p class="summary">{{.Size}}; {{if .First}}first seen {{.First}}, last seen {{.Last}}; {{end}}types: {{or .Types "none"}}.</p>
{{if .Rows}}{{.Timeline}}
<table>
<thead><tr><th>rrname</th><th>type</th><th>rdata</th><th>count</th><th>first seen</th><th>last seen</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.RRName}}</td><td>{{.RRType}}</td><td class="rdata">{{.RData}}</td><td class="count">{{.Count}}</td><td>{{.First}}</td><td>{{.Last}}</td></tr>
{{end}}</tbody>
</table>
{{if .More}}<p class="more">and {{.More}} more rows, with fewer sightings.</p>{{end}}
{{end}}{{end}}
</body>
</html>
`))
