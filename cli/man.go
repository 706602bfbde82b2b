package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// printMan is --man: the manual page, in roff (man -l - shows it), made
// from the grammar so that it cannot drift from --help: every flag with
// its help, default and environment variable, then the exit status, the
// environment and the files.
func printMan(w io.Writer, app *kong.Kong) {
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	tagged := func(font, label, text string) { // a tagged paragraph
		line(".TP")
		line(".%s %s", font, roffText(label))
		line("%s", roffText(text))
	}
	verbatim := func(lines []string) {
		line(".nf")
		for _, l := range lines {
			line("%s", roffLine(l))
		}
		line(".fi")
	}
	line(`.TH CIRCL-PDNS 1 "%s" "circl-pdns %s" "User Commands"`, buildDate(), roffText(Version()))
	line(".SH NAME")
	line(`circl-pdns \- ask CIRCL Passive DNS what names and addresses resolved to`)
	line(".SH SYNOPSIS")
	line(".B circl-pdns")
	line(`[\fIflags\fR] [\fIindicator\fR ...]`)
	line(".SH DESCRIPTION")
	intro, examples, fences := helpParts(grammar{}.Help())
	for _, p := range intro {
		line(".PP")
		line("%s", roffText(p))
	}
	for _, g := range groups {
		line(".SH %s", roffText(strings.ToUpper(strings.TrimSuffix(g.Title, ":"))))
		if g.Description != "" {
			line("%s", roffText(g.Description))
		}
		for _, f := range app.Model.Flags {
			if f.Group == nil || f.Group.Key != g.Key || f.Hidden {
				continue
			}
			manFlag(&b, f)
		}
	}
	line(".SH OTHER FLAGS")
	for _, f := range app.Model.Flags {
		if f.Group == nil && !f.Hidden {
			manFlag(&b, f)
		}
	}
	line(".SH INDICATORS")
	for _, p := range []string{
		"An indicator is a domain name (an FQDN) or an IP address, given as an argument or on a line of standard input (blank lines and lines starting with # are skipped; one given twice is asked once).",
		"Defanged forms are read as they are meant: example[.]com, example(dot)com, hxxps[://]example.com, 2001:db8[:]1. A URL or host:port is reduced to its host (https://www.example.com/login asks www.example.com); names are made lower case and internationalised names their A-label (bücher.example is xn--bcher-kva.example); addresses are written canonically (::ffff:192.0.2.1 is 192.0.2.1).",
		"*.example.com asks for every name under example.com, which only a local store (--store) or dump (--source) answers.",
		"Refused, each with its line or argument number, while the others go on: e-mail addresses, hashes, CIDR blocks, paths, other wildcards, a single label that is not a top-level domain, labels longer than 63 bytes or names longer than 253, control characters, invalid UTF-8, lines longer than 2048 bytes.",
	} {
		line(".PP")
		line("%s", roffText(p))
	}
	line(".SH FORMATS")
	line("Chosen with \\fB\\-o\\fR; records from the service are untrusted, and every format makes sure they cannot act on a terminal or a spreadsheet.")
	for _, f := range formatHelp {
		tagged("B", f[0], f[1])
	}
	line(".SH IMPORTED FILES")
	line("What \\-\\-import reads, each file recognised by its first line (\\-\\-format names one when it cannot be told); gzip-compressed or not. A DNS log's answers become records merged as the store merges: one per name, type and rdata, seen first and last at the earliest and latest times of its lines, counted once a line (passivedns: its count). What was imported before is not read again: the same text is known by its digest whatever its name or compression, and a log that has grown, or was rotated, is read from where the last import stopped; a last line without its end is left for the next import.")
	for _, f := range importFormatHelp {
		tagged("B", f[0], f[1])
	}
	line(".SH TIME FENCES")
	verbatim(fences)
	line(".SH EXIT STATUS")
	for _, s := range [][2]string{
		{"0", "Every indicator was queried (zero records is success); warnings do not change it."},
		{"1", "At least one indicator failed: a bad input line, a bad answer line, or a query that failed; the others were still done."},
		{"2", "Usage: bad flags, bad config, a jq program that does not compile; nothing was queried."},
		{"3", "The server refused the credentials (401/403): the run stops at once; it says how many indicators were skipped."},
		{"130", "Interrupted by SIGINT (Ctrl-C)."},
		{"143", "Terminated by SIGTERM."},
		{"n", "The jq program called halt_error (5 unless it gave a code)."},
	} {
		tagged("B", s[0], s[1])
	}
	line(".SH ENVIRONMENT")
	line("Flags beat the environment, which beats the config file.")
	for _, f := range app.Model.Flags {
		for _, env := range f.Envs {
			tagged("B", env, "as --"+f.Name)
		}
	}
	for _, e := range [][2]string{
		{"COLUMNS", "The width of the table, when standard output is not a terminal that says it."},
		{"NO_COLOR", "Honoured: circl-pdns does not colour its output."},
		{"XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_STATE_HOME, XDG_DATA_HOME", "Where the config file, the cache, the watch state and the store are (see FILES)."},
	} {
		tagged("B", e[0], e[1])
	}
	line(".SH FILES")
	tagged("I", "$XDG_CONFIG_HOME/circl-pdns/config.json", "The config file: a JSON object whose keys are the long flag names (--config names another). Unknown keys are refused.")
	tagged("I", "$XDG_CACHE_HOME/circl-pdns/", "The answer cache (--cache, --cache-dir): one gzip file of NDJSON per answer, 0600, in a directory made 0700.")
	tagged("I", "$XDG_STATE_HOME/circl-pdns/", "What --new runs printed (--state-dir): one JSON file of record hashes per indicator and server, 0600, in a directory made 0700.")
	tagged("I", "$XDG_DATA_HOME/circl-pdns/store.db", "The store --import fills when no --store is given: an SQLite file, 0600, in a directory made 0700, with store.db.lock beside it.")
	line(".SH SHELL COMPLETION")
	line("The command completes its flags, the values of \\-o, \\-t, \\-\\-sort and \\-\\-completion, and file names, once the shell is told to ask it:")
	verbatim([]string{
		`eval "$(circl-pdns --completion bash)"     # in ~/.bashrc`,
		`eval "$(circl-pdns --completion zsh)"      # in ~/.zshrc`,
		`circl-pdns --completion fish | source      # in ~/.config/fish/config.fish`,
	})
	line(".SH EXAMPLES")
	verbatim(examples)
	line(".SH SEE ALSO")
	line(".BR jq (1),")
	line(".BR curl (1),")
	line(".BR dig (1)")
	io.WriteString(w, b.String())
}

