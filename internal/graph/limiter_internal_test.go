package graph

import (
	"context"
	"testing"
	"time"
)

// A 429 halves the bound (once a second at most), successes grow it back
// by about one slot per bound's worth, and a full limiter makes callers wait.
func TestLimiterAIMD(t *testing.T) {
	l := newLimiter(8)
	ctx := context.Background()
	for range 8 {
		if !l.acquire(ctx) {
			t.Fatal("acquire failed below the bound")
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if l.acquire(done) {
		t.Fatal("a ninth call got a slot while eight were in flight")
	}
	l.release(true)
	if got := l.now(); got != 4 {
		t.Fatalf("bound after a 429: %d, want 4", got)
	}
	l.release(true) // within the same second: no second cut
	if got := l.now(); got != 4 {
		t.Fatalf("bound after a second 429 in the same second: %d, want 4", got)
	}
	for range 6 {
		l.release(false)
	}
	if l.inUse != 0 {
		t.Fatalf("%d slots still in use", l.inUse)
	}
	for range 40 {
		l.acquire(ctx)
		l.release(false)
	}
	if got := l.now(); got != 8 {
		t.Fatalf("bound after 40 successes: %d, want back at 8", got)
	}
}

// A caller waiting for a slot gets it when another call ends.
func TestLimiterHandsOver(t *testing.T) {
	l := newLimiter(1)
	ctx := context.Background()
	l.acquire(ctx)
	got := make(chan bool)
	go func() { got <- l.acquire(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); ; {
		l.mu.Lock()
		queued := len(l.waiters)
		l.mu.Unlock()
		if queued == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second call never queued")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-got:
		t.Fatal("a second call got the only slot")
	default:
	}
	l.release(false)
	if !<-got {
		t.Fatal("the waiting call did not get the slot")
	}
}
