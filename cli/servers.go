package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/store"
)

// serverConfig is a COF server named in the config file's "servers":
//
//	{"servers": {"d4": {"url": "https://d4.example/pdns/query", "user": "me", "password-file": "~/.d4"}}}
//
// Its credentials may come from the environment too:
// CIRCL_PDNS_SERVER_D4_USER, _PASSWORD, _TOKEN (the name in upper case,
// "-" as "_"), which beat the file.
type serverConfig struct {
	URL, User, Password, PasswordFile, Token string
	Rate                                     float64
}

// serverName is what a source may be called: it is written in every
// record it answers.
var serverName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)

// parseServers reads the config file's "servers".
func parseServers(path string, v any) (map[string]serverConfig, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf(`%s: "servers": want an object of servers by name`, path)
	}
	out := map[string]serverConfig{}
	for name, sv := range m {
		if !serverName.MatchString(name) || name == "circl" || name == "store" || name == "dump" {
			return nil, fmt.Errorf(`%s: "servers": %q is not a server's name (lower-case letters, digits, "-", "_", "."; not circl, store or dump)`, path, name)
		}
		fields, ok := sv.(map[string]any)
		if !ok {
			return nil, fmt.Errorf(`%s: "servers": %q: want an object with "url"`, path, name)
		}
		var sc serverConfig
		for k, v := range fields {
			s, isString := v.(string)
			switch k := strings.ReplaceAll(k, "_", "-"); {
			case k == "rate":
				r, ok := v.(float64)
				if !ok || r <= 0 {
					return nil, fmt.Errorf(`%s: "servers": %q: "rate": want a positive number of requests a second`, path, name)
				}
				sc.Rate = r
			case !isString:
				return nil, fmt.Errorf(`%s: "servers": %q: %q: want a string`, path, name, k)
			case k == "url":
				sc.URL = s
			case k == "user":
				sc.User = s
			case k == "password":
				sc.Password = s
			case k == "password-file":
				sc.PasswordFile = s
			case k == "token":
				sc.Token = s
			default:
				return nil, fmt.Errorf(`%s: "servers": %q: unknown key %q (url, user, password, password-file, token, rate)`, path, name, k)
			}
		}
		if sc.URL == "" {
			return nil, fmt.Errorf(`%s: "servers": %q has no "url"`, path, name)
		}
		out[name] = sc
	}
	return out, nil
}

// sources wires the sources of a run: each --server in its order (circl,
// the configured service; NAME, a server of the config file; NAME=URL),
// then the store and the dump; with none of them, the configured service
// alone, as ever. It returns them and the key of the --new state: a
// source's own, or that of the set.
func (c *command) sources(g *grammar) ([]query.Named, string, error) {
	if len(g.Server) == 0 && (g.Store != "" || g.Source != "") && (g.Cache || g.Offline || g.Refresh) {
		return nil, "", usageError{errors.New("--cache, --offline and --refresh do not go with --store or --source, which need no network")}
	}
	specs := g.Server
	if len(specs) == 0 && g.Store == "" && g.Source == "" {
		specs = []string{"circl"}
	}
	var list []query.Named
	var keys []string
	var hits []func() int // of the caches
	add := func(n query.Named, key string) error {
		if slices.ContainsFunc(list, func(o query.Named) bool { return o.Name == n.Name }) {
			return usageError{fmt.Errorf("--server %s: two sources of that name", n.Name)}
		}
		list = append(list, n)
		keys = append(keys, key)
		return nil
	}
	for _, spec := range specs {
		src, key, hit, err := c.server(g, spec, len(g.Server) > 0)
		if err != nil {
			return nil, "", err
		}
		if hit != nil {
			hits = append(hits, hit)
		}
		if err := add(src, key); err != nil {
			return nil, "", err
		}
	}
	if hits != nil {
		c.report.cacheHits = func() (n int) {
			for _, h := range hits {
				n += h()
			}
			return n
		}
	}
	if g.Store != "" {
		st, err := c.openStore(g)
		if err != nil {
			return nil, "", err
		}
		key, _ := filepath.Abs(g.Store)
		if st.Remote() {
			key = st.Path
		}
		if err := add(query.Named{Name: "store", Source: st, Wildcards: true}, "store:"+key); err != nil {
			return nil, "", err
		}
	}
	if g.Source != "" {
		abs, _ := filepath.Abs(g.Source)
		if err := add(query.Named{Name: "dump", Source: &store.Dump{Path: g.Source}, Wildcards: true}, "file:"+abs); err != nil {
			return nil, "", err
		}
	}
	if len(keys) == 1 { // one source: its state is the one it has alone
		return list, keys[0], nil
	}
	slices.Sort(keys) // a set: the same sources in another order are the same
	return list, "sources:" + strings.Join(keys, " "), nil
}

