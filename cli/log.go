package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// logHandler writes the -v log in the style of the command's other
// lines, one line an event:
//
//	circl-pdns: GET https://www.circl.lu/pdns/query/example.com 200 12 records 3456 bytes 34ms
//	circl-pdns: retrying example.com (attempt 2) in 512ms: example.com: the server sent nothing for 30s
//	circl-pdns: cache hit example.com (age 3h2m)
type logHandler struct{ w io.Writer }

func (h logHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h logHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h logHandler) WithGroup(string) slog.Handler            { return h }

func (h logHandler) Handle(_ context.Context, r slog.Record) error {
	a := map[string]string{}
	var order []string
	r.Attrs(func(at slog.Attr) bool {
		v := at.Value.Resolve()
		s := v.String()
		if v.Kind() == slog.KindDuration {
			s = roundDuration(v.Duration()).String()
		}
		a[at.Key] = s
		order = append(order, at.Key)
		return true
	})
	var b strings.Builder
	b.WriteString("circl-pdns: ")
	switch r.Message {
	case "request":
		fmt.Fprintf(&b, "GET %s %s", a["url"], a["status"])
		if n, ok := a["records"]; ok {
			fmt.Fprintf(&b, " %s records", n)
		}
		fmt.Fprintf(&b, " %s bytes %s", a["bytes"], a["duration"])
		if n, ok := a["attempt"]; ok {
			fmt.Fprintf(&b, " (attempt %s)", n)
		}
		if c, ok := a["cursor"]; ok {
			fmt.Fprintf(&b, " cursor %s", c)
		}
		if e, ok := a["error"]; ok {
			fmt.Fprintf(&b, ": %s", e)
		}
	case "retry":
		fmt.Fprintf(&b, "retrying %s (attempt %s) in %s: %s", a["indicator"], a["attempt"], a["after"], a["because"])
	case "cache":
		fmt.Fprintf(&b, "cache %s %s", a["result"], a["indicator"])
		if age, ok := a["age"]; ok {
			fmt.Fprintf(&b, " (age %s)", age)
		}
		if e, ok := a["error"]; ok {
			fmt.Fprintf(&b, ": %s", e)
		}
	default:
		b.WriteString(r.Message)
		for _, k := range order {
			fmt.Fprintf(&b, " %s=%s", k, a[k])
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(h.w, b.String())
	return err
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}