// importFormatHelp says what --import reads, by the names --format takes
// (TestManImportFormats keeps it whole).
var importFormatHelp = [][2]string{
	{"cof", "Passive DNS Common Output Format records, as the service answers them: NDJSON, a JSON array, pretty-printed; the records as they are."},
	{"zeek", "Zeek's dns.log as its ASCII writer writes it: the #fields header names the columns (in any order; several headers, from logs cat'ed); #separator, #set_separator, #empty_field, #unset_field are honoured, and the writer's tsv mode (one line of column names) read. The names before the addresses in the answers column are the CNAME chain from the query, the addresses the chain end's (A or AAAA by their form); other answers (MX, NS, PTR, TXT, SRV, SOA...) are of the query's type and name. Only NOERROR answers are stored; rejected, NXDOMAIN and other errors, unanswered queries, classes other than IN are counted."},
	{"zeek-json", "The same log as JSON lines (LogAscii::use_json, or the json-streaming-logs package): ts as epoch seconds or ISO 8601; lines of other logs (_path) counted."},
	{"suricata", "Suricata's EVE JSON: its dns events, in version 1 (an event an answer record), 2 (the answers detailed, with their owner names, or grouped by type: the CNAMEs then lead from the question to the owner of the others) and 3 (Suricata 8); SOA, SRV, SSHFP and MX objects written as their rdata. Requests and other events are counted."},
	{"passivedns", "gamelinux/passivedns's log: a line an answer record (its owner name, type, rdata, count), || between the columns. Its -f and -d options are told from the first lines (the columns are always in one order; the lengths L and l are checked); when two layouts fit, passivedns:LETTERS gives -f's letters. An H time is the sensor's local time, read in $TZ."},
	{"passivedns-json", "passivedns -j: timestamp_s (or timestamp), class, query, type, answer, count."},
}

