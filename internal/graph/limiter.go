package graph

import (
	"context"
	"sync"
	"time"
)

// DefaultConcurrency is how many Graph calls a client has in flight at once
// when its configuration does not say: Terraform's default parallelism, so
// that per-person resources behave as they always have.
const DefaultConcurrency = 10

// MaxConcurrency is the largest bound a configuration may set.
const MaxConcurrency = 64

// limiter bounds the calls a client has in flight, for the whole provider:
// every attempt of every call holds a slot. Graph throttles an application
// in a tenant, not one call, so a 429 halves the bound for everyone
// (multiplicative decrease, at most once a second), and each call that
// succeeds raises it by 1/bound, back up to the configured maximum
// (additive increase: about one slot per bound's worth of successes).
type limiter struct {
	mu      sync.Mutex
	max     int
	bound   float64
	inUse   int
	waiters []chan struct{}
	lastCut time.Time
}

func newLimiter(n int) *limiter {
	if n <= 0 {
		n = DefaultConcurrency
	}
	return &limiter{max: n, bound: float64(n)}
}

// acquire takes a slot, or returns false when ctx ends first.
func (l *limiter) acquire(ctx context.Context) bool {
	l.mu.Lock()
	if l.inUse < int(l.bound) {
		l.inUse++
		l.mu.Unlock()
		return true
	}
	ch := make(chan struct{})
	l.waiters = append(l.waiters, ch)
	l.mu.Unlock()
	select {
	case <-ch:
		return true // release handed its slot over
	case <-ctx.Done():
		l.mu.Lock()
		for i, w := range l.waiters {
			if w == ch {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				l.mu.Unlock()
				return false
			}
		}
		l.mu.Unlock()
		// Handed a slot as ctx ended: give it back.
		l.release(false)
		return false
	}
}

// release returns a slot; throttled says Graph answered 429.
func (l *limiter) release(throttled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inUse--
	switch {
	case throttled && time.Since(l.lastCut) > time.Second:
		l.bound = max(1, l.bound/2)
		l.lastCut = time.Now()
	case !throttled && l.bound < float64(l.max):
		l.bound = min(float64(l.max), l.bound+1/l.bound)
	}
	for len(l.waiters) > 0 && l.inUse < int(l.bound) {
		ch := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.inUse++
		close(ch)
	}
}

// now is the current bound, for progress notes.
func (l *limiter) now() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.bound)
}

// Concurrency is the most Graph calls the client makes at once.
func (c *Client) Concurrency() int { return c.limit.max }
