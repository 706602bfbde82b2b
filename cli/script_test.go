package cli_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/circl-pdns/circl-pdns/cli"
	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"circl-pdns": func() {
			status := cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			peakMemory() // for BenchmarkCommand
			os.Exit(status)
		},
		"exits": exits,
	})
}

// exits is a script command: "exec exits N PROG ARGS..." runs PROG and
// succeeds when PROG's exit status is N. It passes SIGINT and SIGTERM on.
func exits() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: exits N PROG [ARGS...]")
		os.Exit(2)
	}
	want, _ := strconv.Atoi(os.Args[1])
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1) // "kill -INT" in a script reaches PROG
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range sigs {
			cmd.Process.Signal(sig)
		}
	}()
	err := cmd.Wait()
	got := cmd.ProcessState.ExitCode()
	if err != nil && got < 0 {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if got != want {
		fmt.Fprintf(os.Stderr, "exits: exit status %d, want %d\n", got, want)
		os.Exit(1)
	}
}

// TestScript runs the end-to-end cases in testdata/script: the real command,
// against the fake CIRCL server on loopback or the demo dump.
func TestScript(t *testing.T) {
	testdata, err := filepath.Abs("../testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "../testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", testdata)
			env.Setenv("DEMO", filepath.Join(testdata, "demo.ndjson"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("XDG_DATA_HOME", filepath.Join(env.WorkDir, ".local", "share"))
			// for a script that runs the go command (the Install build): the
			// caches of this machine, and never the network
			for _, k := range []string{"GOMODCACHE", "GOCACHE", "GOFLAGS"} {
				if out, err := exec.Command("go", "env", k).Output(); err == nil {
					env.Setenv(k, strings.TrimSpace(string(out)))
				}
			}
			env.Setenv("GOPROXY", "off")
			env.Values[serverKey{}] = new(*circltest.Server)
			env.Values[namedServersKey{}] = map[string]*circltest.Server{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pdns-serve":    pdnsServe,
			"pdns-requests": pdnsRequests,
			"pdns-wait":     pdnsWait,
			"pdns-add":      pdnsAdd,
			"pdns-fault":    pdnsFault,
			"ch-store":      chStore,
		},
		Condition: func(cond string) (bool, error) {
			if cond != "clickhouse" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			if os.Getenv("CIRCL_PDNS_TEST_CLICKHOUSE") == "" && os.Getenv("CI") == "true" {
				return false, errors.New("CI=true but no ClickHouse: $CIRCL_PDNS_TEST_CLICKHOUSE names none (.ci/run starts two)")
			}
			return os.Getenv("CIRCL_PDNS_TEST_CLICKHOUSE") != "", nil
		},
	})
}

// chStore puts in $CH the URL of a new database on the first ClickHouse
// server of $CIRCL_PDNS_TEST_CLICKHOUSE, and in $CH2 one over both as the
// shards of pdns_shards; both are dropped at the end of the script.
func chStore(ts *testscript.TestScript, neg bool, args []string) {
	servers := strings.Split(os.Getenv("CIRCL_PDNS_TEST_CLICKHOUSE"), ",")
	if neg || len(args) > 0 || len(servers) < 2 {
		ts.Fatalf("usage: ch-store, with two servers in $CIRCL_PDNS_TEST_CLICKHOUSE")
	}
	for _, v := range []string{"CH", "CH2"} {
		var b [6]byte
		rand.Read(b[:])
		db := "s_" + hex.EncodeToString(b[:])
		hosts, query := servers[0], ""
		if v == "CH2" {
			hosts, query = strings.Join(servers, ","), "?cluster=pdns_shards"
		}
		ts.Setenv(v, "clickhouse://"+hosts+"/"+db+query)
		ts.Defer(func() {
			for _, s := range servers {
				resp, err := http.Post("http://"+s+"/?query=DROP+DATABASE+IF+EXISTS+"+db, "text/plain", nil)
				if err == nil {
					resp.Body.Close()
				}
			}
		})
	}
}

// pdnsServe starts a fake CIRCL server for the rest of the script and puts
// its endpoint in $PDNS_URL (and its port in $PDNS_PORT).
//
//	pdns-serve [-user U:P] [-token T] [-latency D] [-nopages]
//	           [-status IND=CODE]... [-body IND=FILE]... [-header IND=K:V]...
//	           [-cut IND=N]... [-reset IND=N]... [-stall IND=D]... [-times IND=N]... [DUMP]
func pdnsServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! pdns-serve")
	}
	fs := flag.NewFlagSet("pdns-serve", flag.ContinueOnError)
	user := fs.String("user", "", "require Basic auth with user:password")
	token := fs.String("token", "", "require this Authorization header")
	latency := fs.Duration("latency", 0, "delay every answer")
	noPages := fs.Bool("nopages", false, "ignore the pagination headers")
	style := fs.String("style", "", "answer in a real server's style: circl, d4, qof, pretty, array, with ,bom ,crlf ,cr ,http10")
	name := fs.String("name", "", "a server of its own, one of several: its endpoint in $PDNS_URL_NAME, asked of with pdns-requests -name NAME")
	always := map[string][2]string{}
	fs.Func("always-header", "add header K:V to every answer to IND, good or bad", func(s string) error {
		ind, v, _ := strings.Cut(s, "=")
		k, hv, _ := strings.Cut(v, ":")
		always[ind] = [2]string{k, hv}
		return nil
	})
	faults := map[string]*circltest.Fault{}
	fault := func(spec string) (*circltest.Fault, string) {
		ind, v, ok := strings.Cut(spec, "=")
		if !ok {
			ts.Fatalf("pdns-serve: want IND=VALUE, got %q", spec)
		}
		if faults[ind] == nil {
			faults[ind] = &circltest.Fault{}
		}
		return faults[ind], v
	}
	intFault := func(name, usage string, set func(*circltest.Fault, int)) {
		fs.Func(name, usage, func(s string) error {
			f, v := fault(s)
			n, err := strconv.Atoi(v)
			set(f, n)
			return err
		})
	}
	intFault("status", "answer IND with status CODE", func(f *circltest.Fault, n int) { f.Status = n })
	fs.Func("body", "answer IND with the contents of FILE", func(s string) error {
		f, v := fault(s)
		f.Body = ts.ReadFile(v)
		if strings.HasPrefix(strings.TrimSpace(f.Body), "<") {
			f.ContentType = "text/html; charset=utf-8"
		}
		return nil
	})
	fs.Func("cursors", "answer IND=C1,C2... with these x-dribble-cursor values in turn", func(s string) error {
		f, v := fault(s)
		f.Cursors = strings.Split(v, ",")
		return nil
	})
	intFault("times", "limit the faults of IND to its first N requests", func(f *circltest.Fault, n int) { f.Times = n })
	intFault("cut", "cut the answer to IND after N lines", func(f *circltest.Fault, n int) { f.Cut = n })
	intFault("reset", "reset the connection of IND=N after N lines", func(f *circltest.Fault, n int) { f.Cut, f.Reset = n, true })
	fs.Func("stall", "stall the answer to IND=DURATION after its first line", func(s string) error {
		f, v := fault(s)
		var err error
		f.Stall, err = time.ParseDuration(v)
		f.Cut = 1
		return err
	})
	fs.Func("drip", "send the answer to IND=DURATION a byte at a time, DURATION apart", func(s string) error {
		f, v := fault(s)
		var err error
		f.Drip, err = time.ParseDuration(v)
		return err
	})
	fs.Func("header", "add header K:V to the answer to IND", func(s string) error {
		f, v := fault(s)
		k, hv, _ := strings.Cut(v, ":")
		if f.Header == nil {
			f.Header = map[string]string{}
		}
		f.Header[k] = hv
		return nil
	})
	ts.Check(fs.Parse(args))

	srv := circltest.NewServer()
	ts.Defer(srv.Close)
	if *name != "" {
		ts.Value(namedServersKey{}).(map[string]*circltest.Server)[*name] = srv
	} else {
		*ts.Value(serverKey{}).(**circltest.Server) = srv
	}
	if fs.NArg() > 0 {
		f, err := os.Open(ts.MkAbs(fs.Arg(0)))
		ts.Check(err)
		ts.Check(srv.Load(f))
		f.Close()
	}
	if u, p, ok := strings.Cut(*user, ":"); ok {
		srv.RequireBasicAuth(u, p)
	}
	if *token != "" {
		srv.RequireToken(*token)
	}
	if *latency > 0 {
		srv.SetLatency(*latency)
	}
	if *noPages {
		srv.IgnorePagination()
	}
	if *style != "" {
		st, err := circltest.ParseStyle(*style)
		ts.Check(err)
		srv.SetStyle(st)
	}
	for ind, h := range always {
		srv.SetHeader(ind, h[0], h[1])
	}
	for ind, f := range faults {
		srv.Fail(ind, *f)
	}
	if *name != "" {
		ts.Setenv("PDNS_URL_"+*name, srv.Endpoint())
		return
	}
	ts.Setenv("PDNS_URL", srv.Endpoint())
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	ts.Setenv("PDNS_PORT", port)
}

