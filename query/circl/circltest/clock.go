package circltest

import (
	"context"
	"sync"
	"time"
)

// Clock is a circl.Clock for tests, in which no real time passes. By
// default a Sleep moves the clock on by its length and returns at once;
// with Hold, it waits until Advance moves the clock past its end. Every
// Sleep of a positive length is said on Sleeps (buffered: 64 may wait to
// be read), so that a test knows what was waited for and when a waiter is
// waiting, without a sleep of its own.
type Clock struct {
	Hold   bool
	Sleeps chan time.Duration

	mu      sync.Mutex
	now     time.Time
	waiters []clockWaiter
}

type clockWaiter struct {
	until time.Time
	wake  chan struct{}
}

// NewClock is a clock at a fixed time.
func NewClock() *Clock {
	return &Clock{Sleeps: make(chan time.Duration, 64), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep waits d of the clock's time.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	w := clockWaiter{until: c.now.Add(d), wake: make(chan struct{})}
	if c.Hold {
		c.waiters = append(c.waiters, w)
	} else {
		c.now = w.until
		close(w.wake)
	}
	c.mu.Unlock()
	select {
	case c.Sleeps <- d:
	default: // nobody reads them
	}
	select {
	case <-w.wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Advance moves the clock on by d, waking the sleeps that end by then.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.until.After(c.now) {
			kept = append(kept, w)
		} else {
			close(w.wake)
		}
	}
	c.waiters = kept
}
