package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/circl-pdns/circl-pdns/query"
)

// grammar is the whole command line. Flags beat environment variables,
// which beat the config file, which beats the defaults.
type grammar struct {
	Indicators []string `arg:"" optional:"" name:"indicator" help:"FQDNs or IP addresses to look up (defanged forms and URLs are accepted; *.name for the names under a domain, from --store or --source). With none, or \"-\", they are read from standard input, one per line. With --import: the dumps to load."`

	// Output
	Output   string `group:"output" short:"o" enum:"auto,${formats}" default:"auto" env:"CIRCL_PDNS_OUTPUT" help:"Output format: auto, ${formatnames}. auto is table on a terminal (without --jq), jsonl otherwise."`
	NoHeader bool   `group:"output" help:"No header row in table and csv output."`
	Report   string `group:"output" placeholder:"FILE" predictor:"file" help:"Also write an HTML report of the run to FILE: summaries, SVG timelines, records (self-contained, it opens offline)."`
	Color    string `group:"output" enum:"auto,always,never" default:"auto" help:"Colour the timeline by record type: auto, always or never (auto: on a terminal, unless NO_COLOR is set)."`
	CRLF     bool   `group:"output" name:"crlf" help:"CSV: end lines in CRLF, as strict RFC 4180 readers want (LF by default)."`
	Wide     bool   `group:"output" help:"Table: wrap long cells onto more lines instead of cutting them with an ellipsis."`

	// Selection
	RRType []string `group:"selection" short:"t" name:"rrtype" sep:"," placeholder:"TYPE" predictor:"rrtype" env:"CIRCL_PDNS_RRTYPE" help:"Keep only records of these types (A,AAAA,NS...); with exactly one, the server is asked to filter too."`
	Since  string   `group:"selection" placeholder:"TIME" help:"Keep records last seen at or after TIME."`
	Until  string   `group:"selection" placeholder:"TIME" help:"Keep records first seen at or before TIME."`
	Strict bool     `group:"selection" help:"With --since/--until: keep only records seen entirely inside the window."`
	Limit  int      `group:"selection" placeholder:"N" help:"At most N records per indicator, after the filters (and after --sort); without --sort, fetching stops at N."`
	Sort   string   `group:"selection" placeholder:"KEY,..." predictor:"sort" help:"Sort each indicator's records by time_first, time_last, count, rrname, rrtype, rdata; -KEY for descending."`

	// Filter
	JQ      string `group:"filter" short:"q" name:"jq" placeholder:"PROGRAM" help:"jq program run on every record (an object with \"query\"); its outputs replace the record."`
	Raw     bool   `group:"filter" short:"r" name:"raw-output" help:"Write jq outputs that are strings without quotes, as jq -r."`
	Slurp   bool   `group:"filter" short:"s" help:"Run the jq program once per indicator, on the array of its records (as jq -s, per indicator)."`
	Arg     jqVars `group:"filter" name:"arg" placeholder:"NAME VALUE" help:"Set $NAME to the string VALUE in the jq program (repeatable)."`
	ArgJSON jqVars `group:"filter" name:"argjson" placeholder:"NAME JSON" help:"Set $NAME to the JSON value in the jq program (repeatable)."`
	JQEnv   bool   `group:"filter" name:"jq-env" help:"Let the jq program see the environment as $ENV (credentials are left out)."`

	// Connection
	Host           string        `group:"connection" default:"www.circl.lu" env:"CIRCL_PDNS_HOST" placeholder:"HOST" help:"Host name or address of the CIRCL Passive DNS server."`
	Port           int           `group:"connection" env:"CIRCL_PDNS_PORT" help:"Port of the server (default 443, or 80 with --http)."`
	HTTP           bool          `group:"connection" name:"http" env:"CIRCL_PDNS_HTTP" help:"Use plain HTTP instead of HTTPS."`
	VerifySSL      bool          `group:"connection" name:"verify-ssl" negatable:"" default:"true" env:"CIRCL_PDNS_VERIFY_SSL" help:"Verify the server's TLS certificate (--no-verify-ssl to skip; a warning is printed)."`
	URL            string        `group:"connection" name:"url" env:"CIRCL_PDNS_URL" placeholder:"URL" help:"Whole query endpoint, e.g. http://127.0.0.1:8400/pdns/query; overrides --host, --port and --http."`
	User           string        `group:"connection" env:"CIRCL_PDNS_USER" placeholder:"NAME" help:"User name for HTTP Basic authentication."`
	Password       string        `group:"connection" env:"CIRCL_PDNS_PASSWORD" placeholder:"PASSWORD" help:"Password for HTTP Basic authentication (prefer the environment variable or --password-file)."`
	PasswordFile   string        `group:"connection" placeholder:"FILE" predictor:"file" help:"Read the password from the first line of FILE."`
	Token          string        `group:"connection" env:"CIRCL_PDNS_TOKEN" placeholder:"TOKEN" help:"User token, sent as the Authorization header as it is (instead of --user)."`
	Timeout        time.Duration `group:"connection" default:"30s" env:"CIRCL_PDNS_TIMEOUT" help:"Give up on a request when the server sends nothing for this long."`
	MaxTime        time.Duration `group:"connection" default:"10m" env:"CIRCL_PDNS_MAX_TIME" help:"The most one indicator may take, every page and retry included (as curl's); 0 for no limit."`
	MaxWait        time.Duration `group:"connection" default:"2m" env:"CIRCL_PDNS_MAX_WAIT" help:"The longest Retry-After obeyed; a server asking for more fails that indicator at once."`
	SpeedLimit     int64         `group:"connection" default:"100" env:"CIRCL_PDNS_SPEED_LIMIT" placeholder:"BYTES" help:"Floor on the transfer rate, in bytes a second (as curl's; default ${default}): an answer slower than this for --speed-time is abandoned and retried; 0 for none."`
	SpeedTime      time.Duration `group:"connection" default:"30s" env:"CIRCL_PDNS_SPEED_TIME" help:"How long an answer may stay under --speed-limit."`
	NoActiveQuery  bool          `group:"connection" env:"CIRCL_PDNS_NO_ACTIVE_QUERY" help:"Ask the server not to resolve the indicator actively (dribble-disable-active-query)."`
	MaxRecordBytes int           `group:"connection" default:"4194304" env:"CIRCL_PDNS_MAX_RECORD_BYTES" help:"Longest record read (1 to 1 GiB), from a server, a dump or the cache; longer ones are reported and skipped, never loaded."`
	PageSize       int           `group:"connection" default:"10000" env:"CIRCL_PDNS_PAGE_SIZE" help:"Records per page (dribble-paginate-count); 0 asks for everything at once."`
	Server         []string      `group:"connection" sep:"none" placeholder:"NAME[=URL]" help:"Ask this COF server too, records saying its NAME (repeatable): NAME=URL, NAME of a server in the config file's \"servers\", or circl, the server configured above. Several sources (servers, --store, --source) are asked at once; each record says its \"source\"."`
	Merge          bool          `group:"connection" help:"With several sources: one record for the same rrname, rrtype and rdata from any of them (the earliest time_first, the latest time_last, the sum of the counts), with \"sources\" naming each."`
	Source         string        `group:"connection" type:"existingfile" placeholder:"FILE" predictor:"file" help:"Answer from a local COF NDJSON dump instead of a server (no network)."`
	Config         configFlag    `group:"connection" placeholder:"FILE" predictor:"file" env:"CIRCL_PDNS_CONFIG" help:"JSON config file whose keys are the long flag names (default $XDG_CONFIG_HOME/circl-pdns/config.json)."`

	// Store
	Store             string `group:"store" placeholder:"PATH|URL" predictor:"file" env:"CIRCL_PDNS_STORE" help:"Answer from the store at PATH (an SQLite file that --import fills) or URL (clickhouse://[user@]host:port/database, clickhouses:// over TLS; several host:port and ?cluster=NAME for shards) instead of a server: by index, and *.name for every name under a domain."`
	StorePassword     string `group:"store" placeholder:"PASSWORD" env:"CIRCL_PDNS_STORE_PASSWORD" help:"Password of the ClickHouse store's user (prefer the environment variable or --store-password-file)."`
	StorePasswordFile string `group:"store" placeholder:"FILE" predictor:"file" help:"Read the ClickHouse store's password from the first line of FILE."`
	Import            bool   `group:"store" help:"Load the files given as arguments (- or none: standard input; gzip is recognised) into the store (--store, default $XDG_DATA_HOME/circl-pdns/store.db), merging records, then exit: COF dumps, and DNS logs (Zeek's dns.log, Suricata's EVE JSON, passivedns), each recognised by its content. What was imported before is not counted again; a log that has grown is read from where the last import stopped."`
	Format            string `group:"store" placeholder:"FORMAT" default:"auto" predictor:"format" help:"With --import: the format of the files, when it cannot be told from them: ${inputformats}, or passivedns:LETTERS (the letters given to passivedns -f)."`
	Sensor            string `group:"store" placeholder:"NAME" help:"With --import: the sensor_id of the records made of DNS logs."`

	// Cache
	Cache      bool          `group:"cache" env:"CIRCL_PDNS_CACHE" help:"Keep whole answers on disk and answer from them while they are fresh."`
	CacheDir   string        `group:"cache" env:"CIRCL_PDNS_CACHE_DIR" placeholder:"DIR" help:"Where the cache is (default $XDG_CACHE_HOME/circl-pdns)."`
	CacheTTL   time.Duration `group:"cache" name:"cache-ttl" default:"24h" env:"CIRCL_PDNS_CACHE_TTL" help:"How old a cached answer may be."`
	Offline    bool          `group:"cache" help:"Answer from the cache only (any age): a miss is an error, the network is not used."`
	Refresh    bool          `group:"cache" help:"Ask the server even for cached answers, and keep the new ones."`
	CachePrune bool          `group:"cache" help:"Remove cached answers older than --cache-ttl, then exit."`

	// Batch
	Concurrency int     `group:"batch" short:"c" default:"4" env:"CIRCL_PDNS_CONCURRENCY" help:"Queries in flight at once."`
	Rate        float64 `group:"batch" env:"CIRCL_PDNS_RATE" placeholder:"R" help:"At most R requests per second (default: no cap)."`
	Retries     int     `group:"batch" default:"3" env:"CIRCL_PDNS_RETRIES" help:"Retries of a request after a connection error, a cut or stalled answer, a 429 or a 5xx (with backoff; Retry-After is obeyed)."`
	Unordered   bool    `group:"batch" help:"Print the answers in the order they come (each whole) instead of in input order."`
	Verbose     bool    `group:"batch" short:"v" help:"Log each request (URL, status, bytes, duration, retries) and say a summary at the end, on standard error."`
	NoProgress  bool    `group:"batch" help:"No progress bar (there is one only when standard error is a terminal)."`

	// Pivot
	Pivot        int      `group:"pivot" placeholder:"N" help:"Follow what the records point to, N hops (1 to 5): a name's addresses and CNAME, NS, MX targets; an address's names."`
	PivotTypes   []string `group:"pivot" sep:"," placeholder:"TYPE" predictor:"rrtype" default:"A,AAAA,CNAME,NS,MX" help:"Record types followed (default ${default})."`
	MaxQueries   int      `group:"pivot" default:"200" help:"The most queries of a pivoting run, the given indicators included (these are always asked)."`
	MaxFanout    int      `group:"pivot" default:"50" help:"An indicator with more records than this (a CDN, a parking address) is a hub: kept, not followed."`
	PivotPrivate bool     `group:"pivot" help:"Follow private, loopback and link-local addresses too (an internal resolver's view); special-use names (localhost, invalid) are never followed."`

	// Watch
	New        bool          `group:"watch" help:"Print only the records that no earlier --new run printed for the same indicator and server (a watchlist from cron)."`
	Baseline   bool          `group:"watch" help:"Record the current answers as seen, without printing them (the first run of a new watchlist)."`
	StateDir   string        `group:"watch" placeholder:"DIR" env:"CIRCL_PDNS_STATE_DIR" help:"Where --new keeps what it printed (default $XDG_STATE_HOME/circl-pdns)."`
	StatePrune time.Duration `group:"watch" placeholder:"AGE" help:"Forget the indicators not asked for AGE (e.g. 90d), then exit."`

	Completion string `placeholder:"SHELL" predictor:"shell" help:"Print the completion script for SHELL (bash, zsh or fish), then exit: put eval \"$(circl-pdns --completion bash)\" in ~/.bashrc (zsh: ~/.zshrc; fish: circl-pdns --completion fish | source, in config.fish)."`
	Man        bool   `help:"Print the manual page (roff; view it with: circl-pdns --man | man -l -), then exit."`
	Version    bool   `help:"Print the version on one line (with -v, the build information too), then exit."`

	secretArgs       []string                // secret flags given on the command line, to warn about
	servers          map[string]serverConfig // the config file's "servers"
	concurrencyGiven bool                    // -c was given (on the command line, in the environment or the config file)
}

