package graph

import (
	"context"
	"sync"
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
	return c.wait(ctx, id, 0, poll, done, progress)
}

// WaitForSubmitted follows a request that was just submitted. Its first read
// comes when requests of its type have been settling lately (see
// settleTimes), not at once: a read right after the POST finds it submitted,
// and a fixed backoff reads it several times before it settles.
//
// Before anything has been learned — the first wave of an apply, as many
// requests as Terraform's parallelism — one request (the scout) is read on
// the backoff, and the others wait until the scout's settles and tells how
// long requests take (or poll.Max at most), instead of each reading its own
// several times before the first delivery.
func (c *Client) WaitForSubmitted(ctx context.Context, q *Request, poll PollPolicy, done func(*Request) bool, progress func(*Request)) (*Request, error) {
	poll = poll.orDefault()
	start := time.Now()
	if est, ok := c.settle.expected(q.Type); ok {
		return c.wait(ctx, q.ID, firstRead(est, poll), poll, done, progress)
	}
	learned, scout := c.settle.scout()
	if scout {
		defer c.settle.endScout()
		return c.wait(ctx, q.ID, poll.Initial, poll, done, progress)
	}
	t := time.NewTimer(poll.Max)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-learned:
		est, _ := c.settle.expected(q.Type)
		return c.wait(ctx, q.ID, max(time.Until(start.Add(firstRead(est, poll))), time.Millisecond), poll, done, progress)
	case <-t.C:
		// The scout's request is slow: poll this one from here, slowly.
		slow := poll
		slow.Initial = poll.Max
		return c.wait(ctx, q.ID, time.Millisecond, slow, done, progress)
	}
}

// firstRead is when to read a new request first: 5% after the settle time
// learned, and not before poll.Initial.
func firstRead(est time.Duration, poll PollPolicy) time.Duration {
	if est <= poll.Initial {
		return poll.Initial
	}
	return min(est+est/20, maxFirstWait)
}

// orDefault is the policy, or DefaultPoll when it is unset.
func (p PollPolicy) orDefault() PollPolicy {
	if p.Initial == 0 {
		return DefaultPoll
	}
	return p
}

// Backoff is a pause that grows: each Wait sleeps the current delay, then
// multiplies it by the policy's factor, up to its maximum. Every loop that
// polls Graph uses one.
type Backoff struct {
	delay time.Duration
	p     PollPolicy
}

// Backoff starts a backoff at the policy's initial delay.
func (p PollPolicy) Backoff() *Backoff {
	p = p.orDefault()
	return &Backoff{delay: p.Initial, p: p}
}

// Wait sleeps the current delay and grows it. It returns false when ctx ends first.
func (b *Backoff) Wait(ctx context.Context) bool {
	if !sleep(ctx, b.delay) {
		return false
	}
	b.delay = min(time.Duration(float64(b.delay)*b.p.Factor), b.p.Max)
	return true
}

// sleep waits d, or returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// maxFirstWait bounds the wait before the first read of a new request.
const maxFirstWait = 2 * time.Minute

func (c *Client) wait(ctx context.Context, id string, first time.Duration, poll PollPolicy, done func(*Request) bool, progress func(*Request)) (*Request, error) {
	backoff := poll.Backoff()
	var last *Request
	if first > 0 && !sleep(ctx, first) {
		return nil, ctx.Err()
	}
	for {
		r, err := c.GetRequest(ctx, id)
		switch {
		case err == nil:
			last = r
			if progress != nil {
				progress(r)
			}
			if r.Terminal() {
				c.settle.observe(r)
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
		if !backoff.Wait(ctx) {
			return last, ctx.Err()
		}
	}
}

// settleTimes learns, per request type, how long Graph takes to settle a
// request: completedDateTime − createdDateTime, both Graph's clock, as a
// moving average of the recent ones. In a run that creates or changes many
// assignments, the first requests teach it how long to wait before reading
// the next ones.
type settleTimes struct {
	mu   sync.Mutex
	avg  map[string]time.Duration
	seen map[string]int
	// learned is closed by the first observation; scouting says a request
	// is being read on the backoff to make it.
	learned  chan struct{}
	scouting bool
}

// scout returns the channel closed when a settle time is first learned, and
// whether the caller is to be the scout (no one else is).
func (s *settleTimes) scout() (<-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.learned == nil {
		s.learned = make(chan struct{})
	}
	if s.scouting {
		return s.learned, false
	}
	s.scouting = true
	return s.learned, true
}

// endScout lets another request scout, when this one ended without teaching anything.
func (s *settleTimes) endScout() {
	s.mu.Lock()
	s.scouting = false
	s.mu.Unlock()
}

func (s *settleTimes) observe(r *Request) {
	if r == nil || r.Type == "" || r.Created == nil || r.Completed == nil {
		return
	}
	d := r.Completed.Sub(*r.Created)
	if d < 0 || d > time.Hour {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.avg == nil {
		s.avg, s.seen = map[string]time.Duration{}, map[string]int{}
	}
	if s.learned == nil {
		s.learned = make(chan struct{})
	}
	if len(s.seen) == 0 {
		close(s.learned)
	}
	// Per type, and over all types ("") for a type not seen yet: an adminRemove
	// after a run of adminAdds settles in about the same time.
	for _, k := range []string{r.Type, ""} {
		if s.seen[k] == 0 {
			s.avg[k] = d
		} else {
			s.avg[k] += (d - s.avg[k]) / 4
		}
		s.seen[k]++
	}
}

func (s *settleTimes) expected(typ string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.avg[typ]; ok {
		return d, true
	}
	d, ok := s.avg[""]
	return d, ok
}
