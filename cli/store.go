package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query/pdns"
	"github.com/circl-pdns/circl-pdns/query/store"
)

// storePath is the store --import fills: --store, or
// $XDG_DATA_HOME/circl-pdns/store.db, or ~/.local/share/circl-pdns/store.db.
func storePath(g *grammar) (string, error) {
	if g.Store != "" {
		return g.Store, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "circl-pdns", "store.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no place for the store: %w (use --store)", err)
	}
	return filepath.Join(home, ".local", "share", "circl-pdns", "store.db"), nil
}

// maxImportProblems is how many bad records an import names, one line
// each; past that they are counted only.
const maxImportProblems = 100

// importDumps is --import: load the dumps named as arguments (standard
// input with none, or "-") into the store, in one transaction, then say
// what was done.
func importDumps(ctx context.Context, g *grammar, stdin io.Reader, stderr io.Writer) int {
	path, err := storePath(g)
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: --import: %v\n", err)
		return exitUsage
	}
	format, err := pdns.ParseInputFormat(g.Format)
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: --format: %v (see --help)\n", err)
		return exitUsage
	}
	dumps, total, err := openDumps(g.Indicators, stdin)
	defer func() {
		for _, d := range dumps {
			d.Close()
		}
	}()
	if err != nil { // before anything is imported
		fmt.Fprintf(stderr, "circl-pdns: --import: %v: nothing was imported\n", err)
		return exitFailed
	}
	opts, err := storeOptions(g, true, func(w string) { fmt.Fprintln(stderr, "circl-pdns: warning: "+w) })
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: %v\n", err)
		return exitUsage
	}
	db, err := store.Open(path, opts)
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: --import: %v\n", err)
		return exitFailed
	}
	defer db.Close()
	path = db.Path // for messages: a URL without its password
	if db.Remote() && os.Getenv("GOGC") == "" {
		// what a ClickHouse import spends of its time here is making
		// records, most of them garbage at once: collected a third as
		// often, 1M records take 1.9 s, not 2.2 (and 72 MB, not 43)
		debug.SetGCPercent(300)
	}
	im, err := db.BeginImport(ctx, func() {
		fmt.Fprintf(stderr, "circl-pdns: waiting for another import into %s to end\n", path)
	})
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: --import: %s: %v\n", path, err)
		return exitFailed
	}
	defer im.Rollback()
	im.MaxRecordBytes = g.MaxRecordBytes
	im.Format, im.SensorID = format, g.Sensor

	var bar *progressbar.ProgressBar // the bytes read, out of the files' size
	if wantProgress(g, stderr) {
		bar = progressbar.NewOptions64(total, append(barOptions(stderr, width(stderr), "importing", "import"),
			progressbar.OptionShowBytes(true), progressbar.OptionSetPredictTime(total > 0), progressbar.OptionThrottle(100*time.Millisecond))...)
		im.Progress = func(st store.ImportStats) { bar.Set64(st.Bytes) }
	}
	say := func(format string, args ...any) { // on a line of its own, not after the bar
		if bar != nil {
			bar.Clear()
		}
		fmt.Fprintf(stderr, format, args...)
	}
	problems := 0
	im.Problem = func(err error) {
		if problems++; problems <= maxImportProblems {
			say("circl-pdns: %v (skipped)\n", err)
		} else if problems == maxImportProblems+1 {
			say("circl-pdns: more bad records: they are counted, not shown\n")
		}
	}
	failed := func(err error) int {
		if ctx.Err() != nil {
			say("circl-pdns: --import interrupted: nothing was imported into %s\n", path)
			return interruptedStatus(ctx)
		}
		say("circl-pdns: --import: %v: nothing was imported into %s\n", err, path)
		return exitFailed
	}
	im.Done = func(st store.InputStats) {
		if line := inputLine(st); line != "" {
			say("circl-pdns: %s\n", line)
		}
	}
	given := 0 // inputs given up on
	for _, d := range dumps {
		err := im.ReadInput(ctx, store.Input{Name: d.name, R: d.r, File: d.file})
		var ie *store.InputError
		if errors.As(err, &ie) && ctx.Err() == nil {
			say("circl-pdns: --import: %v: nothing of it was imported\n", err)
			given++
			continue
		}
		if err != nil {
			return failed(err)
		}
	}
	st, err := im.Commit(ctx)
	if err != nil {
		return failed(err)
	}
	imported, refused := output.Plural(st.Read, "record"), ""
	if st.Refused > 0 { // what was refused was not imported
		imported = output.Grouped(st.Read-st.Refused) + " of " + imported
		refused = "; " + output.Grouped(st.Refused) + " refused"
	}
	if st.BadLines > 0 {
		refused += "; " + output.Plural(st.BadLines, "bad line")
	}
	if db.Remote() { // the servers merge as they answer: what was new is not known
		say("circl-pdns: imported %s into %s%s\n", imported, path, refused)
	} else {
		say("circl-pdns: imported %s into %s: %s new, %s merged%s\n", imported, path, output.Grouped(st.New), output.Grouped(st.Merged), refused)
	}
	if st.Saturated > 0 {
		say("circl-pdns: warning: the counts of %s reached %d, the largest count: they stay there\n", output.Plural(st.Saturated, "record"), int64(pdns.MaxCount))
	}
	if st.Refused > 0 || st.BadLines > 0 || given > 0 {
		return exitFailed
	}
	return exitOK
}