var groups = []kong.Group{
	{Key: "output", Title: "Output:"},
	{Key: "selection", Title: "Selection:", Description: "Applied in this order: type, time fence, sort, limit, --new, jq. TIME is RFC 3339 (2024-05-01T12:00:00Z), a date (2024-05-01, UTC: its start for --since, its end for --until), epoch seconds, or a time ago (90d, 12h, 2w)."},
	{Key: "filter", Title: "Filter:"},
	{Key: "connection", Title: "Connection:"},
	{Key: "store", Title: "Store:", Description: "A team's own DNS logs (Zeek, Suricata, passivedns) and COF dumps, indexed: import them (again and again: only what is new is read), then ask them as a server."},
	{Key: "cache", Title: "Cache:"},
	{Key: "batch", Title: "Batch:"},
	{Key: "pivot", Title: "Pivot:", Description: "With --pivot, every record carries hop (0 for the given indicators) and via (the indicator whose answer led to it)."},
	{Key: "watch", Title: "Watch:", Description: "With --new, a run prints what is new since the earlier runs: nothing on standard output when nothing is new, status 0 either way."},
}

// Help is shown under the usage line of --help.
func (grammar) Help() string {
	return `Asks CIRCL Passive DNS what each indicator (an FQDN or an IP address)
has resolved to over time, and prints the records: a table on a terminal,
one JSON object per line (with "query", the indicator asked) on a pipe, or
with -o dig-like text, CSV, ThreatQ objects, a MISP event, a STIX 2.1
bundle, a timeline, or a graph for Graphviz (dot) or Cytoscape.js (graph).

Errors and warnings go to standard error. Exit status: 0 when every indicator
was queried (no records is not an error), 1 when an input line or a query
failed (the others are still done), 2 for a usage error, 3 when the server
refuses the credentials, 130 when interrupted (Ctrl-C), 143 on SIGTERM.

Examples:

    circl-pdns www.threatq.com
    circl-pdns --source testdata/demo.ndjson www.threatq.com
    export CIRCL_PDNS_USER=me CIRCL_PDNS_PASSWORD=secret
    grep -v '^#' iocs.txt | circl-pdns > records.jsonl
    echo 'hxxps://evil[.]example/login' | circl-pdns -q .rdata
    tail -f new-iocs.txt | circl-pdns >> records.jsonl
    circl-pdns -o csv < iocs.txt > records.csv
    circl-pdns -o threatq < iocs.txt > threatq.jsonl
    circl-pdns -t A,AAAA --sort -time_last --limit 10 example.com
    circl-pdns -q 'select(.count > $n) | .rdata' --argjson n 100 example.com
    circl-pdns -r -s -q 'map(.rdata) | unique[]' example.com
    circl-pdns --url http://127.0.0.1:8400/pdns/query 104.196.175.197

Time fences: records seen from F (time_first) to L (time_last).

    --since 2024-03-01          L >= since: still seen on or after March 1
    --until 2024-03-31          F <= until: first seen by the end of March 31
    --since 2024-03-01 --until 2024-03-31
                                seen at some time during March
    --since 7d --strict         first seen in the last 7 days (since <= F)`
}

