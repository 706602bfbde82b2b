package output

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// TestTimelineAxis: whatever the span (an hour to the whole of 1970..9999)
// and the width, every tick of the axis has its label, every label its
// tick, the labels go forward in time, and the axis fits its width.
func TestTimelineAxis(t *testing.T) {
	t.Parallel()
	at := func(s string) int64 { tm, _ := time.Parse(time.RFC3339, s); return tm.Unix() }
	spans := [][2]int64{
		{at("2023-11-14T22:13:20Z"), at("2023-11-14T23:13:20Z")},
		{at("2023-11-14T22:13:20Z"), at("2023-11-15T22:13:20Z")},
		{at("2023-11-14T00:00:00Z"), at("2023-12-24T00:00:00Z")},
		{at("2017-05-23T07:19:43Z"), at("2019-06-25T10:09:40Z")},
		{at("2015-01-01T00:00:00Z"), at("2023-12-31T00:00:00Z")},
		{at("1970-01-01T00:00:01Z"), pdns.MaxTime},
	}
	tickAndLabel := regexp.MustCompile(`┼([0-9:-]+)`)
	for _, sp := range spans {
		for _, w := range []int{10, 22, 36, 60, 100, 200} {
			axis := (&Timeline{}).axis(sp[0], sp[1], w)
			if n := runewidth.StringWidth(axis); n != w {
				t.Errorf("%v, %d wide: the axis is %d wide: %s", sp, w, n, axis)
			}
			found := tickAndLabel.FindAllStringSubmatch(axis, -1)
			if strings.Count(axis, "┼") != len(found) || len(found) == 0 {
				t.Errorf("%v, %d wide: a tick without its label, or none: %s", sp, w, axis)
			}
			for i := 1; i < len(found); i++ {
				if found[i][1] <= found[i-1][1] && !strings.Contains(found[i][1], ":") && !strings.Contains(found[i-1][1], ":") {
					t.Errorf("%v, %d wide: %s after %s: %s", sp, w, found[i][1], found[i-1][1], axis)
				}
			}
		}
	}
	if typeColor["SOA"] == typeColor["TXT"] {
		t.Error("SOA and TXT share a colour")
	}
}

// TestReportPictures: a label never runs over its bar (cut to its room,
// whole in its tooltip), every bar has a tooltip, a span of one day has
// ticks, and the pivot graph's edges carry their type and an arrow.
func TestReportPictures(t *testing.T) {
	t.Parallel()
	long := pdns.Record{RRName: "q.example", RRType: "SOA", RData: []string{"ns-cloud-a1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300"}, TimeFirst: 1700000000, TimeLast: 1700086400, Count: 4}
	short := pdns.Record{RRName: "q.example", RRType: "A", RData: []string{"192.0.2.1"}, TimeFirst: 1700000000, TimeLast: 1700000000, Count: 1}
	page := string(reportOf(t, Options{}, true, map[string][]pdns.Record{"q.example": {long, short}}, "q.example"))
	labels := regexp.MustCompile(`<text x="4" y="\d+" class="label">([^<]*)<title>([^<]*)</title></text>`).FindAllStringSubmatch(page, -1)
	if len(labels) != 2 {
		t.Fatalf("%d labels", len(labels))
	}
	for _, l := range labels {
		if runewidth.StringWidth(l[1]) > 36 || !strings.Contains(l[2], strings.TrimSuffix(l[1], "…")) {
			t.Errorf("label %q (tooltip %q): wider than its room, or not in its tooltip", l[1], l[2])
		}
	}
	if !strings.Contains(page, `googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300: 2023-11-14 22:13:20 .. 2023-11-15 22:13:20, count 4</title></line>`) {
		t.Error("the SOA's bar has no tooltip saying it all")
	}
	if !strings.Contains(page, `<title>A 192.0.2.1: 2023-11-14 22:13:20 .. 2023-11-14 22:13:20, count 1</title></circle>`) {
		t.Error("the A's dot has no tooltip")
	}
	if n := strings.Count(page, `class="tick"`); n < 2 {
		t.Errorf("a span of a day has %d ticks", n)
	}
	if !strings.Contains(page, `marker-end="url(#arrow)"`) || !strings.Contains(page, `class="edgelabel">A<title>A: q.example → 192.0.2.1</title></text>`) {
		t.Error("the graph's edges carry no arrow, or no type")
	}
	var buf bytes.Buffer
	buf.WriteString(page)
	checkReport(t, buf.Bytes())
}
