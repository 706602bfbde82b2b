package output

import (
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Plural is "1 record", "2 records", "1,000 records": a count for people,
// its thousands grouped.
func Plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return Grouped(n) + " " + what + "s"
}

// maxCountCell is the widest a count is drawn where columns are counted
// (a table on a terminal, the timeline): 9999999, or 9.2E.
const maxCountCell = 7

// CountCell is a count for a column of at most maxCountCell cells: as it
// is, or past that in thousands (k), millions (M)... to exa (E), as du -h
// says sizes: 12345678 is 12.3M, the largest count 9.2E.
func CountCell(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= maxCountCell {
		return s
	}
	f := float64(n)
	for _, unit := range []string{"k", "M", "G", "T", "P", "E"} {
		f /= 1000
		if f < 999.95 {
			return strconv.FormatFloat(f, 'f', 1, 64) + unit
		}
	}
	return s // not reached: a count is at most 9.2E
}

// Grouped writes n with its thousands separated by commas.
func Grouped(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// cut returns s if it fits width columns, or its start and "…" in width
// columns. It looks at no more of s than it keeps.
func cut(s string, width int) string {
	if len(s) <= width { // ASCII fits as it is; wider runes are measured below
		if runewidth.StringWidth(s) <= width {
			return s
		}
	}
	w := 0
	for i, r := range s {
		rw := runewidth.RuneWidth(r)
		if w+rw > width-1 { // room for "…"
			if fitsFrom(s[i:], width-w) {
				return s
			}
			return s[:i] + "…"
		}
		w += rw
	}
	return s
}

// fitsFrom says whether rest fits in width columns, looking no further
// than that.
func fitsFrom(rest string, width int) bool {
	w := 0
	for _, r := range rest {
		if w += runewidth.RuneWidth(r); w > width {
			return false
		}
	}
	return true
}

// wrapWords breaks s into lines of at most width columns at its spaces; a
// word longer than a line (a name, a token) is cut across lines only when
// it alone is wider than the column. One pass over s.
func wrapWords(s string, width int) []string {
	if width <= 0 || len(s) <= width && runewidth.StringWidth(s) <= width {
		return []string{s}
	}
	var lines []string
	var line strings.Builder
	lineW := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(line.String(), " "))
		line.Reset()
		lineW = 0
	}
	for _, word := range strings.SplitAfter(s, " ") {
		ww := runewidth.StringWidth(word)
		if lineW > 0 && lineW+runewidth.StringWidth(strings.TrimRight(word, " ")) > width {
			flush()
		}
		if ww > width { // a word wider than the column: hard breaks, in one pass
			start, w := 0, 0
			for j, r := range word {
				rw := runewidth.RuneWidth(r)
				if w+rw > width-lineW && j > start {
					line.WriteString(word[start:j])
					flush()
					start, w = j, 0
				}
				w += rw
			}
			word, ww = word[start:], w
		}
		line.WriteString(word)
		lineW += ww
	}
	if line.Len() > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// padRight pads s with spaces to w columns.
func padRight(s string, w int) string {
	if pad := w - runewidth.StringWidth(s); pad > 0 {
		return s + strings.Repeat(" ", pad)
	}
	return s
}
