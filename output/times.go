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
