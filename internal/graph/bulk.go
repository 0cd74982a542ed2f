package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Many assignments of one access package changed in one go, for the
// authoritative resource. Each change is sent "once in effect" by the same
// calls a single assignment uses (AddAssignment, UpdateAssignment,
// RemoveAssignment, Reprocess), as many at once as the client's concurrency
// allows. The requests are then followed together from a listing of the
// package's recent requests — one call per page of 100 per round, not one
// read per request — and read one by one only when the listing does not
// show them (a reprocessed or adopted request, or replication lag).

// ChangeKind is what a Change does to one target.
type ChangeKind int

const (
	// ChangeAdd gives the target the access (adminAdd).
	ChangeAdd ChangeKind = iota
	// ChangeUpdate changes an assignment's schedule or answers (adminUpdate).
	ChangeUpdate
	// ChangeRemove ends an assignment (adminRemove).
	ChangeRemove
	// ChangeRetry reprocesses the request of an assignment whose delivery failed.
	ChangeRetry
)

func (k ChangeKind) String() string {
	return [...]string{"add", "update", "remove", "retry"}[k]
}

// Change is one target's work.
type Change struct {
	Kind ChangeKind
	// Add is the adminAdd to send (ChangeAdd).
	Add AddInput
	// AssignmentID is the assignment to update, remove or retry.
	AssignmentID string
	// RequestID is, for ChangeRetry, the failed request to reprocess; empty:
	// the adminAdd request that made the assignment.
	RequestID string
	// Justification, Schedule and Answers go with an update or a removal.
	Justification string
	Schedule      *Schedule
	Answers       []Answer
}

// ChangeResult is how a change ended.
type ChangeResult struct {
	// RequestID is the request that carries the change (empty when none was
	// needed: an update already in Graph, an assignment already gone).
	RequestID string
	// Request is the request as last read.
	Request *Request
	// Assignment is the target's assignment as Graph last showed it; nil
	// when Graph holds none (a refused add, a completed removal).
	Assignment *Assignment
	// Adopted says an add found an assignment or request that already existed.
	Adopted bool
	// Err says why the change did not happen; nil when it did.
	Err error
}

// BulkProgress is how far a bulk change has got.
type BulkProgress struct {
	Total, Submitted, Done, Failed, Waiting, Concurrency int
}

// BulkOptions say how to apply changes.
type BulkOptions struct {
	Poll PollPolicy
	// Progress is called every ProgressEvery while changes are under way, and once at the end.
	Progress      func(BulkProgress)
	ProgressEvery time.Duration
}

// pendingRequest is a request being followed.
type pendingRequest struct {
	i          int
	id         string
	submitted  time.Time
	individual bool // not a new request: the recent-requests listing will not show it
}

// ApplyChanges sends every change and follows the requests until each has
// settled (terminal, or scheduled for a later start), or ctx ends. The
// results are in the changes' order. Nothing is sent twice: a change whose
// answer was lost is looked for in Graph before it is sent again.
func (c *Client) ApplyChanges(ctx context.Context, accessPackageID string, changes []Change, opts BulkOptions) []ChangeResult {
	results := make([]ChangeResult, len(changes))
	var submitted, done, failed atomic.Int64
	stopProgress := c.reportProgress(len(changes), &submitted, &done, &failed, opts)
	defer stopProgress()

	// Submit, as many at once as the client's concurrency allows.
	pend := make([]*pendingRequest, len(changes))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(c.Concurrency(), max(len(changes), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				pend[i] = c.submitChange(ctx, changes[i], &results[i], opts.Poll)
				pend[i].i = i
				submitted.Add(1)
				if pend[i].id == "" {
					done.Add(1)
					if results[i].Err != nil {
						failed.Add(1)
					}
				}
			}
		}()
	}
	for i := range changes {
		if ctx.Err() != nil {
			results[i].Err = fmt.Errorf("not sent: %w", ctx.Err())
			failed.Add(1)
			done.Add(1)
			continue
		}
		work <- i
	}
	close(work)
	wg.Wait()

	var waiting []*pendingRequest
	for _, p := range pend {
		if p != nil && p.id != "" {
			waiting = append(waiting, p)
		}
	}
	c.followAll(ctx, accessPackageID, changes, results, waiting, opts.Poll, func(i int) {
		done.Add(1)
		if results[i].Err != nil {
			failed.Add(1)
		}
	})
	return results
}

