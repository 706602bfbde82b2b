package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"syscall"

	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// run queries every indicator of in and returns the exit status.
func (c *command) run(ctx context.Context, in *pdns.Reader) int {
	if c.holds && os.Getenv("GOGC") == "" {
		// What it holds is most of the heap: collect at 1.5 times it
		// rather than twice, for a little more time (docs/performance.md).
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	if c.closer != nil {
		defer c.closer.Close()
	}
	h := &handler{out: c.out, report: c.report}
	err := c.batch.Run(ctx, in, h)
	closeErr := c.out.Close()
	c.report.finish()
	if closeErr == nil && h.writeErr == nil { // the output that holds the run is written whole
		c.batch.CommitHeld(h.Problem)
	}
	if err == nil && h.writeErr == nil {
		h.writeErr = closeErr
	}
	status := h.status
	var halt *query.HaltError
	switch {
	case h.writeErr != nil:
		if errors.Is(h.writeErr, syscall.EPIPE) {
			return exitOK // stdout was closed (| head): nothing more is wanted, quietly
		}
		fmt.Fprintf(c.report, "circl-pdns: writing output: %v\n", h.writeErr)
		status = max(status, exitFailed)
	case ctx.Err() != nil:
		fmt.Fprintln(c.report, "circl-pdns: interrupted")
		status = interruptedStatus(ctx)
	case errors.As(err, &halt):
		io.WriteString(c.report, output.TerminalLines(halt.Message))
		status = halt.Code
	case pdns.StopsRun(err): // the refusal itself was reported already
		c.report.stopped(c.batch.NotAsked())
	case err != nil:
		c.report.problem(err)
		status = max(status, exitFailed)
	}
	if c.summary {
		fmt.Fprintln(c.report, c.report.summary())
	}
	return status
}

// handler reports what a Batch produces: records to the output writer,
// problems to stderr, and keeps the worst exit status seen.
type handler struct {
	out      output.Writer
	report   *reporter
	status   int
	writeErr error
}

// Value writes a jq output that is not a record: the engine gives one only
// to a writer that takes them (Selection.RecordsFor).
func (h *handler) Value(ind pdns.Indicator, v any) error {
	if err := h.out.(output.ValueWriter).Value(ind, v); err != nil {
		h.writeErr = err
		return err
	}
	h.report.record(ind.Value)
	return nil
}

func (h *handler) Record(ind pdns.Indicator, r *pdns.Record) error {
	if err := h.out.Record(ind, r); err != nil {
		h.writeErr = err
		return err
	}
	h.report.record(ind.Value)
	return nil
}

func (h *handler) Done(ind pdns.Indicator, err error) error {
	if h.writeErr != nil {
		return h.writeErr
	}
	cut := errors.Is(err, context.Canceled) // by an interruption: what came is written, and not counted as done
	if err != nil && !cut {
		h.Problem(err)
		if fw, ok := h.out.(output.FailWriter); ok {
			fw.Failed(ind, err)
		}
	}
	// Under --new an answer that printed nothing is not ended, so that no
	// format says anything of it (a heading, an empty object).
	if h.report.ends(ind.Value) {
		if err := h.out.End(ind); err != nil {
			h.writeErr = err
			return err
		}
	}
	if !cut {
		h.report.done()
	}
	return nil
}

func (h *handler) Problem(err error) {
	h.report.problem(err)
	h.status = max(h.status, exitCode(err))
}
