package circl

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// A server can echo what it was sent (the Authorization header) back in an
// error page, a header, a cursor or a member name, and the client quotes
// such things in its messages. So every message the client gives out, the
// errors it returns, the problems it passes on and the lines it logs, is
// scrubbed of the credentials first.

// redacted stands for a credential in a message.
const redacted = "[credentials removed]"

// minSecret is the shortest password scrubbed wherever it appears: a
// shorter one would garble every message, and the forms that carry it
// (base64, the header) are scrubbed whatever its length.
const minSecret = 4

// secrets are the credentials of c as they may come back: as sent, base64
// encoded, and escaped as messages and JSON quote them.
func (c *Client) secrets() []string {
	c.secretsOnce.Do(func() {
		var raw []string
		switch {
		case c.Token != "":
			raw = append(raw, c.Token)
		case c.User != "":
			basic := base64.StdEncoding.EncodeToString([]byte(c.User + ":" + c.Password))
			raw = append(raw, basic, strings.TrimRight(basic, "="), c.User+":"+c.Password)
			if len(c.Password) >= minSecret {
				raw = append(raw, c.Password, url.QueryEscape(c.Password), url.PathEscape(c.Password))
			}
		}
		seen := map[string]bool{}
		for _, s := range raw {
			q := strconv.Quote(s)
			j, _ := json.Marshal(s)
			jq := strconv.Quote(string(j))
			for _, form := range []string{s, q[1 : len(q)-1], string(j[1 : len(j)-1]), jq[3 : len(jq)-3]} {
				if form != "" && !seen[form] {
					seen[form] = true
					c.secretForms = append(c.secretForms, form)
				}
			}
		}
	})
	return c.secretForms
}

// scrub takes the credentials out of s.
func (c *Client) scrub(s string) string {
	for _, secret := range c.secrets() {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

// scrubErr returns err, or err with a message scrubbed of the credentials:
// it stays the same error for errors.As, its exit status and its kind.
func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := c.scrub(msg); clean != msg {
		return &scrubbedError{err: err, msg: clean}
	}
	return err
}

type scrubbedError struct {
	err error
	msg string
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
