package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query"
)

// storePath is the store --import fills: --store, or the default one.
func storePath(g *grammar) string {
	if g.Store != "" {
		return g.Store
	}
	return query.DefaultStorePath()
}

// maxImportProblems is how many bad records an import names, one line
// each; past that they are counted only.
const maxImportProblems = 100

// importDumps is --import: load the dumps named as arguments (standard
// input with none, or "-") into the store, in one transaction, then say
// what was done.
func importDumps(ctx context.Context, g *grammar, stdin io.Reader, stderr io.Writer) int {
	path := storePath(g)
	files := g.Indicators
	if len(files) == 0 {
		files = []string{"-"}
	}
	store, err := query.OpenStore(path, true)
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: --import: %v\n", err)
		return exitFailed
	}
	defer store.Close()
	bar := isTerminal(stderr) && !g.NoProgress && os.Getenv("CI") == ""
	im, err := store.BeginImport(ctx, func() {
		fmt.Fprintf(stderr, "circl-pdns: waiting for another import into %s to end\n", path)
	})
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: --import: %s: %v\n", path, err)
		return exitFailed
	}
	defer im.Rollback()
	im.MaxRecordBytes = g.MaxRecordBytes
	problems := 0
	var current string
	var size int64
	clearBar := func() {
		if bar {
			fmt.Fprint(stderr, "\r\x1b[K")
		}
	}
	im.Problem = func(err error) {
		if problems++; problems <= maxImportProblems {
			clearBar()
			fmt.Fprintf(stderr, "circl-pdns: %v (skipped)\n", err)
		} else if problems == maxImportProblems+1 {
			clearBar()
			fmt.Fprintln(stderr, "circl-pdns: more bad records: they are counted, not shown")
		}
	}
	if bar {
		im.Progress = func(st query.ImportStats) {
			pct := ""
			if size > 0 {
				pct = fmt.Sprintf(" (%d%%)", min(100, st.Bytes*100/size))
			}
			fmt.Fprintf(stderr, "\r\x1b[Kimporting %s: %s records%s", current, grouped(st.Read), pct)
		}
	}
	var done int64 // bytes of the files before this one
	for _, name := range files {
		var r io.Reader = stdin
		current, size = "standard input", 0
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				clearBar()
				fmt.Fprintf(stderr, "circl-pdns: --import: %v: nothing was imported\n", err)
				return exitFailed
			}
			defer f.Close()
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				size = done + fi.Size()
			}
			r, current = f, output.Terminal(name)
		}
		if err := im.Read(ctx, current, r); err != nil {
			clearBar()
			if ctx.Err() != nil {
				fmt.Fprintf(stderr, "circl-pdns: --import interrupted: nothing was imported into %s\n", path)
				return interruptedStatus(ctx)
			}
			fmt.Fprintf(stderr, "circl-pdns: --import: %v: nothing was imported into %s\n", err, path)
			return exitFailed
		}
		done = im.Stats().Bytes
	}
	st, err := im.Commit(ctx)
	clearBar()
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "circl-pdns: --import interrupted: nothing was imported into %s\n", path)
			return interruptedStatus(ctx)
		}
		fmt.Fprintf(stderr, "circl-pdns: --import: %v: nothing was imported into %s\n", err, path)
		return exitFailed
	}
	fmt.Fprintf(stderr, "circl-pdns: imported %s records into %s: %s new, %s merged, %s refused\n",
		grouped(st.Read), path, grouped(st.New), grouped(st.Merged), grouped(st.Refused))
	if st.Refused > 0 {
		return exitFailed
	}
	return exitOK
}

// grouped writes n with thousands separated by commas.
func grouped(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