// reportProgress calls opts.Progress on a ticker until the returned function runs (then once more).
func (c *Client) reportProgress(total int, submitted, done, failed *atomic.Int64, opts BulkOptions) func() {
	if opts.Progress == nil {
		return func() {}
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	snapshot := func() BulkProgress {
		s, d := int(submitted.Load()), int(done.Load())
		return BulkProgress{Total: total, Submitted: s, Done: d, Failed: int(failed.Load()), Waiting: s - min(d, s), Concurrency: c.limit.now()}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				opts.Progress(snapshot())
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		opts.Progress(snapshot())
	}
}

// submitChange sends one change. The pending request it returns has an
// empty id when there is nothing to follow (res says why).
func (c *Client) submitChange(ctx context.Context, ch Change, res *ChangeResult, poll PollPolicy) *pendingRequest {
	p := &pendingRequest{submitted: time.Now()}
	switch ch.Kind {
	case ChangeAdd:
		out, err := c.AddAssignment(ctx, ch.Add, poll)
		if err != nil {
			res.Err = err
			return p
		}
		res.Adopted, res.RequestID, res.Request = out.Adopted, out.RequestID, out.Request
		if out.Found != nil {
			// An assignment exists already: that is the outcome.
			res.Assignment = out.Found
			if !out.Found.Live() || failedState(out.Found.State) {
				res.Err = fmt.Errorf("an assignment %s already exists for this target and is %s", out.Found.ID, out.Found.State)
			}
			return p
		}
		p.id, p.individual = out.RequestID, out.Request == nil || out.Adopted
	case ChangeUpdate:
		q, err := c.UpdateAssignment(ctx, ch.AssignmentID, ch.Justification, ch.Schedule, ch.Answers, poll)
		if err != nil {
			res.Err = err
			return p
		}
		if q == nil { // already in Graph
			return p
		}
		res.RequestID, res.Request, p.id = q.ID, q, q.ID
	case ChangeRemove:
		q, err := c.RemoveAssignment(ctx, ch.AssignmentID, ch.Justification, poll)
		switch {
		case IsNotFound(err):
			return p // already gone
		case err != nil:
			res.Err = err
			return p
		case q == nil: // a lost answer, but the assignment has ended
			return p
		}
		res.RequestID, res.Request, p.id = q.ID, q, q.ID
	case ChangeRetry:
		id := ch.RequestID
		if id == "" {
			reqs, err := c.ListRequests(ctx, RequestFilter{AssignmentID: ch.AssignmentID, RequestType: "adminAdd"})
			if err != nil {
				res.Err = err
				return p
			}
			if len(reqs) == 0 {
				res.Err = fmt.Errorf("there is no adminAdd request in Graph for assignment %s to reprocess", ch.AssignmentID)
				return p
			}
			id = reqs[len(reqs)-1].ID
		}
		out, err := c.Reprocess(ctx, id, ActionOptions{})
		if out != nil {
			res.Request = out.Request
		}
		res.RequestID = id
		if err != nil {
			res.Err = err
			return p
		}
		if !out.Called { // delivered since
			if out.Request != nil {
				res.Assignment = out.Request.Assignment
			}
			return p
		}
		p.id, p.individual = id, true
	}
	return p
}

// failedState says whether an assignment's or request's delivery failed.
func failedState(state string) bool {
	return state == StateDeliveryFailed || state == StatePartiallyDelivered
}

// followAll follows the pending requests until each settles or ctx ends,
// and calls settled for each as it ends.
func (c *Client) followAll(ctx context.Context, accessPackageID string, changes []Change, results []ChangeResult, pending []*pendingRequest, poll PollPolicy, settled func(int)) {
	if len(pending) == 0 {
		return
	}
	poll = poll.orDefault()
	byID := make(map[string]*pendingRequest, len(pending))
	var lastSubmit time.Time
	for _, p := range pending {
		byID[strings.ToLower(p.id)] = p
		if p.submitted.After(lastSubmit) {
			lastSubmit = p.submitted
		}
	}
	// failed ends a request whose read failed for a reason no later round
	// can fix (a refusal, a missing permission), with Graph's code and
	// request-id; one not visible yet, or a read Graph may answer later
	// (throttled, no answer), is read again in the next round, and one
	// still not visible ConsistencyWindow after it was sent is an error.
	failed := func(p *pendingRequest, err error) {
		switch {
		case ctx.Err() != nil:
			return // abandon says why
		case IsNotFound(err) && time.Since(p.submitted) < ConsistencyWindow:
			return
		case transient(err):
			return
		}
		if _, open := byID[strings.ToLower(p.id)]; !open {
			return
		}
		results[p.i].Err = fmt.Errorf("following request %s: %w", p.id, err)
		delete(byID, strings.ToLower(p.id))
		settled(p.i)
	}
	finish := func(p *pendingRequest, q *Request) bool {
		if q == nil {
			return false
		}
		r := &results[p.i]
		r.Request = q
		if q.Assignment != nil {
			r.Assignment = q.Assignment
		}
		if !settledFor(changes[p.i].Kind, q) {
			return false
		}
		if q.Terminal() {
			c.settle.observe(q)
		}
		r.Err = outcomeError(changes[p.i].Kind, q)
		delete(byID, strings.ToLower(p.id))
		settled(p.i)
		return true
	}

	// Graph answers a POST with createdDateTime null, so the listing is
	// anchored on Graph's own clock: the creation time of the first new
	// request, read once, less a margin for the requests sent beside it.
	var since *time.Time
	listing := true
	backoff := poll.Backoff()
	first := poll.Initial
	if est, ok := c.settle.expected(""); ok && est > first {
		first = min(est+est/20, maxFirstWait)
	}
	if !sleep(ctx, time.Until(lastSubmit.Add(first))) {
		c.abandon(ctx, byID, results, settled)
		return
	}
	for len(byID) > 0 {
		if since == nil {
			for _, p := range pending {
				if _, open := byID[strings.ToLower(p.id)]; !open || p.individual {
					continue
				}
				q, err := c.GetRequest(ctx, p.id)
				if err == nil {
					if q.Created != nil {
						t := q.Created.Add(-time.Minute)
						since = &t
					}
					finish(p, q)
					break
				}
				failed(p, err)
				if _, open := byID[strings.ToLower(p.id)]; open {
					break // not visible yet, or a read Graph may answer later: next round
				}
				// That request failed for good; anchor on the next one.
			}
		}
		listed := map[string]bool{}
		listFailed := false
		if since != nil && listing {
			reqs, err := c.ListRequests(ctx, RequestFilter{AccessPackageID: accessPackageID, CreatedAfter: since})
			if err != nil && ctx.Err() == nil {
				listFailed = true
				if !transient(err) {
					// Graph refuses the listing (a filter it does not take,
					// a missing permission): follow one by one from now on,
					// and let those reads say what fails.
					listing = false
				}
				c.log(ctx, "listing the package's requests failed; reading them one by one", map[string]any{"error": err.Error()})
			}
			var oldestOpen *time.Time
			for _, q := range reqs {
				if p := byID[strings.ToLower(q.ID)]; p != nil {
					listed[p.id] = true
					if !finish(p, q) && q.Created != nil && (oldestOpen == nil || q.Created.Before(*oldestOpen)) {
						oldestOpen = q.Created
					}
				}
			}
			// The next round lists only from the oldest request still open,
			// when every open one was listed (none is hidden by lag).
			if oldestOpen != nil && allListed(byID, listed) {
				t := oldestOpen.Add(-2 * time.Second)
				if t.After(*since) {
					since = &t
				}
			}
		}
		// What the listing cannot show: read one by one.
		var direct []*pendingRequest
		for _, p := range byID {
			if !listed[p.id] && (p.individual || listFailed || !listing || time.Since(p.submitted) > ReplicationWindow) {
				direct = append(direct, p)
			}
		}
		c.readEach(ctx, direct, func(p *pendingRequest, q *Request, err error) {
			if err != nil {
				failed(p, err)
				return
			}
			finish(p, q)
		})
		if len(byID) == 0 {
			return
		}
		// Once a settle time is known (the first rounds see the early
		// requests settle), wake when the youngest open request should have
		// settled too: one more round, not a backoff's several.
		if next, ok := c.nextRound(byID, poll); ok {
			if !sleep(ctx, time.Until(next)) {
				c.abandon(ctx, byID, results, settled)
				return
			}
			continue
		}
		if !backoff.Wait(ctx) {
			c.abandon(ctx, byID, results, settled)
			return
		}
	}
}

// nextRound is when the youngest open request should have settled, when a
// settle time is known and that is still ahead (past it, the backoff decides).
func (c *Client) nextRound(byID map[string]*pendingRequest, poll PollPolicy) (time.Time, bool) {
	est, ok := c.settle.expected("")
	if !ok {
		return time.Time{}, false
	}
	var youngest time.Time
	for _, p := range byID {
		if p.submitted.After(youngest) {
			youngest = p.submitted
		}
	}
	next := youngest.Add(firstRead(est, poll))
	return next, time.Until(next) > 0
}

// allListed says whether the listing showed every open request it can show.
func allListed(byID map[string]*pendingRequest, listed map[string]bool) bool {
	for _, p := range byID {
		if !p.individual && !listed[p.id] {
			return false
		}
	}
	return true
}

// readEach reads the requests, as many at once as the client allows, and
// hands each answer or error to got (one at a time).
func (c *Client) readEach(ctx context.Context, ps []*pendingRequest, got func(*pendingRequest, *Request, error)) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.Concurrency())
	for _, p := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			q, err := c.GetRequest(ctx, p.id)
			mu.Lock()
			got(p, q, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
}

