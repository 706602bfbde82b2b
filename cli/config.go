package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// configFile is a kong.Resolver over the JSON config file, whose keys are the
// long flag names ("verify-ssl", or "verify_ssl"). Flags and environment
// variables beat it. An unknown key is an error, so that a typo does not
// silently fall back to a default.
type configFile struct {
	path     string // the file to read
	explicit bool   // given with --config: it must exist
	loaded   bool
	values   map[string]any
	servers  map[string]serverConfig
	warnings []string
}

// defaultConfigPath is $XDG_CONFIG_HOME/circl-pdns/config.json (or its
// fallback, ~/.config/...); empty when neither can be found.
func defaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "circl-pdns", "config.json")
}

// configFlag is --config: it points the resolver at another file.
type configFlag string

func (c configFlag) BeforeResolve(ctx *kong.Context, trace *kong.Path, cfg *configFile) error {
	if p, ok := ctx.FlagValue(trace.Flag).(configFlag); ok && p != "" {
		cfg.path, cfg.explicit = string(p), true
	}
	return nil
}

func (c *configFile) Validate(*kong.Application) error { return nil }

// has says whether the file gives the flag name a value.
func (c *configFile) has(name string) bool { _, ok := c.values[name]; return ok }

func (c *configFile) Resolve(ctx *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
	if err := c.load(ctx.Model); err != nil {
		return nil, err
	}
	for _, env := range flag.Envs {
		if os.Getenv(env) != "" {
			return nil, nil // the environment beats the file
		}
	}
	if v, ok := c.values[flag.Name]; ok {
		return v, nil
	}
	return nil, nil
}

func (c *configFile) load(app *kong.Application) error {
	if c.loaded {
		return nil
	}
	c.loaded = true
	if c.path == "" {
		return nil
	}
	data, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) && !c.explicit {
		return nil
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = fmt.Errorf("%s: %w", c.path, pe.Err)
	}
	if err != nil {
		return &configError{err}
	}
	var values map[string]any
	if err := json.Unmarshal(data, &values); err != nil {
		return &configError{fmt.Errorf("%s: %s", c.path, jsonErrorAt(data, err))}
	}
	for _, secret := range []string{"password", "token", "store-password", "url", "store", "servers"} { // a URL may hold a password
		if v, ok := values[secret].(string); ok && (secret != "url" && secret != "store" || strings.Contains(v, "@")) || secret == "servers" && serversHoldSecrets(values[secret]) {
			warnIfShared(c.path, "config file", func(w string) { c.warnings = append(c.warnings, w) })
			break
		}
	}
	known := map[string]bool{}
	var names []string
	for _, f := range app.Flags {
		known[f.Name] = f.Name != "help" && f.Name != "version" && f.Name != "config"
		if known[f.Name] {
			names = append(names, f.Name)
		}
	}
	c.values = map[string]any{}
	for k, v := range values {
		name := strings.ReplaceAll(k, "_", "-") // verify_ssl is verify-ssl
		if name == "servers" {                  // not a flag: the named servers --server asks
			servers, err := parseServers(c.path, v)
			if err != nil {
				return &configError{err}
			}
			c.servers = servers
			continue
		}
		if !known[name] {
			msg := fmt.Sprintf("%s: unknown key %q", c.path, k)
			if near := pdns.Suggest(name, names); near != "" {
				msg += fmt.Sprintf(": did you mean %q?", near)
			}
			return &configError{errors.New(msg)}
		}
		c.values[name] = v
	}
	return nil
}

// jsonErrorAt says where in data a JSON error is: its line and column.
func jsonErrorAt(data []byte, err error) string {
	var offset int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset
	case errors.As(err, &te):
		offset = te.Offset
	}
	if offset < 0 || offset > int64(len(data)) {
		return err.Error()
	}
	before := data[:offset]
	line := 1 + strings.Count(string(before), "\n")
	col := max(int(offset)-strings.LastIndexByte(string(before), '\n')-1, 1) // the offset is past the byte at fault
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// configError is a config file that cannot be used.
type configError struct{ err error }

func (e *configError) Error() string { return "config file " + e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// serversHoldSecrets says whether the config file's "servers" hold a
// password, a token, or a URL with credentials.
func serversHoldSecrets(v any) bool {
	servers, _ := v.(map[string]any)
	for _, sv := range servers {
		entry, _ := sv.(map[string]any)
		for k, v := range entry {
			s, _ := v.(string)
			if k == "password" || k == "token" || k == "url" && strings.Contains(s, "@") {
				return true
			}
		}
	}
	return false
}