// manFlag writes one flag as a tagged paragraph.
func manFlag(b *strings.Builder, f *kong.Flag) {
	b.WriteString(".TP\n")
	var names []string
	if f.Short != 0 {
		names = append(names, `\fB\-`+string(f.Short)+`\fR`)
	}
	long := `\fB\-\-` + roffText(f.Name) + `\fR`
	if f.Tag.Negatable != "" {
		long = `\fB\-\-[no\-]` + roffText(f.Name) + `\fR`
	}
	names = append(names, long)
	head := strings.Join(names, ", ")
	if !f.IsBool() && !f.IsCounter() {
		ph := f.PlaceHolder
		if ph == "" {
			ph = strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		}
		head += ` \fI` + roffText(ph) + `\fR`
	}
	b.WriteString(head + "\n")
	help := f.Help
	help = strings.ReplaceAll(help, "${enum}", strings.Join(f.EnumSlice(), ", "))
	help = strings.ReplaceAll(help, "${default}", f.Default)
	if f.Default != "" && !strings.Contains(f.Help, "${default}") && !f.IsBool() {
		help += " Default: " + f.Default + "."
	}
	b.WriteString(roffText(help) + "\n")
}

// helpParts splits the Help text into its opening paragraphs, its
// examples and its time fences.
func helpParts(help string) (intro, examples, fences []string) {
	parts := strings.Split(help, "\n\n")
	section := 0
	for _, p := range parts {
		switch {
		case strings.HasPrefix(p, "Examples:"):
			section = 1
			continue
		case strings.HasPrefix(p, "Time fences:"):
			section = 2
			first := strings.TrimSpace(strings.TrimPrefix(p, "Time fences:"))
			fences = append(fences, strings.ToUpper(first[:1])+first[1:])
			continue
		}
		switch section {
		case 0:
			intro = append(intro, strings.Join(strings.Fields(p), " "))
		case 1:
			for _, l := range strings.Split(p, "\n") {
				examples = append(examples, strings.TrimPrefix(l, "    "))
			}
		case 2:
			for _, l := range strings.Split(p, "\n") {
				fences = append(fences, strings.TrimPrefix(l, "    "))
			}
		}
	}
	return intro, examples, fences
}

// roffText escapes text for a filled roff paragraph: backslashes, and a
// line start that roff would take for a request.
func roffText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffLine escapes one line of a no-fill block.
func roffLine(s string) string {
	if s == "" {
		return `\&`
	}
	return roffText(s)
}

// formatHelp says what each output format is, for the manual page.
var formatHelp = [][2]string{
	{"auto", "table on a terminal (without --jq), jsonl otherwise."},
	{"jsonl", "One JSON object per record: \"query\" (the indicator asked; with --pivot, \"hop\" and \"via\"; with several sources, \"source\", or \"sources\" with --merge), then every member as the server sent it. With --jq, each output of the program."},
	{"table", "For people: a heading per indicator, then RRNAME, TYPE, RDATA, COUNT, FIRST SEEN, LAST SEEN (UTC), fitted to the terminal's width (two lines a record below 72 columns, or 100 with a SOURCE column for several sources; a block below 40); --wide wraps long text instead of cutting it."},
	{"text", "One line a record (a line a value), as dig prints them, with the dates, the span and the count in a comment: for grep."},
	{"csv", "RFC 4180: query, rrname, rrtype, rdata, count, time_first, time_last (RFC 3339), and hop, via with --pivot; cells a spreadsheet would run as formulas are made inert."},
	{"threatq", "One ThreatQ indicator object per indicator asked: each rrtype a \"Resource Type\" attribute, each rdata value a \"Resource Data\" one, and the names and addresses the records point to as related indicators."},
	{"misp", "One MISP event for the run: a passive-dns object per record (the MISP template's relations), an attribute per indicator asked."},
	{"stix", "One STIX 2.1 bundle: domain-name, ipv4-addr and ipv6-addr observables, and an observed-data per record."},
	{"timeline", "A bar per row (type and rdata, or the names of an address) from first to last seen, on one time axis for the run, with the count."},
	{"dot", "The graph of names and addresses the records draw, for Graphviz (dot -Tsvg); the indicators asked are doubled, hubs grey."},
	{"graph", "The same graph as Cytoscape.js elements (JSON), every record member on its edges."},
	{"summary", "One line per indicator, not its records: seen or not, records, distinct rdata, types, first and last seen, and each source's (with several); JSON lines, or a table on a terminal. Which of 32,000 indicators were ever seen, in memory that does not grow with the answers."},
}

// buildDate is the date of the manual page: that of the commit the command
// was built from, or else of the command's file.
func buildDate() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t.UTC().Format(time.DateOnly)
				}
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			return fi.ModTime().UTC().Format(time.DateOnly)
		}
	}
	return time.Now().UTC().Format(time.DateOnly)
}
