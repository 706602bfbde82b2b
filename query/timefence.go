package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// ParseTime reads a time given by a user: RFC 3339 (2024-05-01T12:00:00Z),
// a date (2024-05-01, UTC), epoch seconds (1714564800), or a duration
// before now (90d, 12h, 2w, 30m, 45s). A date stands for the first second
// of that day, or with endOfDay (for --until) its last, so that
// --until 2024-03-31 takes in all of March 31.
func ParseTime(s string, now time.Time, endOfDay bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) >= 9 {
		return time.Unix(n, 0).UTC(), nil
	}
	if len(s) >= 2 {
		n, err := strconv.Atoi(s[:len(s)-1])
		unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
		if err == nil && n >= 0 && unit > 0 {
			return now.Add(-time.Duration(n) * unit).UTC().Truncate(time.Second), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s: want RFC 3339 (2024-05-01T12:00:00Z), a date (2024-05-01), epoch seconds, or a time ago (90d, 12h, 2w)", pdns.Quote(s, 60))
}