// inputLine says what one input of an import held, when there is more to
// say than its records (a dump's are in the summary): a log's lines and
// what of them was not stored, what an earlier import read of it, a last
// line left for the next import.
func inputLine(st store.InputStats) string {
	var parts []string
	if st.Again {
		return fmt.Sprintf("%s: imported before (as %s): nothing new", st.Name, output.Terminal(st.Since))
	}
	if st.Before > 0 {
		parts = append(parts, fmt.Sprintf("read from byte %s on (imported before up to there, as %s)", output.Grouped(int(st.Before)), output.Terminal(st.Since)))
	}
	if st.Format != pdns.FormatCOF {
		line := fmt.Sprintf("%s, %s: %s", st.Format.Title(), output.Plural(st.Log.Lines, "line"), output.Plural(st.Records, "record"))
		if skipped := st.Log.Skipped(output.Grouped); skipped != "" {
			line += "; not stored: " + skipped
		}
		parts = append(parts, line)
	}
	if st.Held > 0 {
		parts = append(parts, "its last line has no end yet: left for the next import")
	}
	if len(parts) == 0 {
		return ""
	}
	return st.Name + ": " + strings.Join(parts, "; ")
}

// dump is one file to import, or standard input.
type dump struct {
	io.ReadCloser
	r    io.Reader // what to read: the file itself (which the store may read again), standard input
	name string    // for messages
	file string    // device:inode, for the store's memory of imports
}

// openDumps opens the dumps named (standard input for none, or "-"), all
// before any is read, and says their size: -1 when one of them has none
// (a pipe).
func openDumps(names []string, stdin io.Reader) ([]dump, int64, error) {
	if len(names) == 0 {
		names = []string{"-"}
	}
	var dumps []dump
	var total int64
	for _, name := range names {
		if name == "-" {
			dumps, total = append(dumps, dump{ReadCloser: io.NopCloser(stdin), r: stdin, name: "standard input"}), -1
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return dumps, 0, err
		}
		d := dump{ReadCloser: f, r: f, name: output.Terminal(name)}
		fi, err := f.Stat()
		if err == nil {
			if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
				d.file = fmt.Sprintf("%d:%d", sys.Dev, sys.Ino)
			}
		}
		dumps = append(dumps, d)
		if err == nil && fi.Mode().IsRegular() && total >= 0 {
			total += fi.Size()
		} else {
			total = -1
		}
	}
	return dumps, total, nil
}
