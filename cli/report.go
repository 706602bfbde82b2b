package cli

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// reporter owns standard error: messages, the -v log, the progress bar
// (only on a terminal) and the end-of-run summary. It is safe for use by
// several goroutines, since the -v log is written by the workers.
type reporter struct {
	mu      sync.Mutex
	w       io.Writer
	bar     *progressbar.ProgressBar // nil: no progress bar
	started time.Time

	records              atomic.Int64 // counted apart: one a record, no lock
	indicators, warnings int
	failures             map[string]int // by kind
	failedSources        map[string]int // indicators failed, by source (several sources)
	cacheHits            func() int     // when there is a cache
	notAsked             query.NotAsked // left undone after credentials were refused
	watching             bool           // --new: the summary counts what is new
	withNew              map[string]bool
}

// newReporter reports to w; with progress, a bar fitted to cols columns
// (0 when unknown) says how far the run is.
func newReporter(w io.Writer, progress bool, total, cols int) *reporter {
	r := &reporter{w: w, started: time.Now(), failures: map[string]int{}}
	if progress {
		opts := append(barOptions(w, cols, "indicators", "ind"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(total > 0),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
		if wide(cols) {
			opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString("ind"))
		}
		r.bar = progressbar.NewOptions(total, opts...)
	}
	return r
}

// wantProgress says whether the run shows a progress bar on stderr: on a
// terminal, unless --no-progress, or in CI.
func wantProgress(g *grammar, stderr io.Writer) bool {
	return isTerminal(stderr) && !g.NoProgress && os.Getenv("CI") == ""
}

// wide says whether a terminal of cols columns (0 when unknown) has room
// for a whole progress bar.
func wide(cols int) bool { return cols == 0 || cols >= 80 }

// barOptions are what every progress bar of the command has: on w, cleared
// at its end, with the time taken; at 80 columns and more it takes what
// the counts leave, with desc before it. On a narrower terminal it has
// short instead, and a bar of a fixed width, so that it is still there and
// its line never wraps.
func barOptions(w io.Writer, cols int, desc, short string) []progressbar.Option {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
	}
	if wide(cols) {
		return append(opts, progressbar.OptionSetDescription(desc), progressbar.OptionFullWidth())
	}
	return append(opts, progressbar.OptionSetDescription(short), progressbar.OptionSetWidth(max(cols-46, 5)))
}

// clearBar takes the progress bar off its line, before records are
// written to the same terminal; it comes back with the next update.
func (r *reporter) clearBar() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		r.bar.Clear()
	}
}

// barClearer is standard output when it is the terminal the progress bar
// is on: the bar is cleared before each write, so that no line of it is
// left between the records.
type barClearer struct {
	w io.Writer
	r *reporter
}

func (b barClearer) Write(p []byte) (int, error) {
	b.r.clearBar()
	return b.w.Write(p)
}

// Write writes a line of the -v log (or any text) above the progress bar.
func (r *reporter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		r.bar.Clear()
	}
	return r.w.Write(p)
}

// problem reports err on a line of its own, with a hint where the fix is
// in the command line, and counts it.
func (r *reporter) problem(err error) {
	f := pdns.FailureOf(err)
	hint := ""
	if pdns.StopsRun(err) {
		hint = ": check --user and --password, or --token"
	}
	fmt.Fprintf(r, "circl-pdns: %v%s\n", err, hint)
	r.mu.Lock()
	defer r.mu.Unlock()
	var se *pdns.SourcesError
	if errors.As(err, &se) {
		if r.failedSources == nil {
			r.failedSources = map[string]int{}
		}
		for _, f := range se.Failed {
			r.failedSources[f.Source]++
		}
	}
	if f.Status == exitOK {
		r.warnings++
		return
	}
	r.failures[f.Kind]++
}

// record counts one record (or jq output) written for ind.
func (r *reporter) record(ind string) {
	r.records.Add(1)
	if r.watching {
		r.mu.Lock()
		if r.withNew == nil {
			r.withNew = map[string]bool{}
		}
		r.withNew[ind] = true
		r.mu.Unlock()
	}
}

// ends tells whether the answer to ind is to be ended: always, but
// under --new only when it printed something new.
func (r *reporter) ends(ind string) bool {
	if !r.watching {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.withNew[ind]
}

// done counts one indicator queried and moves the bar.
func (r *reporter) done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.indicators++
	if r.bar != nil {
		r.bar.Describe(fmt.Sprintf("%d records, %d failed", r.records.Load(), r.failed()))
		r.bar.Add(1)
	}
}

func (r *reporter) failed() int {
	n := 0
	for _, c := range r.failures {
		n += c
	}
	return n
}

// stopped says what a run stopped by refused credentials left undone.
func (r *reporter) stopped(na query.NotAsked) {
	r.mu.Lock()
	r.notAsked = na
	r.mu.Unlock()
	msg := "circl-pdns: stopped: the credentials were refused, so"
	switch {
	case na.Count == 0 && !na.StdinLeft:
		return // nothing left: the refusal said it all
	case na.Count == 0:
		msg += " the rest of standard input was not read"
	default:
		msg += fmt.Sprintf(" %d %s skipped, from %s on", na.Count, map[bool]string{true: "indicator was", false: "indicators were"}[na.Count == 1], na.First)
		if na.StdinLeft {
			msg += ", nor the rest of standard input"
		}
	}
	fmt.Fprintln(r, msg)
}

// finish takes the progress bar away.
func (r *reporter) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		r.bar.Finish()
		r.bar.Clear()
		r.bar = nil
	}
}

// summary is the one line said at the end of a run.
func (r *reporter) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	parts := []string{output.Plural(r.indicators, "indicator"), output.Plural(int(r.records.Load()), "record")}
	if r.watching { // "3 new records for 2 of 40 indicators"
		parts = []string{fmt.Sprintf("%s for %d of %s", output.Plural(int(r.records.Load()), "new record"), len(r.withNew), output.Plural(r.indicators, "indicator"))}
	}
	if n := r.failed(); n > 0 {
		kinds := make([]string, 0, len(r.failures))
		for k, c := range r.failures {
			kinds = append(kinds, fmt.Sprintf("%d %s", c, k))
		}
		slices.Sort(kinds)
		parts = append(parts, fmt.Sprintf("%s (%s)", output.Plural(n, "failure"), strings.Join(kinds, ", ")))
	}
	if len(r.failedSources) > 0 { // "failed at d4 (2 indicators), store (1 indicator)"
		names := slices.Sorted(maps.Keys(r.failedSources))
		for i, name := range names {
			names[i] = fmt.Sprintf("%s (%s)", name, output.Plural(r.failedSources[name], "indicator"))
		}
		parts = append(parts, "failed at "+strings.Join(names, ", "))
	}
	if r.warnings > 0 {
		parts = append(parts, output.Plural(r.warnings, "warning"))
	}
	if na := r.notAsked; na.Count > 0 || na.StdinLeft {
		left := fmt.Sprintf("%d skipped", na.Count)
		if na.StdinLeft {
			left += " (and the rest of standard input)"
		}
		parts = append(parts, left)
	}
	if r.cacheHits != nil {
		parts = append(parts, fmt.Sprintf("%d from the cache", r.cacheHits()))
	}
	parts = append(parts, time.Since(r.started).Round(time.Millisecond).String())
	return "circl-pdns: " + strings.Join(parts, ", ")
}
