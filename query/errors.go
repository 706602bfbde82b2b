package query

import (
	"fmt"
	"net/http"
	"time"
)

// Each failure has its own type, and each type knows the exit status it
// leads to (see the README's table of exit codes) and the kind of failure it
// is, for the end-of-run summary.

// AuthError is a 401 or 403: the credentials were refused, and every other
// query would be refused too.
type AuthError struct {
	Indicator string
	Status    int
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("%s: authentication refused (%s)", e.Indicator, statusText(e.Status))
}
func (e *AuthError) ExitCode() int { return 3 }
func (e *AuthError) Kind() string  { return "refused credentials" }

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
func (e *RateLimitError) ExitCode() int { return 1 }
func (e *RateLimitError) Kind() string  { return "rate-limited" }

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
		msg += ": " + Quote(e.Body, 120)
	}
	return msg
}
func (e *ServerError) ExitCode() int { return 1 }
func (e *ServerError) Kind() string  { return "server error" }

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
	return fmt.Sprintf("%v; it asks to wait %s (Retry-After: %s), more than the %v allowed: given up", e.Err, wait, Quote(e.Header, 40), e.Max)
}
func (e *WaitError) Unwrap() error { return e.Err }
func (e *WaitError) ExitCode() int { return 1 }
func (e *WaitError) Kind() string  { return "too long a wait" }

// ProtocolError is an answer that is not what the protocol promises, such as
// an HTML page with status 200.
type ProtocolError struct {
	Indicator string
	Msg       string
}

func (e *ProtocolError) Error() string { return e.Indicator + ": " + e.Msg }
func (e *ProtocolError) ExitCode() int { return 1 }
func (e *ProtocolError) Kind() string  { return "not NDJSON" }

// RecordError is one line of an answer (or of a dump) that is not a record.
// The rest of the answer is still read.
type RecordError struct {
	Indicator string
	Where     string // "answer line 3", or "demo.ndjson line 3"
	Err       error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Indicator, e.Where, e.Err)
}
func (e *RecordError) Unwrap() error { return e.Err }
func (e *RecordError) ExitCode() int { return 1 }
func (e *RecordError) Kind() string  { return "bad record" }

// QueryError is a query that failed for another reason: the connection, a
// cut answer, a local file.
type QueryError struct {
	Indicator string
	Err       error
}

func (e *QueryError) Error() string { return e.Indicator + ": " + e.Err.Error() }
func (e *QueryError) Unwrap() error { return e.Err }
func (e *QueryError) ExitCode() int { return 1 }
func (e *QueryError) Kind() string  { return "connection" }

// Warning is something the user should know that does not make the query
// fail, such as a result set the server capped.
type Warning struct {
	Indicator string
	Msg       string
}

func (e *Warning) Error() string { return "warning: " + e.Indicator + ": " + e.Msg }
func (e *Warning) ExitCode() int { return 0 }
func (e *Warning) Kind() string  { return "warning" }

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