// abandon ends the requests still open when ctx ended.
func (c *Client) abandon(ctx context.Context, byID map[string]*pendingRequest, results []ChangeResult, settled func(int)) {
	for k, p := range byID {
		state := "not read yet"
		if q := results[p.i].Request; q != nil && q.State != "" {
			state = q.State
		}
		results[p.i].Err = fmt.Errorf("request %s was still %s when the wait ended: %w", p.id, state, ctx.Err())
		delete(byID, k)
		settled(p.i)
	}
}

// settledFor says whether a request has settled for its change: terminal,
// or, for an add, scheduled for a later start (waiting would take until then).
func settledFor(k ChangeKind, q *Request) bool {
	return q.Terminal() || (k == ChangeAdd && q.State == StateScheduled)
}

// ErrRequestEnded is wrapped by the error of a request that ended without
// doing what it asked.
var ErrRequestEnded = errors.New("the request ended without doing it")

// outcomeError says why a settled request did not do its change; nil when it did.
func outcomeError(k ChangeKind, q *Request) error {
	switch q.State {
	case StateDelivered, StateScheduled:
		return nil
	}
	status := q.Status
	if status == "" {
		status = q.State
	}
	return fmt.Errorf("%s request %s ended %s (status %q): %w", k, q.ID, q.State, status, ErrRequestEnded)
}
