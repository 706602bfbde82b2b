package cli

import (
	"time"

	"github.com/alecthomas/kong"
)

// grammar is the whole command line. Flags beat environment variables,
// which beat the config file, which beats the defaults.
type grammar struct {
	Indicators []string `arg:"" optional:"" name:"indicator" help:"FQDNs or IP addresses to look up (defanged forms and URLs are accepted). With none, or \"-\", they are read from standard input, one per line."`

	// Connection
	Host          string        `group:"connection" default:"www.circl.lu" env:"CIRCL_PDNS_HOST" help:"Host name or address of the CIRCL Passive DNS server."`
	Port          int           `group:"connection" env:"CIRCL_PDNS_PORT" help:"Port of the server (default 443, or 80 with --http)."`
	HTTP          bool          `group:"connection" name:"http" env:"CIRCL_PDNS_HTTP" help:"Use plain HTTP instead of HTTPS."`
	VerifySSL     bool          `group:"connection" name:"verify-ssl" negatable:"" default:"true" env:"CIRCL_PDNS_VERIFY_SSL" help:"Verify the server's TLS certificate (--no-verify-ssl to skip; a warning is printed)."`
	URL           string        `group:"connection" name:"url" env:"CIRCL_PDNS_URL" placeholder:"URL" help:"Whole query endpoint, e.g. http://127.0.0.1:8400/pdns/query; overrides --host, --port and --http."`
	User          string        `group:"connection" env:"CIRCL_PDNS_USER" help:"User name for HTTP Basic authentication."`
	Password      string        `group:"connection" env:"CIRCL_PDNS_PASSWORD" help:"Password for HTTP Basic authentication (prefer the environment variable or --password-file)."`
	PasswordFile  string        `group:"connection" placeholder:"FILE" help:"Read the password from the first line of FILE."`
	Token         string        `group:"connection" env:"CIRCL_PDNS_TOKEN" help:"User token, sent as the Authorization header as it is (instead of --user)."`
	Timeout       time.Duration `group:"connection" default:"30s" env:"CIRCL_PDNS_TIMEOUT" help:"Give up on a request when the server sends nothing for this long."`
	NoActiveQuery bool          `group:"connection" env:"CIRCL_PDNS_NO_ACTIVE_QUERY" help:"Ask the server not to resolve the indicator actively (dribble-disable-active-query)."`
	PageSize      int           `group:"connection" default:"10000" env:"CIRCL_PDNS_PAGE_SIZE" help:"Records per page (dribble-paginate-count); 0 asks for everything at once."`
	Source        string        `group:"connection" type:"existingfile" placeholder:"FILE" help:"Answer from a local COF NDJSON dump instead of a server (no network)."`
	Config        configFlag    `group:"connection" placeholder:"FILE" env:"CIRCL_PDNS_CONFIG" help:"JSON config file whose keys are the long flag names (default $XDG_CONFIG_HOME/circl-pdns/config.json)."`

	// Output
	Output string `group:"output" short:"o" enum:"jsonl" default:"jsonl" help:"Output format (${enum})."`

	Version versionFlag `help:"Print the version and build information, then exit."`
}

var groups = []kong.Group{
	{Key: "connection", Title: "Connection:"},
	{Key: "output", Title: "Output:"},
}

// Help is shown under the usage line of --help.
func (grammar) Help() string {
	return `Asks CIRCL Passive DNS what each indicator (an FQDN or an IP address)
has resolved to over time, and prints the records: one JSON object per line
(with "query", the indicator asked) that jq, grep and spreadsheets can read.

Errors and warnings go to standard error. Exit status: 0 when every indicator
was queried (no records is not an error), 1 when an input line or a query
failed (the others are still done), 2 for a usage error, 3 when the server
refuses the credentials.

Examples:

    circl-pdns www.threatq.com
    circl-pdns --source testdata/demo.ndjson www.threatq.com
    export CIRCL_PDNS_USER=me CIRCL_PDNS_PASSWORD=secret
    grep -v '^#' iocs.txt | circl-pdns > records.jsonl
    echo 'hxxps://evil[.]example/login' | circl-pdns | jq -r .rdata
    tail -f new-iocs.txt | circl-pdns >> records.jsonl
    circl-pdns --url http://127.0.0.1:8400/pdns/query 104.196.175.197`
}
