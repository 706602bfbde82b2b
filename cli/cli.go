// Package cli is the circl-pdns command: its grammar (kong), its config
// file and environment, the wiring of the engine (query), the sources
// (query/circl, query/store, query/cache) and the output formats, standard
// error (messages, the progress bar, the summary, the -v log), signals, and
// the exit status (the worst of the failures met, as pdns.FailureOf says).
// Streams are injected, so the whole command runs in-process in tests.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/cache"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// The exit statuses are pdns's (pdns.ExitOK and the others): one table,
// with the kinds of failure that lead to them.
const (
	exitOK     = pdns.ExitOK
	exitFailed = pdns.ExitFailed
	exitUsage  = pdns.ExitUsage
)

// usageError is a bad flag, value or config: nothing was queried.
type usageError struct{ err error }

func (e usageError) Error() string       { return e.err.Error() }
func (e usageError) Unwrap() error       { return e.err }
func (usageError) Failure() pdns.Failure { return pdns.Usage }

// connError is a store's servers that could not be reached, or failed:
// status 1 (its kind says better, when it has one: refused credentials).
type connError struct{ err error }

func (e connError) Error() string { return e.err.Error() }
func (e connError) Unwrap() error { return e.err }
func (e connError) Failure() pdns.Failure {
	var f interface{ Failure() pdns.Failure }
	if errors.As(e.err, &f) {
		return f.Failure()
	}
	return pdns.Connection
}

// exitRequest carries kong's request to exit (after --help or --version)
// out of the parser without leaving the process.
type exitRequest int

// RunContext is Run with a context of the caller's: cancelling it ends the
// run as an interrupt does.
func RunContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	var g grammar
	cfg := &configFile{path: defaultConfigPath()}
	parser, err := kong.New(&g,
		kong.Name("circl-pdns"),
		kong.Description("Look up domain names and IP addresses in CIRCL Passive DNS."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitRequest(code)) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
		kong.ExplicitGroups(groups),
		kong.Resolvers(cfg),
		kong.Bind(cfg),
		kong.Vars{"formats": strings.Join(output.Formats, ","), "formatnames": strings.Join(output.Formats, ", "), "inputformats": "auto, " + strings.Join(pdns.LogFormatNames(), ", ")},
		kong.WithHyphenPrefixedParameters(true),                            // --sort -time_last, --argjson n -1
		kong.TypeMapper(reflect.TypeOf(time.Duration(0)), secondsMapper{}), // --timeout 5 is 5s
	)
	if err != nil {
		panic(err) // the grammar itself is wrong: a bug, caught by any test
	}
	defer func() {
		r := recover()
		if code, ok := r.(exitRequest); ok {
			status = int(code)
		} else if r != nil {
			panic(r)
		}
	}()
	completeFromShell(parser) // when a shell asks for completions, and then exits
	if err := checkValues(parser.Model, args); err != nil {
		fmt.Fprintf(stderr, "circl-pdns: %v (see --help)\n", err)
		return exitUsage
	}
	if _, err := parser.Parse(args); err != nil {
		if errors.Is(err, syscall.EPIPE) {
			return exitOK // --help | head: stdout was closed, quietly
		}
		var ce *configError
		if errors.As(err, &ce) {
			err = ce // without the flag kong was resolving when it read the file
		}
		fmt.Fprintf(stderr, "circl-pdns: %s (see --help)\n", sentence(err.Error()))
		return exitUsage
	}
	if g.Version {
		printVersion(stdout, g.Verbose)
		return exitOK
	}
	if g.Man {
		printMan(stdout, parser)
		return exitOK
	}
	if g.Completion != "" {
		if err := printCompletion(stdout, g.Completion); err != nil {
			fmt.Fprintf(stderr, "circl-pdns: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	g.secretArgs = secretsOnCommandLine(args)
	g.servers = cfg.servers
	g.concurrencyGiven = cfg.has("concurrency") || os.Getenv("CIRCL_PDNS_CONCURRENCY") != "" || slices.ContainsFunc(args, func(a string) bool {
		return a == "-c" || strings.HasPrefix(a, "-c") && len(a) > 2 && a[2] != '-' || a == "--concurrency" || strings.HasPrefix(a, "--concurrency=")
	})
	for _, w := range cfg.warnings {
		fmt.Fprintln(stderr, "circl-pdns: warning: "+w)
	}
	if g.StatePrune > 0 {
		return pruneState(&g, stderr)
	}
	if g.CachePrune {
		return prune(&g, stderr)
	}
	if g.Import {
		return importDumps(ctx, &g, stdin, stderr)
	}
	cmd, err := newCommand(&g, stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: %v\n", err)
		if f := pdns.FailureOf(err); f != pdns.Failed {
			return f.Status // a store that refused the credentials (3), a usage error (2)
		}
		return exitUsage
	}
	if len(g.Indicators) == 0 && isTerminal(stdin) {
		fmt.Fprintln(stderr, "circl-pdns: reading indicators from standard input, one per line (Ctrl-D to end)")
	}
	return cmd.run(ctx, pdns.NewReader(g.Indicators, stdin))
}

func isTerminal(r any) bool {
	f, ok := r.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// exitCode is the status an error leads to; one without its own is a failure.
func exitCode(err error) int { return pdns.FailureOf(err).Status }

// pruneState is --state-prune: forget the indicators not asked for long.
func pruneState(g *grammar, stderr io.Writer) int {
	dir, err := stateDir(g)
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: %v\n", err)
		return exitUsage
	}
	n, err := (&query.State{Dir: dir}).Prune(g.StatePrune)
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: --state-prune: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "circl-pdns: forgot %s not asked for %s, in %s\n", output.Plural(n, "indicator"), humanDuration(g.StatePrune), dir)
	return exitOK
}

// prune is --cache-prune: remove the cached answers past their TTL.
func prune(g *grammar, stderr io.Writer) int {
	cache, err := func() (*cache.Cache, error) {
		client, err := newClient(g, func(msg string) { fmt.Fprintln(stderr, "circl-pdns: warning: "+msg) })
		if err != nil {
			return nil, err
		}
		return newCache(g, client)
	}()
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: %v\n", err)
		return exitUsage
	}
	n, err := cache.Prune()
	if err != nil {
		fmt.Fprintf(stderr, "circl-pdns: --cache-prune: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "circl-pdns: removed %s older than %s from %s\n", output.Plural(n, "cached answer"), humanDuration(g.CacheTTL), cache.Dir)
	return exitOK
}

// humanDuration says a duration as a person does: "90 days", "36h",
// "1h30m", "45s", "1.5s" (not 2160h0m0s).
func humanDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= day && d%day == 0:
		return output.Plural(int(d/day), "day")
	case d >= time.Minute && d%time.Second == 0:
		s := d.String()
		s = strings.TrimSuffix(s, "0s")
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	}
	return d.String()
}
