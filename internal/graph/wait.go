package graph

import (
	"context"
	"time"
)

// PollPolicy shapes how WaitForRequest polls: it starts fast, because the
// emulator and small tenants deliver in well under a second, and backs off to
// Max, because real deliveries can take minutes.
type PollPolicy struct {
	Initial, Max time.Duration
	Factor       float64
}

// DefaultPoll starts at 250 ms and backs off by 1.5× to 5 s.
var DefaultPoll = PollPolicy{Initial: 250 * time.Millisecond, Max: 5 * time.Second, Factor: 1.5}

// WaitForRequest reads the request until done says it is settled, or ctx
// ends. A request that reads as not found shortly after it was created is
// replication lag, not a deletion: it is read again, within ctx. On ctx's end
// it returns the last request read (possibly nil) with ctx's error.
func (c *Client) WaitForRequest(ctx context.Context, id string, poll PollPolicy, done func(*Request) bool, progress func(*Request)) (*Request, error) {
	if poll.Initial == 0 {
		poll = DefaultPoll
	}
	delay := poll.Initial
	var last *Request
	for {
		r, err := c.GetRequest(ctx, id)
		switch {
		case err == nil:
			last = r
			if progress != nil {
				progress(r)
			}
			if done(r) {
				return r, nil
			}
		case IsNotFound(err):
			// Not visible yet (eventual consistency); keep waiting.
		default:
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			return last, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-t.C:
		}
		delay = time.Duration(float64(delay) * poll.Factor)
		if delay > poll.Max {
			delay = poll.Max
		}
	}
}
