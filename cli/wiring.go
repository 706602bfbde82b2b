package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/circl-pdns/circl-pdns/output"
	"github.com/circl-pdns/circl-pdns/query"
)

// command is one run, wired from the grammar.
type command struct {
	source query.Source
	out    output.Writer
	stderr io.Writer
}

func newCommand(g *grammar, stdout, stderr io.Writer) (*command, error) {
	c := &command{stderr: stderr, out: output.NewJSONL(stdout)}
	if g.Source != "" {
		c.source = &query.File{Path: g.Source}
		return c, nil
	}
	client, err := newClient(g)
	if err != nil {
		return nil, err
	}
	if !g.VerifySSL && client.Endpoint.Scheme == "https" {
		fmt.Fprintln(stderr, "circl-pdns: warning: the server's TLS certificate is not verified (--no-verify-ssl)")
	}
	c.source = client
	return c, nil
}

// endpoint is the query URL from --url, or from --host, --port and --http.
func endpoint(g *grammar) (*url.URL, error) {
	if g.URL != "" {
		u, err := url.Parse(g.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageError{fmt.Errorf("--url %s: want an http:// or https:// URL such as https://www.circl.lu/pdns/query", query.Quote(redact(g.URL), 200))}
		}
		return u, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(g.Host, "["), "]")
	if host == "" || strings.ContainsAny(host, "/@?# ") {
		return nil, usageError{fmt.Errorf("--host %s: want a host name or address (use --url for a whole URL)", query.Quote(g.Host, 200))}
	}
	u := &url.URL{Scheme: "https", Host: host, Path: "/pdns/query"}
	if g.HTTP {
		u.Scheme = "http"
	}
	switch {
	case g.Port < 0 || g.Port > 65535:
		return nil, usageError{fmt.Errorf("--port %d: want a port from 1 to 65535", g.Port)}
	case g.Port > 0:
		u.Host = net.JoinHostPort(host, strconv.Itoa(g.Port))
	case strings.Contains(host, ":"):
		u.Host = "[" + host + "]"
	}
	return u, nil
}

// redact hides the password of a URL's user info.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

func newClient(g *grammar) (*query.Client, error) {
	u, err := endpoint(g)
	if err != nil {
		return nil, err
	}
	user, password := g.User, g.Password
	if u.User != nil { // credentials in --url: used, then taken out of the URL
		if user == "" {
			user = u.User.Username()
			password, _ = u.User.Password()
		}
		u.User = nil
	}
	if g.PasswordFile != "" {
		b, err := os.ReadFile(g.PasswordFile)
		if err != nil {
			return nil, usageError{fmt.Errorf("--password-file: %w", err)}
		}
		first, _, _ := strings.Cut(string(b), "\n")
		password = strings.TrimSuffix(first, "\r")
	}
	if password != "" && user == "" && g.Token == "" {
		return nil, usageError{errors.New("a password was given without --user")}
	}
	switch {
	case g.Timeout <= 0:
		return nil, usageError{fmt.Errorf("--timeout %v: want a positive duration such as 30s", g.Timeout)}
	case g.PageSize < 0:
		return nil, usageError{fmt.Errorf("--page-size %d: want 0 or more", g.PageSize)}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: !g.VerifySSL}
	transport.ResponseHeaderTimeout = g.Timeout
	transport.DialContext = (&net.Dialer{Timeout: g.Timeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = g.Timeout
	return &query.Client{
		Endpoint:           u,
		HTTP:               &http.Client{Transport: transport},
		User:               user,
		Password:           password,
		Token:              g.Token,
		UserAgent:          "circl-pdns/" + Version(),
		PageSize:           g.PageSize,
		DisableActiveQuery: g.NoActiveQuery,
		IdleTimeout:        g.Timeout,
	}, nil
}

// run queries every indicator of in and returns the exit status.
func (c *command) run(ctx context.Context, in *query.Reader) int {
	h := &handler{out: c.out, stderr: c.stderr}
	err := (&query.Batch{Source: c.source}).Run(ctx, in, h)
	closeErr := c.out.Close()
	if err == nil && h.writeErr == nil {
		h.writeErr = closeErr
	}
	switch {
	case h.writeErr != nil:
		if errors.Is(h.writeErr, syscall.EPIPE) {
			return exitOK // stdout was closed (| head): nothing more is wanted
		}
		fmt.Fprintf(c.stderr, "circl-pdns: writing output: %v\n", h.writeErr)
		return max(h.status, exitFailed)
	case ctx.Err() != nil:
		fmt.Fprintln(c.stderr, "circl-pdns: interrupted")
		return exitInterrupted
	case err != nil && exitCode(err) != exitAuth: // an AuthError was reported already
		fmt.Fprintf(c.stderr, "circl-pdns: %v\n", err)
		return max(h.status, exitFailed)
	}
	return h.status
}

// handler reports what a Batch produces: records to the output writer,
// problems to stderr, and keeps the worst exit status seen.
type handler struct {
	out      output.Writer
	stderr   io.Writer
	status   int
	writeErr error
}

func (h *handler) Record(ind query.Indicator, r query.Record) error {
	if err := h.out.Record(ind, &r); err != nil {
		h.writeErr = err
		return err
	}
	return nil
}

func (h *handler) Done(ind query.Indicator, err error) error {
	if h.writeErr != nil {
		return h.writeErr
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		h.Problem(err)
	}
	if err := h.out.End(ind); err != nil {
		h.writeErr = err
		return err
	}
	return nil
}

func (h *handler) Problem(err error) {
	fmt.Fprintf(h.stderr, "circl-pdns: %v\n", err)
	h.status = max(h.status, exitCode(err))
}