// namedServersKey holds the servers pdns-serve -name started, by name.
type namedServersKey struct{}

type serverKey struct{}

// pdnsWait waits until the server started by pdns-serve has been asked N
// requests: something to wait for instead of a sleep.
//
//	pdns-wait N
func pdnsWait(ts *testscript.TestScript, neg bool, args []string) {
	srv := *ts.Value(serverKey{}).(**circltest.Server)
	if srv == nil || neg || len(args) != 1 {
		ts.Fatalf("usage: pdns-wait N, after pdns-serve")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a bound, not a wait
	defer cancel()
	ts.Check(srv.WaitRequests(ctx, n))
}

// pdnsAdd adds the records of a dump to the running server: an answer
// that grows between two runs.
//
//	pdns-add FILE
func pdnsAdd(ts *testscript.TestScript, neg bool, args []string) {
	srv := *ts.Value(serverKey{}).(**circltest.Server)
	if srv == nil || neg || len(args) != 1 {
		ts.Fatalf("usage: pdns-add FILE, after pdns-serve")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	ts.Check(srv.Load(f))
}

// pdnsFault makes the running server answer IND badly from now on: with
// STATUS, or cut after N lines (cut:N); 0 answers it well again.
//
//	pdns-fault IND STATUS|cut:N
func pdnsFault(ts *testscript.TestScript, neg bool, args []string) {
	srv := *ts.Value(serverKey{}).(**circltest.Server)
	if srv == nil || neg || len(args) != 2 {
		ts.Fatalf("usage: pdns-fault IND STATUS|cut:N, after pdns-serve")
	}
	if n, ok := strings.CutPrefix(args[1], "cut:"); ok {
		lines, err := strconv.Atoi(n)
		ts.Check(err)
		srv.Fail(args[0], circltest.Fault{Cut: lines})
		return
	}
	status, err := strconv.Atoi(args[1])
	ts.Check(err)
	srv.Fail(args[0], circltest.Fault{Status: status})
}

// pdnsRequests prints what the server started by pdns-serve was asked, a
// line a request: the indicator, then the headers that matter, sorted.
// With -name, the server of that name; with -gap D, it fails unless every
// request came at least D after the one before (a rate kept: a lower
// bound, which no slowness of the machine can break).
//
//	pdns-requests [-name NAME] [-gap D]
func pdnsRequests(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("pdns-requests", flag.ContinueOnError)
	name := fs.String("name", "", "the server pdns-serve -name started")
	gap := fs.Duration("gap", 0, "the least time between two requests")
	ts.Check(fs.Parse(args))
	srv := *ts.Value(serverKey{}).(**circltest.Server)
	if *name != "" {
		srv = ts.Value(namedServersKey{}).(map[string]*circltest.Server)[*name]
	}
	if srv == nil || neg || fs.NArg() > 0 {
		ts.Fatalf("usage: pdns-requests [-name NAME] [-gap D], after pdns-serve")
	}
	reqs := srv.Requests()
	for i := 1; i < len(reqs) && *gap > 0; i++ {
		if d := reqs[i].Time.Sub(reqs[i-1].Time); d < *gap {
			ts.Fatalf("requests %d and %d came %v apart, under %v", i, i+1, d, *gap)
		}
	}
	for _, r := range reqs {
		var hs []string
		for k, v := range r.Header {
			k = strings.ToLower(k)
			if strings.HasPrefix(k, "dribble-") || k == "authorization" || k == "user-agent" {
				hs = append(hs, k+"="+strings.Join(v, ","))
			}
		}
		sort.Strings(hs)
		fmt.Fprintln(ts.Stdout(), r.Indicator, strings.Join(hs, " "))
	}
}

// peakMemory writes the process's peak resident memory (VmHWM, in kB) to
// the file $CIRCL_PDNS_BENCH_HWM names, if set.
func peakMemory() {
	path := os.Getenv("CIRCL_PDNS_BENCH_HWM")
	if path == "" {
		return
	}
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			os.WriteFile(path, []byte(strings.TrimSuffix(strings.TrimSpace(v), " kB")), 0o600)
		}
	}
}
