package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/circl-pdns/circl-pdns/query/store"
)

// secretFlags are the flags whose value other users of the machine can
// read in the process list when given on the command line.
var secretFlags = []string{"--password", "--token", "--store-password"}

// secretsOnCommandLine names the secret flags given in args.
func secretsOnCommandLine(args []string) []string {
	var found []string
	for _, a := range args {
		if a == "--" {
			break
		}
		for _, f := range secretFlags {
			if a == f || strings.HasPrefix(a, f+"=") {
				found = append(found, f)
			}
		}
	}
	return found
}

// credentials gathers the user, password and token from the flags, the
// environment, the config file, a password file or the URL (which loses
// them), and applies the rules that keep them safe: a warning for a secret
// on the command line or in a file others can read, and never over plain
// HTTP to another machine unless --http says so.
func credentials(g *grammar, u *url.URL, warn func(string)) (user, password, token string, err error) {
	user, password, token = g.User, g.Password, g.Token
	if u.User != nil { // credentials in --url: used, then taken out of the URL
		if user == "" {
			user = u.User.Username()
			password, _ = u.User.Password()
		}
		u.User = nil
	}
	if g.PasswordFile != "" {
		if password, err = readPasswordFile(g.PasswordFile); err != nil {
			return "", "", "", usageError{fmt.Errorf("--password-file: %w", err)}
		}
		warnIfShared(g.PasswordFile, "password file", warn)
	}
	if password != "" && user == "" && token == "" {
		return "", "", "", usageError{errors.New("a password was given without --user")}
	}
	for _, f := range g.secretArgs {
		warn(f + " on the command line can be read by other users of this machine (ps, /proc); prefer $CIRCL_PDNS_" + strings.ToUpper(strings.TrimPrefix(f, "--")) + ", --password-file or the config file")
	}
	if (password != "" || token != "") && u.Scheme == "http" && !g.HTTP && !isLoopback(u.Hostname()) {
		return "", "", "", usageError{fmt.Errorf("refusing to send credentials over plain HTTP to %s: use https, or --http to insist", u.Hostname())}
	}
	return user, password, token, nil
}

// storeOptions are the options of the store --store names: its password,
// from --store-password ($CIRCL_PDNS_STORE_PASSWORD, the config file) or
// --store-password-file, for a ClickHouse store.
func storeOptions(g *grammar, create bool, warn func(string)) (store.Options, error) {
	o := store.Options{Create: create, Password: g.StorePassword}
	if g.StorePasswordFile != "" {
		p, err := readPasswordFile(g.StorePasswordFile)
		if err != nil {
			return o, usageError{fmt.Errorf("--store-password-file: %w", err)}
		}
		warnIfShared(g.StorePasswordFile, "password file", warn)
		o.Password = p
	}
	u, err := url.Parse(g.Store)
	if err != nil {
		return o, nil // the store says what is wrong with it
	}
	password := o.Password
	if p, ok := u.User.Password(); ok {
		warn("a password in --store can be read by other users of this machine (ps, /proc); prefer $CIRCL_PDNS_STORE_PASSWORD or --store-password-file")
		password = p
	}
	if password != "" && u.Scheme == "clickhouse" && !g.HTTP {
		for _, h := range strings.Split(u.Host, ",") {
			name := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]") // no port
			if host, _, err := net.SplitHostPort(h); err == nil {
				name = host
			}
			if !isLoopback(name) {
				return o, usageError{fmt.Errorf("refusing to send the store's password over plain HTTP to %s: use clickhouses://, or --http to insist", name)}
			}
		}
	}
	return o, nil
}

// maxPasswordLine bounds what is read of a password file.
const maxPasswordLine = 4 << 10

// readPasswordFile reads the first line of path, of at most 4 KB: a file
// such as /dev/zero or a log file given by mistake is not read whole.
func readPasswordFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPasswordLine+2))
	if err != nil {
		return "", err
	}
	first, _, found := strings.Cut(string(b), "\n")
	first = strings.TrimSuffix(first, "\r")
	if len(first) > maxPasswordLine || !found && len(b) > maxPasswordLine {
		return "", fmt.Errorf("%s: the first line is longer than %d bytes: not a password", path, maxPasswordLine)
	}
	return first, nil
}

// warnIfShared warns when a file holding a secret can be read by others.
func warnIfShared(path, what string, warn func(string)) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		warn(fmt.Sprintf("%s %s can be read by other users (mode %04o); chmod 600 it", what, path, fi.Mode().Perm()))
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secretEnv are the environment variables that hold credentials.
var secretEnv = []string{"CIRCL_PDNS_PASSWORD", "CIRCL_PDNS_TOKEN", "CIRCL_PDNS_STORE_PASSWORD"}

// withoutUserinfo is v without the user part of the URL it is, and
// whether it had one; cut from the text, not parsed, as a URL Go does not
// parse may hold one too (clickhouse://u:p@h1:1,h2/db).
func withoutUserinfo(v string) (string, bool) {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#@") {
		return v, false
	}
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return v, false
	}
	return scheme + "://" + rest[at+1:], true
}

// jqEnviron is the environment a jq program sees with --jq-env: the
// process's, without the credentials, and URLs without their user info
// (CIRCL_PDNS_URL, HTTPS_PROXY... may carry a password).
func jqEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if slices.Contains(secretEnv, k) || strings.HasPrefix(k, "CIRCL_PDNS_SERVER_") && (strings.HasSuffix(k, "_PASSWORD") || strings.HasSuffix(k, "_TOKEN")) {
			continue // a server's of a run of several (--server)
		}
		if v, ok := withoutUserinfo(v); ok {
			kv = k + "=" + v
		}
		env = append(env, kv)
	}
	return env
}
