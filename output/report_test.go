package output

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// checkReport parses a report as a browser would and fails on a script, a
// source or link from outside, or an SVG that is not well-formed; it
// returns the page's text.
func checkReport(t *testing.T, page []byte) string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "script" || n.Data == "iframe" || n.Data == "object" || n.Data == "embed" || n.Data == "link" {
				t.Errorf("a <%s> element", n.Data)
			}
			for _, a := range n.Attr {
				if a.Key == "src" || a.Key == "href" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
				}
			}
		}
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	rest := string(page)
	svgs := 0
	for {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			t.Fatal("an <svg> without its end")
		}
		svg := rest[i : i+j+len("</svg>")]
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("SVG %d is not well-formed: %v", svgs+1, err)
				break
			}
		}
		svgs++
		rest = rest[i+j:]
	}
	if svgs == 0 {
		t.Error("no SVG")
	}
	return text.String()
}

// reportOf is the report of answers; with pivoting, as a --pivot run's
// (its given indicators, at hop 0).
func reportOf(t *testing.T, o Options, pivoting bool, answers map[string][]pdns.Record, order ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewReport(&buf, o)
	for _, q := range order {
		i := ind(t, q)
		i.Pivoting = pivoting
		for _, r := range answers[q] {
			w.Record(i, &r)
		}
		w.End(i)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReport(t *testing.T) {
	t.Parallel()
	recs := load(t, "records.ndjson")
	page := reportOf(t, Options{}, true, map[string][]pdns.Record{
		"www.threatq.com": recs[:2], "threatq.com": recs[2:4], "evil.example": load(t, "hostile.ndjson"),
	}, "www.threatq.com", "threatq.com", "nothing.example", "evil.example")
	text := checkReport(t, page)
	for _, want := range []string{"www.threatq.com", "2 records, 2 distinct", "types: A, CNAME.", "nothing.example", "0 records", "types: none.", "Pivot graph", "v=spf1 include:_spf.google.com ~all"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the page", want)
		}
	}
}

// Everything from a record is text on the page, never markup.
func TestReportInjection(t *testing.T) {
	t.Parallel()
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	r := pdns.Record{RRName: "x.example", RRType: "TXT", RData: []string{evil}, TimeFirst: 1700000000, TimeLast: 1700003600, Count: 1}
	r2 := pdns.Record{RRName: `"><script>alert(3)</script>`, RRType: "CNAME", RData: []string{`</svg><script>alert(4)</script>`}, TimeFirst: 1700000000, TimeLast: 1700000000}
	page := reportOf(t, Options{}, true, map[string][]pdns.Record{"x.example": {r, r2}}, "x.example")
	text := checkReport(t, page)
	if !strings.Contains(text, evil) {
		t.Errorf("the rdata is not on the page as text")
	}
	if bytes.Contains(page, []byte("<script")) || bytes.Contains(page, []byte("<img")) {
		t.Errorf("markup from a record reached the page")
	}
}

// 200,000 records of one name stay a small page: the busiest 500 rows.
func TestReportSize(t *testing.T) {
	t.Parallel()
	recs := make([]pdns.Record, 200000)
	for i := range recs {
		recs[i] = pdns.Record{RRName: "big.example", RRType: "A", RData: []string{fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)},
			TimeFirst: 1400000000 + int64(i)*60, TimeLast: 1500000000 + int64(i)*60, Count: int64(i%997 + 1)}
	}
	page := reportOf(t, Options{}, false, map[string][]pdns.Record{"big.example": recs}, "big.example")
	if len(page) > 5<<20 {
		t.Errorf("%d MB for 200,000 records", len(page)>>20)
	}
	text := checkReport(t, page)
	if !strings.Contains(text, "and 199,500 more rows") || !strings.Contains(text, "200,000 records, 200,000 distinct") {
		t.Errorf("the page does not say what it leaves out")
	}
	t.Logf("%d KB", len(page)>>10)
}
