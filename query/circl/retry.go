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
		if err := sleep(ctx, delay); err != nil {
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
	if t := time.Now().Add(d); t.After(c.pauseUntil) {
		c.pauseUntil = t
	}
}

// wait holds a request back for the pause after a 429, then for the rate limit.
func (c *Client) wait(ctx context.Context) error {
	c.mu.Lock()
	d := time.Until(c.pauseUntil)
	c.mu.Unlock()
	if err := sleep(ctx, d); err != nil {
		return err
	}
	if c.Limiter != nil {
		return c.Limiter.Wait(ctx)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
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
