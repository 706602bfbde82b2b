package output

import (
	"fmt"
	"time"
)

// The layouts of times for people (UTC): a date, or a date and a time.
const (
	dateLayout = "2006-01-02"
	timeLayout = "2006-01-02 15:04:05"
)

// timeText is epoch seconds in layout, UTC; "" for 0, no time.
func timeText(epoch int64, layout string) string {
	if epoch == 0 {
		return ""
	}
	return time.Unix(epoch, 0).UTC().Format(layout)
}

// dates is "2017-06-09 .. 2017-07-13", one date when both are the same
// day, "" without times.
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

// span is a duration as a person says it: ~5y8m, ~3m12d, ~12d, ~5h, <1h.
func span(d time.Duration) string {
	const day = 24 * time.Hour
	const month, year = 30 * day, 365 * day
	switch {
	case d >= year:
		return fmt.Sprintf("~%dy%dm", d/year, d%year/month)
	case d >= month:
		return fmt.Sprintf("~%dm%dd", d/month, d%month/day)
	case d >= day:
		return fmt.Sprintf("~%dd", d/day)
	case d >= time.Hour:
		return fmt.Sprintf("~%dh", d/time.Hour)
	}
	return "<1h"
}

// tick is a mark on a time axis, and its label.
type tick struct {
	at    int64
	label string
}

// tickSteps are the spacings an axis may have, finest first, with the
// layout of their labels.
var tickSteps = []struct {
	add    func(time.Time) time.Time
	floor  func(time.Time) time.Time
	layout string
}{
	{func(t time.Time) time.Time { return t.Add(time.Hour) }, truncHours(1), "15:04"},
	{func(t time.Time) time.Time { return t.Add(6 * time.Hour) }, truncHours(6), "15:04"},
	{func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }, truncDays, "01-02"},
	{func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }, truncDays, "01-02"},
	{func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }, truncMonths(1), "2006-01"},
	{func(t time.Time) time.Time { return t.AddDate(0, 3, 0) }, truncMonths(3), "2006-01"},
	{func(t time.Time) time.Time { return t.AddDate(0, 6, 0) }, truncMonths(6), "2006-01"},
	{func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }, truncYears(1), "2006"},
	{func(t time.Time) time.Time { return t.AddDate(2, 0, 0) }, truncYears(2), "2006"},
	{func(t time.Time) time.Time { return t.AddDate(5, 0, 0) }, truncYears(5), "2006"},
	{func(t time.Time) time.Time { return t.AddDate(10, 0, 0) }, truncYears(10), "2006"},
	{func(t time.Time) time.Time { return t.AddDate(25, 0, 0) }, truncYears(25), "2006"},
	{func(t time.Time) time.Time { return t.AddDate(50, 0, 0) }, truncYears(50), "2006"},
	{func(t time.Time) time.Time { return t.AddDate(100, 0, 0) }, truncYears(100), "2006"},
	{func(t time.Time) time.Time { return t.AddDate(500, 0, 0) }, truncYears(500), "2006"},
	{func(t time.Time) time.Time { return t.AddDate(1000, 0, 0) }, truncYears(1000), "2006"},
}

func truncHours(n int) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour()/n*n, 0, 0, 0, time.UTC)
	}
}

func truncDays(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func truncMonths(n int) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		return time.Date(t.Year(), time.Month((int(t.Month())-1)/n*n+1), 1, 0, 0, 0, 0, time.UTC)
	}
}

func truncYears(n int) func(time.Time) time.Time {
	return func(t time.Time) time.Time { return time.Date(t.Year()/n*n, 1, 1, 0, 0, 0, 0, time.UTC) }
}

// ticks are the marks of an axis from lo to hi (vetted times), at the
// finest even spacing (an hour up to a thousand years) that gives no more
// than room(label) of them: every mark labelled, none left out. With no
// mark inside the span (a span of an instant), the span's start is one.
func ticks(lo, hi int64, room func(label string) int) (marks []tick, layout string) {
	start, end := time.Unix(lo, 0).UTC(), time.Unix(hi, 0).UTC()
	for _, st := range tickSteps {
		max := room(start.Format(st.layout))
		var out []tick
		for t := st.floor(start); !t.After(end) && len(out) <= max; t = st.add(t) {
			if !t.Before(start) {
				label := t.Format(st.layout)
				if st.layout == "15:04" && t.Hour() == 0 { // a new day: which one
					label = t.Format("01-02")
				}
				out = append(out, tick{t.Unix(), label})
			}
		}
		if len(out) > max {
			continue // too many: a coarser spacing
		}
		if len(out) == 0 {
			out = []tick{{lo, start.Format(st.layout)}}
		}
		return out, st.layout
	}
	return []tick{{lo, start.Format("2006")}}, "2006"
}
