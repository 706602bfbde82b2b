package pdns

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The exit statuses of a run, and the kinds of failure that lead to them:
// the one place that says which failure ends a run with which status (the
// README's table of exit codes). Every error that ends a query or a run
// says its kind with a Failure method; cli asks FailureOf and exits with
// the worst status met.
const (
	ExitOK          = 0   // every indicator was queried (zero records is success)
	ExitFailed      = 1   // an indicator failed: bad input, a query that failed; the others were done
	ExitUsage       = 2   // bad flags, a bad jq program, a bad config: nothing was queried
	ExitAuth        = 3   // the credentials were refused: the run stopped
	ExitInterrupted = 130 // SIGINT (Interrupted(2)); 143 for SIGTERM
)

// Failure is a kind of failure: its name in the end-of-run summary, and
// the exit status it leads to.
type Failure struct {
	Kind   string
	Status int
}

// The kinds of failure.
var (
	Warned             = Failure{"warning", ExitOK} // said, and the query still succeeded
	Failed             = Failure{"failed", ExitFailed}
	BadInput           = Failure{"bad input", ExitFailed}
	BadRecord          = Failure{"bad record", ExitFailed}
	Connection         = Failure{"connection", ExitFailed}
	NotCOF             = Failure{"not NDJSON", ExitFailed}
	RateLimited        = Failure{"rate-limited", ExitFailed}
	ServerFailed       = Failure{"server error", ExitFailed}
	TooLongWait        = Failure{"too long a wait", ExitFailed}
	JQFailed           = Failure{"jq error", ExitFailed}
	CacheMiss          = Failure{"cache miss", ExitFailed}
	CacheDamaged       = Failure{"damaged cache", ExitFailed}
	Usage              = Failure{"usage", ExitUsage}
	RefusedCredentials = Failure{"refused credentials", ExitAuth} // every other query would be refused too: the run stops
)

// Interrupted is a run ended by signal number sig: its status is 128 plus
// the number, as shells say it: 130 for SIGINT, 143 for SIGTERM.
func Interrupted(sig int) Failure { return Failure{"interrupted", 128 + sig} }

// Halted is a run a jq program stopped (halt, halt_error), with the
// status it gave.
func Halted(status int) Failure { return Failure{"halted", status} }

// FailureOf is the kind of failure err is: the one the first error of its
// chain that knows says, or Failed.
func FailureOf(err error) Failure {
	var f interface{ Failure() Failure }
	if errors.As(err, &f) {
		return f.Failure()
	}
	return Failed
}

// StopsRun says whether err means that no other query can succeed: the
// credentials were refused. The batch stops at once, and the summary says
// what was left undone.
func StopsRun(err error) bool { return FailureOf(err) == RefusedCredentials }

// InputError is a line or argument that is not an indicator. The run goes on
// without it.
type InputError struct {
	Where string // "line 12", "argument 2"
	Text  string // what was read, possibly cut short
	Err   error
}

func (e *InputError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("%s: %v", e.Where, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Where, Quote(e.Text, 80), e.Err)
}
func (e *InputError) Unwrap() error    { return e.Err }
func (e *InputError) Failure() Failure { return BadInput }

// RecordError is one record of an answer (or of a dump) that could not be
// read or is refused. The rest of the answer is still read.
type RecordError struct {
	Indicator string
	Where     string // "answer line 3", or "demo.ndjson line 3"
	Err       error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Indicator, e.Where, e.Err)
}
func (e *RecordError) Unwrap() error    { return e.Err }
func (e *RecordError) Failure() Failure { return BadRecord }

// QueryError is a query that failed for another reason: the connection, a
// cut answer, a local file.
type QueryError struct {
	Indicator string
	Err       error
}

func (e *QueryError) Error() string    { return e.Indicator + ": " + e.Err.Error() }
func (e *QueryError) Unwrap() error    { return e.Err }
func (e *QueryError) Failure() Failure { return Connection }

// Warning is something the user should know that does not make the query
// fail, such as a result set the server capped.
type Warning struct {
	Indicator string
	Msg       string
}

func (e *Warning) Error() string    { return "warning: " + e.Indicator + ": " + e.Msg }
func (e *Warning) Failure() Failure { return Warned }

// Quote renders untrusted text for a message on one line: quoted, with
// control, invisible and bidi characters escaped, cut after max bytes.
func Quote(s string, max int) string {
	cut := ""
	if len(s) > max {
		s, cut = s[:max], "…"
	}
	return strconv.Quote(s) + cut // invalid UTF-8 comes out as \x escapes
}

// SourcesError is an indicator's answer that some sources could not give;
// the others' records were given.
type SourcesError struct {
	Indicator string
	Failed    []SourceFailure // in the order of the sources
}

// SourceFailure is why one source failed an indicator.
type SourceFailure struct {
	Source string
	Err    error
}

func (e *SourcesError) Error() string {
	var b strings.Builder
	b.WriteString(e.Indicator + ": ")
	for i, f := range e.Failed {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Source + ": " + strings.TrimPrefix(f.Err.Error(), e.Indicator+": "))
	}
	return b.String()
}

// Unwrap is every source's error.
func (e *SourcesError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}

// Failure is the kind of the first source's failure, with the status of a
// partial answer (1): not even refused credentials stop a run that other
// sources answer.
func (e *SourcesError) Failure() Failure {
	f := FailureOf(e.Failed[0].Err)
	if f.Status == ExitOK || f.Status == ExitFailed {
		return f
	}
	return Failure{Kind: f.Kind, Status: ExitFailed}
}
