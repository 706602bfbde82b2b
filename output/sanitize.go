package output

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Terminal makes untrusted text safe to show on a terminal: control
// characters (C0, DEL, C1, so ANSI escape sequences and \r), bidirectional
// overrides, zero-width and other invisible or format characters, and
// invalid UTF-8 are shown as escapes (\x1b, \u202e, \xff) instead of being
// sent raw. Printable text, spaces included, is left alone.
func Terminal(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// unsafeRune is a rune that changes what a terminal shows, or shows nothing.
func unsafeRune(r rune) bool {
	if r == ' ' {
		return false
	}
	return r == utf8.RuneError || !unicode.IsPrint(r)
}

// CSVCell makes untrusted text inert in a spreadsheet: a cell that starts
// with =, +, -, @, a tab or a carriage return would be read as a formula,
// so it gets a leading apostrophe, as OWASP recommends.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// safeJSON returns a line of JSON with the characters that JSON allows raw
// in strings but a terminal would act on (DEL, C1 controls, bidirectional
// overrides and other format characters, line and paragraph separators)
// written as \u escapes: the same JSON value, safe to show. A line of plain
// ASCII, the common case, is returned as it is; otherwise the result is
// built in buf.
func safeJSON(buf, line []byte) []byte {
	i := asciiPrefix(line)
	if i == len(line) {
		return line
	}
	dst := append(buf[:0], line[:i]...)
	for i < len(line) {
		c := line[i]
		if c < 0x7f {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...) // not valid UTF-8, so not valid JSON either
		case unsafeRune(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			dst = fmt.Appendf(dst, `\u%04x\u%04x`, r1, r2)
		case unsafeRune(r):
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = append(dst, line[i:i+size]...)
		}
		i += size
	}
	return dst
}

// asciiPrefix is the length of the run of bytes under 0x7f that line
// starts with, looked at 8 bytes at a time.
func asciiPrefix(line []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:])
		if (x|(x+ones))&highs != 0 { // a byte with its high bit set, or 0x7f
			break
		}
	}
	for i < len(line) && line[i] < 0x7f {
		i++
	}
	return i
}

// TerminalLines is Terminal for text of several lines: each line is
// sanitised, the line ends are kept.
func TerminalLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		lines[i] = Terminal(strings.TrimSuffix(l, "\n"))
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	return strings.Join(lines, "")
}
