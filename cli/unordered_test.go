package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/circl-pdns/circl-pdns/cli"
	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
)

// runIn runs the command in-process and returns its output, failing the
// test on a status other than 0.
func runIn(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if status := cli.RunContext(context.Background(), args, strings.NewReader(""), &stdout, &stderr); status != 0 {
		t.Fatalf("%v: status %d: %s", args, status, stderr.String())
	}
	return stdout.String()
}

// madeAt are the parts of an output that say when it was made.
var madeAt = regexp.MustCompile(`"(created|modified|date)":"[^"]*"|"(bundle|observed-data)--[0-9a-f-]+"|"uuid":"[^"]*"|made [0-9-]+ [0-9:]+ UTC`)

// TestUnorderedWholeAnswers: with --unordered, every format gets the
// answers one after another, whole, whatever order their pages come in:
// its output is that of the same run in one of the two input orders.
func TestUnorderedWholeAnswers(t *testing.T) {
	t.Parallel()
	srv := circltest.NewServer()
	defer srv.Close()
	for _, name := range []string{"a.example", "b.example"} {
		srv.Add(name, circltest.Generate(name, 250)...) // 3 pages of 100
		long := "long-" + name
		srv.Add(long, circltest.Generate(long, 1100)...) // past a block of the table (1,000 rows)
	}
	dir := t.TempDir()
	for _, format := range append(output.Formats, "report") {
		t.Run(format, func(t *testing.T) {
			run := func(extra ...string) string {
				args := []string{"--url", srv.Endpoint(), "--no-progress", "--page-size", "100", "-o", format}
				report := filepath.Join(dir, format+"-"+strings.Join(extra, "")+".html")
				if format == "report" {
					args[len(args)-1] = "jsonl"
					args = append(args, "--report", report)
				}
				out := runIn(t, append(args, extra...)...)
				if format == "report" {
					b, err := os.ReadFile(report)
					if err != nil {
						t.Fatal(err)
					}
					out = string(b)
				}
				return madeAt.ReplaceAllString(out, "MADE")
			}
			a, b := "a.example", "b.example"
			if format == "table" {
				a, b = "long-"+a, "long-"+b
			}
			ab, ba := run(a, b), run(b, a)
			for range 2 {
				if got := run("--unordered", "-c", "2", a, b); got != ab && got != ba {
					t.Fatalf("--unordered mixed the answers:\n%.2000s", got)
				}
			}
		})
	}
}