// jqVars is --arg NAME VALUE or --argjson NAME JSON: a flag with two values.
type jqVars []query.Var

func (v *jqVars) Decode(ctx *kong.DecodeContext) error {
	flag := "--" + ctx.Value.Name
	name := ctx.Scan.Pop()
	value := ctx.Scan.Pop() // any token: a value may start with "-", as -1 does
	if name.Type == kong.EOLToken || value.Type == kong.EOLToken {
		return fmt.Errorf("%s needs a NAME and a VALUE", flag)
	}
	text := value.String()
	var val any = text
	if ctx.Value.Name == "argjson" {
		val = nil
		if err := json.Unmarshal([]byte(text), &val); err != nil {
			return fmt.Errorf("%s: invalid JSON: %v", name.Value, err)
		}
	}
	*v = append(*v, query.Var{Name: fmt.Sprint(name.Value), Value: val})
	return nil
}

// secondsMapper reads a duration flag as curl reads --max-time: a bare
// number is seconds ("5", "0.5"), anything else a Go duration ("90s",
// "2m"). The config file's numbers are seconds too.
type secondsMapper struct{}

func (secondsMapper) Decode(ctx *kong.DecodeContext, target reflect.Value) error {
	token, err := ctx.Scan.PopValue("duration")
	if err != nil {
		return err
	}
	var d time.Duration
	switch v := token.Value.(type) {
	case float64: // from the config file's JSON
		d = time.Duration(v * float64(time.Second))
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return err
		}
		d = time.Duration(f * float64(time.Second))
	case string:
		if d, err = parseSeconds(v); err != nil {
			return err
		}
	default:
		return fmt.Errorf("expected a duration but got %q", token)
	}
	target.Set(reflect.ValueOf(d))
	return nil
}

// parseSeconds reads "5" or "0.5" as seconds, "90d" or "2w" as days or
// weeks, and "90s" or "2m" as Go does.
func parseSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			if f, err := strconv.ParseFloat(n, 64); err == nil && f >= 0 && f < 1e5 {
				return time.Duration(f * float64(unit)), nil
			}
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > float64(math.MaxInt64/time.Second) {
			return 0, fmt.Errorf("%s: want a duration such as 30 (seconds), 90s, 2m or 7d", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: want a duration such as 30 (seconds), 90s, 2m or 7d", s)
	}
	return d, nil
}
