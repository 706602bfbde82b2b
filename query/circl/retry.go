package circl

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

func (c *Client) pageWithRetries(ctx context.Context, ind pdns.Indicator, cursor string, sink pdns.Sink, st *answer) (string, error) {
	start := st.line
	for attempt := 1; ; attempt++ {
		if err := c.wait(ctx); err != nil {
			return "", err
		}
		st.line = start
		next, err := c.page(ctx, ind, cursor, sink, st, attempt)
		if err == nil || !retryable(err) || st.seen.Overflow {
			return next, err
		}
		if attempt > c.Retries {
			if attempt > 1 {
				err = &GaveUpError{Attempts: attempt, Err: err}
			}
			return "", err
		}
		delay := c.backoff(attempt)
		var rl *RateLimitError
		var se *ServerError
		asked, header := time.Duration(0), ""
		switch {
		case errors.As(err, &rl):
			asked, header = rl.RetryAfter, rl.RetryAfterHeader
		case errors.As(err, &se):
			asked, header = se.RetryAfter, se.RetryAfterHeader
		}
		if asked > 0 {
			if c.MaxWait > 0 && asked > c.MaxWait {
				return "", &WaitError{Indicator: ind.Value, Err: err, Header: header, Wait: asked, Max: c.MaxWait}
			}
			delay = asked
		}
		if rl != nil {
			c.pause(delay) // every worker waits, not only this one
		}
		if c.Log != nil {
			c.Log.Info("retry", "indicator", ind.Value, "attempt", attempt+1, "after", delay.Round(time.Millisecond), "because", c.scrub(err.Error()))
		}
		if err := c.clock().Sleep(ctx, delay); err != nil {
			return "", err
		}
	}
}

// GaveUpError is a failure that lasted through every retry.
type GaveUpError struct {
	Attempts int
	Err      error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("%v (gave up after %d attempts)", e.Err, e.Attempts)
}
func (e *GaveUpError) Unwrap() error { return e.Err }

// retryable says whether a failure may pass: the connection (but not a
// certificate or an unknown host), a cut or stalled answer, 429 and 5xx.
func retryable(err error) bool {
	var (
		rl   *RateLimitError
		se   *ServerError
		qe   *pdns.QueryError
		re   *RedirectError
		cert *tls.CertificateVerificationError
		ua   x509.UnknownAuthorityError
		hn   x509.HostnameError
		dns  *net.DNSError
	)
	switch {
	case errors.As(err, &rl):
		return true
	case errors.As(err, &se):
		return se.Status >= 500
	case errors.As(err, &cert), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &re):
		return false
	case errors.As(err, &dns):
		return !dns.IsNotFound
	case errors.As(err, &qe):
		return true
	}
	return false
}

// backoff is the wait before retry n (1, 2...): Backoff doubled n-1 times,
// capped, with full jitter between half and all of it.
func (c *Client) backoff(n int) time.Duration {
	base, top := c.Backoff, c.MaxBackoff
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if top <= 0 {
		top = 30 * time.Second
	}
	d := base << min(n-1, 20)
	if d <= 0 || d > top {
		d = top
	}
	return d/2 + rand.N(d/2+1)
}

// pause holds every request back for d.
func (c *Client) pause(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.clock().Now().Add(d); t.After(c.pauseUntil) {
		c.pauseUntil = t
	}
}

// wait holds a request back for the pause after a 429, then for the rate limit.
func (c *Client) wait(ctx context.Context) error {
	clock := c.clock()
	c.mu.Lock()
	d := c.pauseUntil.Sub(clock.Now())
	c.mu.Unlock()
	if err := clock.Sleep(ctx, d); err != nil {
		return err
	}
	if c.Limiter != nil {
		return c.Limiter.Wait(ctx)
	}
	return nil
}

// Clock is the time the client waits in: before a retry (its backoff, or
// what Retry-After asks), and during the pause after a 429. Tests give a
// clock of their own (circltest.Clock), so that they wait in no real time.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx is done (and then says why).
	Sleep(ctx context.Context, d time.Duration) error
}

// clock is the client's Clock: the real one unless it was given one.
func (c *Client) clock() Clock {
	if c.Clock != nil {
		return c.Clock
	}
	return realClock{}
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
