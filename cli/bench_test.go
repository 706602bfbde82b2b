package cli_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/circl-pdns/circl-pdns/cli"
	"github.com/circl-pdns/circl-pdns/query/circltest"
)

// The benchmarks drive the whole command, in-process, against the fake
// server on loopback; see the README's performance section.

const bigRecords = 200_000

func bigServer(b *testing.B) (*circltest.Server, int64) {
	srv := circltest.NewServer()
	lines := circltest.Generate("big.example", bigRecords)
	srv.Add("big.example", lines...)
	var n int64
	for _, l := range lines {
		n += int64(len(l) + 1)
	}
	return srv, n
}

func runCommand(b *testing.B, args ...string) {
	if code := cli.RunContext(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
		b.Fatalf("circl-pdns %s: exit status %d", strings.Join(args, " "), code)
	}
}

// BenchmarkReceive is the yardstick: receiving the large answer and
// throwing it away, as curl -s URL > /dev/null does.
func BenchmarkReceive(b *testing.B) {
	srv, size := bigServer(b)
	defer srv.Close()
	b.SetBytes(size)
	for b.Loop() {
		resp, err := http.Get(srv.Endpoint() + "/big.example")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkLargeAnswer: one indicator answering 200,000 records (about
// 34 MB of NDJSON), in each output format.
func BenchmarkLargeAnswer(b *testing.B) {
	srv, size := bigServer(b)
	defer srv.Close()
	for _, format := range []string{"jsonl", "csv", "table", "threatq"} {
		b.Run(format, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				runCommand(b, "--url", srv.Endpoint(), "-o", format, "--page-size", "0", "big.example")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/bigRecords, "ns/record")
		})
	}
	b.Run("jsonl-paged", func(b *testing.B) { // pages of 10,000, the default
		b.SetBytes(size)
		for b.Loop() {
			runCommand(b, "--url", srv.Endpoint(), "big.example")
		}
	})
}

// BenchmarkBatch: 300 indicators of 20 records each, 20 ms of server
// latency, 8 queries in flight: the ideal is 300 x 20 ms / 8 = 0.75 s.
func BenchmarkBatch(b *testing.B) {
	srv, names := slowServer(300)
	defer srv.Close()
	args := append([]string{"--url", srv.Endpoint(), "-c", "8"}, names...)
	for b.Loop() {
		runCommand(b, args...)
	}
}

// slowServer serves n indicators of 20 records each, after 20 ms of latency.
func slowServer(n int) (*circltest.Server, []string) {
	srv := circltest.NewServer()
	srv.SetLatency(20 * time.Millisecond)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("host%04d.example", i)
		srv.Add(names[i], circltest.Generate(names[i], 20)...)
	}
	return srv, names
}

// BenchmarkCache: 1,000 indicators of 20 records each (20 ms of server
// latency, 8 queries in flight), all in the cache, against the same run
// without it.
func BenchmarkCache(b *testing.B) {
	srv, names := slowServer(1000)
	defer srv.Close()
	dir := b.TempDir()
	args := append([]string{"--url", srv.Endpoint(), "-c", "8", "--cache-dir", dir}, names...)
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			runCommand(b, args...)
		}
	})
	runCommand(b, append([]string{"--cache"}, args...)...) // fill it
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			runCommand(b, append([]string{"--cache"}, args...)...)
		}
	})
}
