package cli

import (
	"context"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

func TestParseSeconds(t *testing.T) {
	for in, want := range map[string]time.Duration{"5": 5 * time.Second, "0.5": 500 * time.Millisecond, " 90s ": 90 * time.Second, "2m": 2 * time.Minute, "0": 0, "90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour} {
		if got, err := parseSeconds(in); err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "-1", "1e300", "5 s"} {
		if _, err := parseSeconds(in); err == nil {
			t.Errorf("%q: accepted", in)
		}
	}
}

// closedPipe is a standard output whose reader has gone (| head).
type closedPipe struct{}

func (closedPipe) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// --help into a closed pipe ends quietly, with status 0, as any output does.
func TestHelpIntoClosedPipe(t *testing.T) {
	var stderr strings.Builder
	if code := RunContext(context.Background(), []string{"--help"}, strings.NewReader(""), closedPipe{}, &stderr); code != 0 || stderr.Len() > 0 {
		t.Errorf("status %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * 24 * time.Hour: "90 days", 24 * time.Hour: "1 day", 36 * time.Hour: "36h", 90 * time.Minute: "1h30m",
		2 * time.Minute: "2m", 45 * time.Second: "45s", 1500 * time.Millisecond: "1.5s", time.Nanosecond: "1ns",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

// The manual page says what every format is: a new one cannot be left out.
func TestManFormats(t *testing.T) {
	have := map[string]bool{}
	for _, f := range formatHelp {
		have[f[0]] = true
	}
	for _, f := range append([]string{"auto"}, output.Formats...) {
		if !have[f] {
			t.Errorf("-o %s is not in the manual page's FORMATS", f)
		}
	}
	if len(have) != len(output.Formats)+1 {
		t.Errorf("the manual page's FORMATS has %d, the command %d", len(have), len(output.Formats)+1)
	}
}

// Every format --import takes is in the manual page.
func TestManImportFormats(t *testing.T) {
	var have []string
	for _, f := range importFormatHelp {
		have = append(have, f[0])
	}
	if want := pdns.LogFormatNames(); !slices.Equal(have, want) {
		t.Errorf("the manual page's IMPORTED FILES has %q, --format takes %q", have, want)
	}
}
