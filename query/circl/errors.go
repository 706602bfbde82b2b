package circl

import (
	"fmt"
	"net/http"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// Each failure of the service has its own type, and each type says the
// kind of failure it is (Failure: its name in the summary, its exit
// status).

// AuthError is a 401 or 403: the credentials were refused, and every other
// query would be refused too.
type AuthError struct {
	Indicator string
	Status    int
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("%s: authentication refused (%s)", e.Indicator, statusText(e.Status))
}
func (e *AuthError) Failure() pdns.Failure { return pdns.RefusedCredentials }

// RateLimitError is a 429: the service asks the client to slow down.
type RateLimitError struct {
	Indicator        string
	RetryAfter       time.Duration // 0 when the server did not say
	RetryAfterHeader string        // as the server sent it
}

func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s: rate-limited by the server (429), retry after %v", e.Indicator, e.RetryAfter)
	}
	return fmt.Sprintf("%s: rate-limited by the server (429)", e.Indicator)
}
func (e *RateLimitError) Failure() pdns.Failure { return pdns.RateLimited }

// ServerError is any other unexpected status, 5xx among them.
type ServerError struct {
	Indicator        string
	Status           int
	Body             string        // the start of the body, for the message
	RetryAfter       time.Duration // from a Retry-After header (503), or 0
	RetryAfterHeader string        // as the server sent it
}

func (e *ServerError) Error() string {
	msg := fmt.Sprintf("%s: server error: %s", e.Indicator, statusText(e.Status))
	if e.Body != "" {
		msg += ": " + pdns.Quote(e.Body, 120)
	}
	return msg
}
func (e *ServerError) Failure() pdns.Failure { return pdns.ServerFailed }

// WaitError is a server asking, with Retry-After, for a longer wait than
// the client allows: the query fails at once rather than hold the run.
type WaitError struct {
	Indicator string
	Err       error // the 429 or 5xx
	Header    string
	Wait, Max time.Duration
}

func (e *WaitError) Error() string {
	wait := "for " + e.Wait.String()
	if e.Wait > 100*365*24*time.Hour {
		wait = "for ever"
	}
	return fmt.Sprintf("%v; it asks to wait %s (Retry-After: %s), more than the %v allowed: given up", e.Err, wait, pdns.Quote(e.Header, 40), e.Max)
}
func (e *WaitError) Unwrap() error         { return e.Err }
func (e *WaitError) Failure() pdns.Failure { return pdns.TooLongWait }

// ProtocolError is an answer that is not what the protocol promises, such as
// an HTML page with status 200.
type ProtocolError struct {
	Indicator string
	Msg       string
}

func (e *ProtocolError) Error() string         { return e.Indicator + ": " + e.Msg }
func (e *ProtocolError) Failure() pdns.Failure { return pdns.NotCOF }

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