// server is the source of one --server spec (named says it was given as
// one, and its messages name it): a client of its own, behind a cache of
// its own with --cache, --offline or --refresh (whose hits it returns).
func (c *command) server(g *grammar, spec string, named bool) (query.Named, string, func() int, error) {
	name, raw, inline := strings.Cut(spec, "=")
	if !serverName.MatchString(name) || inline && (name == "circl" || name == "store" || name == "dump") {
		return query.Named{}, "", nil, usageError{fmt.Errorf("--server %s: want NAME or NAME=URL, NAME of lower-case letters, digits, \"-\", \"_\" or \".\" (circl, store and dump are taken)", spec)}
	}
	sg := *g // the flags of the configured service, for circl and as defaults
	if name != "circl" {
		sc, known := g.servers[name]
		if !inline && !known {
			return query.Named{}, "", nil, usageError{fmt.Errorf("--server %s: no server of that name in the config file (give NAME=URL)", name)}
		}
		if !inline {
			raw = sc.URL
		}
		sg.URL, sg.User, sg.Password, sg.PasswordFile, sg.Token = raw, sc.User, sc.Password, sc.PasswordFile, sc.Token
		sg.secretArgs = nil // those were the service's
		if sc.Rate > 0 {
			sg.Rate = sc.Rate
		}
		env := "CIRCL_PDNS_SERVER_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name)) + "_"
		for _, e := range []struct {
			name string
			to   *string
		}{{"USER", &sg.User}, {"PASSWORD", &sg.Password}, {"TOKEN", &sg.Token}} {
			if v := os.Getenv(env + e.name); v != "" {
				*e.to = v
			}
		}
	}
	warn, wrap := c.warn, func(err error) error { return err }
	if named {
		warn = func(msg string) { c.warn(name + ": " + msg) }
		wrap = func(err error) error { return fmt.Errorf("--server %s: %w", name, err) }
	}
	client, err := newClient(&sg, warn)
	if err != nil {
		return query.Named{}, "", nil, wrap(err)
	}
	if g.Verbose {
		client.Log = slog.New(logHandler{w: c.report})
	}
	if len(c.batch.Selection.RRTypes) == 1 {
		client.RRType = c.batch.Selection.RRTypes[0] // the server sends less; the filter stays, for servers that ignore it
	}
	src := query.Named{Name: name, Source: client}
	var hits func() int
	if g.Cache || g.Offline || g.Refresh {
		cache, err := newCache(&sg, client)
		if err != nil {
			return query.Named{}, "", nil, err
		}
		if err := cache.Check(); err != nil {
			return query.Named{}, "", nil, usageError{err}
		}
		if g.Verbose {
			cache.Log = client.Log
		}
		src.Source, hits = cache, cache.Hits
	}
	if !sg.VerifySSL && client.Endpoint.Scheme == "https" && !g.Offline { // offline: no TLS to warn about
		warn("the server's TLS certificate is not verified (--no-verify-ssl)")
	}
	return src, client.Endpoint.String(), hits, nil
}

// openStore opens --store for queries: a store that is not there is a
// usage error; ClickHouse servers that do not answer, a failure.
func (c *command) openStore(g *grammar) (*store.Store, error) {
	opts, err := storeOptions(g, false, c.warn)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(g.Store, opts)
	if err != nil {
		if store.IsRemote(g.Store) && !errors.Is(err, store.ErrNoStore) {
			return nil, connError{fmt.Errorf("--store %w", err)} // the servers did not answer: not a usage error
		}
		return nil, usageError{fmt.Errorf("--store %w", err)}
	}
	c.closer = st
	return st, nil
}
