package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The writes of an assignment (adminAdd, adminUpdate, adminRemove), each
// "submitted once in effect": a POST whose answer was lost may have been
// applied by Graph, so before sending it again the client looks at Graph's
// state for what the first one would have made. The same guarantee for
// reprocess and resume is in actions.go.

// ReplicationWindow is how long a new request may stay invisible to lists.
const ReplicationWindow = 30 * time.Second

// ConsistencyWindow is how long after a create a not-found read of the new
// assignment is taken for replication lag rather than a deletion.
const ConsistencyWindow = 3 * time.Minute

// ClockMargin widens a window of createdDateTime on Graph's clock around a
// time read on ours: the two clocks may differ, and a window too narrow
// would miss the request it looks for.
const ClockMargin = 5 * time.Minute

// BlockedWait bounds how long a change that Graph refuses while another
// request for the same person and package is open waits for that request
// to finish, before it fails and says which request blocks it.
const BlockedWait = 5 * time.Minute

// blockedWait is BlockedWait, shortened by tests.
var blockedWait = BlockedWait

// maxResends bounds how often a POST is sent again after Graph's state
// showed that the previous one did not land.
const maxResends = 3

// AddOutcome is what AddAssignment did.
type AddOutcome struct {
	// Request is the adminAdd request this call sent and Graph accepted, or
	// the one it found; nil when the call found a live assignment instead.
	Request *Request
	// RequestID is the request to follow: Request's, or the adminAdd request
	// that made Found (empty when Graph shows none).
	RequestID string
	// Found is the live assignment found after an ambiguous or duplicate answer.
	Found *Assignment
	// Adopted is set when Graph refused the first POST as a duplicate: what
	// was found existed before this call.
	Adopted bool
}

// AddAssignment sends adminAdd once in effect, and decides by looking at
// Graph's state, never by an error code, whether what it asked for already
// exists:
//
//   - After an ambiguous failure (no answer, or a gateway 5xx) the first
//     POST may have landed. The client looks for the target's live
//     assignment under the policy, and for an adminAdd request for the
//     target among the package's requests created since it sent, and sends
//     again only when, ReplicationWindow after the POST, Graph still shows
//     neither: it does not rely on Graph refusing a second open request.
//   - After a 400 or 409 — which may mean "this already exists", whatever
//     code Graph uses — it looks once. What it finds existed before this
//     call (Adopted); if it finds nothing, the refusal was about something
//     else and is returned as is.
//
// A look that fails is an error that says so: nothing is sent on a guess.
func (c *Client) AddAssignment(ctx context.Context, in AddInput, poll PollPolicy) (*AddOutcome, error) {
	if in.TargetObjectID == "" && in.TargetEmail == "" {
		// Nothing to send, and nothing to look for: an empty target would
		// match any assignment of the package.
		return &AddOutcome{}, errors.New("an adminAdd needs a target: an object id or an email address")
	}
	sent := time.Now()
	q, err := c.SubmitAdd(ctx, in)
	if err == nil {
		return &AddOutcome{Request: q, RequestID: q.ID}, nil
	}
	if isRefusal(err) {
		out, lerr := c.lookForAdd(ctx, in, nil)
		switch {
		case lerr != nil:
			return &AddOutcome{}, fmt.Errorf("%w (and looking at Graph for what already exists failed: %w)", err, lerr)
		case out == nil:
			return &AddOutcome{}, err
		}
		out.Adopted = true
		return out, nil
	}
	if !IsAmbiguous(err) {
		return &AddOutcome{}, err
	}
	for resends := 0; ; resends++ {
		c.log(ctx, "the answer to the adminAdd request was lost; looking at Graph's state before sending it again", map[string]any{"error": err.Error()})
		since := sent.Add(-ClockMargin)
		var out *AddOutcome
		landed, lerr := c.landed(ctx, poll, sent, func(ctx context.Context) (bool, error) {
			var err error
			out, err = c.lookForAdd(ctx, in, &since)
			return out != nil, err
		})
		switch {
		case lerr != nil:
			return &AddOutcome{}, fmt.Errorf("%w; whether Graph took the request could not be told, so it was not sent again: %w", err, lerr)
		case landed:
			return out, nil
		case resends >= maxResends:
			return &AddOutcome{}, fmt.Errorf("%w; Graph showed no request after %d attempts", err, resends+1)
		}
		sent = time.Now()
		q, err = c.SubmitAdd(ctx, in)
		switch {
		case err == nil:
			return &AddOutcome{Request: q, RequestID: q.ID}, nil
		case isRefusal(err):
			// The first one may be in Graph after all, hidden longer than
			// ReplicationWindow: what is found is this apply's own.
			out, lerr := c.lookForAdd(ctx, in, &since)
			switch {
			case lerr != nil:
				return &AddOutcome{}, fmt.Errorf("%w (and looking at Graph for what exists failed: %w)", err, lerr)
			case out == nil:
				return &AddOutcome{}, err
			}
			return out, nil
		case !IsAmbiguous(err):
			return &AddOutcome{}, err
		}
	}
}

// landed follows Graph's state after a POST whose answer was lost, with
// look, until it shows what the POST made (true) or, ReplicationWindow after
// the POST, still does not (false: the POST did not land). A look that fails
// for a reason other than a retryable one ends it with that error, and so
// does a window in which no look succeeded: nothing may be sent again on a
// guess.
func (c *Client) landed(ctx context.Context, poll PollPolicy, sent time.Time, look func(context.Context) (bool, error)) (bool, error) {
	backoff := poll.Backoff()
	var lastErr error
	sawNothing := false
	for {
		found, err := look(ctx)
		switch {
		case err == nil && found:
			return true, nil
		case err == nil:
			sawNothing, lastErr = true, nil
		case ctx.Err() != nil:
			return false, err
		case !transient(err):
			return false, err
		default:
			lastErr = err
		}
		if time.Since(sent) >= ReplicationWindow {
			if sawNothing && lastErr == nil {
				return false, nil
			}
			if lastErr != nil {
				return false, lastErr
			}
		}
		if !backoff.Wait(ctx) {
			return false, ctx.Err()
		}
	}
}

// transient says whether a failed read may succeed if repeated: Graph
// throttled it, answered with a gateway 5xx, or no answer came.
func transient(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return !e.Permanent && !e.Auth && (e.Status == 429 || e.Status == 0 || e.Status >= 500)
}

// isRefusal reports a 400 or 409: Graph refused the request, which may mean
// that what it asks for already exists.
func isRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == 400 || e.Status == 409)
}

// lookForAdd finds what an adminAdd would have made: the target's live
// assignment in the package under the policy; with since, an adminAdd
// request for the target among the package's requests created after since
// (in any state: it is this call's own); and without since, the target's
// open request in the package (a refused add meets it). It returns nil when
// Graph shows none.
func (c *Client) lookForAdd(ctx context.Context, in AddInput, since *time.Time) (*AddOutcome, error) {
	a, err := c.findLive(ctx, in)
	if err != nil {
		return nil, err
	}
	if a != nil {
		out := &AddOutcome{Found: a}
		// The request that made it, to record and to follow.
		q, err := c.addRequestOf(ctx, in.AccessPackageID, a.ID)
		if err != nil {
			return nil, fmt.Errorf("finding the adminAdd request of assignment %s: %w", a.ID, err)
		}
		if q != nil {
			out.RequestID = q.ID
		}
		return out, nil
	}
	if since != nil {
		reqs, err := c.ListRequests(ctx, RequestFilter{AccessPackageID: in.AccessPackageID, CreatedAfter: since, RequestType: "adminAdd"})
		if err != nil {
			return nil, err
		}
		for i := len(reqs) - 1; i >= 0; i-- {
			r := reqs[i]
			if !targetIs(r.Target(), in) {
				continue
			}
			same, err := c.samePolicy(ctx, r, in)
			if err != nil {
				return nil, err
			}
			if same {
				return &AddOutcome{Request: r, RequestID: r.ID}, nil
			}
		}
		return nil, nil
	}
	open, err := c.openRequestFor(ctx, in.AccessPackageID, in.TargetObjectID, in.TargetEmail)
	if err != nil || open == nil {
		return nil, err
	}
	same, err := c.samePolicy(ctx, open, in)
	if err != nil {
		return nil, err
	}
	if open.Type != "adminAdd" || !same {
		return nil, fmt.Errorf("an open %s request %s (%s) exists for this target in access package %s, and it is not this add's (another type, another policy, or one that Graph has not given an assignment yet and that another sender made), and Graph accepts no other until it completes", open.Type, open.ID, open.State, in.AccessPackageID)
	}
	return &AddOutcome{Request: open, RequestID: open.ID}, nil
}

// samePolicy says whether a request's assignment is under the add's policy.
// A listing does not expand the assignment's policy, so it is read. A
// request has no policy of its own (Microsoft's metadata gives it none), so
// one whose assignment Graph has not made yet — scheduled for a later start,
// waiting for an approval or a callback — cannot tell: it is taken for the
// add's only when it carries the justification the add sends, the provider's
// marker of the resource included (a request sent by the same resource with
// the same intent). Anything else under an unknown policy is not claimed: a
// request under another policy of the package is not this policy's access.
func (c *Client) samePolicy(ctx context.Context, r *Request, in AddInput) (bool, error) {
	sentByThisAdd := strings.TrimSpace(r.Justification) == strings.TrimSpace(in.Justification)
	if r.Assignment == nil || r.Assignment.ID == "" {
		return sentByThisAdd, nil
	}
	if r.Assignment.PolicyID != "" {
		return strings.EqualFold(r.Assignment.PolicyID, in.PolicyID), nil
	}
	a, err := c.GetAssignment(ctx, r.Assignment.ID)
	if IsNotFound(err) {
		// Not visible yet (replication): as for a request without one.
		return sentByThisAdd, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading assignment %s of request %s: %w", r.Assignment.ID, r.ID, err)
	}
	return strings.EqualFold(a.PolicyID, in.PolicyID), nil
}

// targetIs says whether a subject is the add's target.
func targetIs(t *Subject, in AddInput) bool {
	if t == nil {
		return false
	}
	return (in.TargetObjectID != "" && strings.EqualFold(t.ObjectID, in.TargetObjectID)) ||
		(in.TargetEmail != "" && strings.EqualFold(t.Email, in.TargetEmail))
}

// addRequestOf is the adminAdd request that made an assignment (the latest,
// if Graph shows several), or nil when Graph shows none.
func (c *Client) addRequestOf(ctx context.Context, accessPackageID, assignmentID string) (*Request, error) {
	reqs, err := c.ListRequests(ctx, RequestFilter{AccessPackageID: accessPackageID, AssignmentID: assignmentID, RequestType: "adminAdd"})
	if err != nil || len(reqs) == 0 {
		return nil, err
	}
	return reqs[len(reqs)-1], nil
}

// openRequestFor finds the person's open (not yet settled) request in the
// package: the package's open requests, matched on the target.
func (c *Client) openRequestFor(ctx context.Context, accessPackageID, objectID, email string) (*Request, error) {
	reqs, err := c.OpenRequests(ctx, accessPackageID)
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		if r.Terminal() {
			continue
		}
		if targetIs(r.Target(), AddInput{TargetObjectID: objectID, TargetEmail: email}) {
			return r, nil
		}
	}
	return nil, nil
}

// findLive finds the target's live assignment in the package under the policy.
func (c *Client) findLive(ctx context.Context, in AddInput) (*Assignment, error) {
	list, err := c.ListAssignments(ctx, AssignmentFilter{AccessPackageID: in.AccessPackageID, PolicyID: in.PolicyID, TargetObjectID: in.TargetObjectID})
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if !a.Live() {
			continue
		}
		if in.TargetEmail == "" || (a.Target != nil && strings.EqualFold(a.Target.Email, in.TargetEmail)) {
			return a, nil
		}
	}
	return nil, nil
}

// FollowOptions say how to follow a request.
type FollowOptions struct {
	Poll PollPolicy
	// ScheduledIsDone settles on a scheduled request (a future start: waiting
	// for it would take until then), as a create wants.
	ScheduledIsDone bool
	// Progress sees every read.
	Progress func(*Request)
}

// Follow waits for a request until it settles: terminal, or scheduled with
// ScheduledIsDone. submitted, when it is the request just sent, makes the
// first read wait until requests of its type have lately been settling.
// found stands in when there is no request to follow.
func (c *Client) Follow(ctx context.Context, requestID string, submitted *Request, found *Assignment, opts FollowOptions) (*Request, error) {
	if requestID == "" {
		if found == nil {
			return nil, errors.New("no request to follow")
		}
		return &Request{State: found.State, Assignment: found}, nil
	}
	done := func(q *Request) bool {
		return q.Terminal() || (opts.ScheduledIsDone && q.State == StateScheduled)
	}
	if submitted != nil && submitted.ID == requestID {
		return c.WaitForSubmitted(ctx, submitted, opts.Poll, done, opts.Progress)
	}
	return c.WaitForRequest(ctx, requestID, opts.Poll, done, opts.Progress)
}

// UpdateAssignment sends adminUpdate once in effect. After an ambiguous
// failure it looks at Graph's state for the first one before sending it
// again: the assignment already has the new schedule, or an adminUpdate
// request for it was created since; only when ReplicationWindow after the
// POST Graph shows neither is it sent again. Refused while another request
// for the same person and package is open, it waits for that request (at
// most BlockedWait) and sends it then. A nil request with no error means
// the change is already in Graph.
func (c *Client) UpdateAssignment(ctx context.Context, id, justification string, sch *Schedule, answers []Answer, poll PollPolicy) (*Request, error) {
	var blockedSince time.Time
	for resends := 0; ; resends++ {
		sent := time.Now()
		q, err := c.SubmitUpdate(ctx, id, justification, sch, answers)
		if err == nil {
			return q, nil
		}
		if resends >= maxResends {
			return nil, err
		}
		switch {
		case IsAmbiguous(err):
			since := sent.Add(-ClockMargin)
			var found *Request
			applied := false
			landed, lerr := c.landed(ctx, poll, sent, func(ctx context.Context) (bool, error) {
				if sch != nil {
					a, err := c.GetAssignment(ctx, id)
					if err != nil && !IsNotFound(err) {
						return false, err
					}
					if err == nil && ScheduleApplied(a.Schedule, sch) {
						applied = true
						return true, nil
					}
				}
				reqs, err := c.ListRequests(ctx, RequestFilter{AssignmentID: id, RequestType: "adminUpdate", CreatedAfter: &since})
				if err != nil {
					return false, err
				}
				if len(reqs) > 0 {
					found = reqs[len(reqs)-1]
					return true, nil
				}
				return false, nil
			})
			switch {
			case lerr != nil:
				return nil, fmt.Errorf("%w; whether Graph took the request could not be told, so it was not sent again: %w", err, lerr)
			case landed && applied:
				return nil, nil
			case landed:
				return found, nil
			}
		case isRefusal(err):
			if blockedSince.IsZero() {
				blockedSince = time.Now()
			}
			if werr := c.waitUnblocked(ctx, "update assignment "+id, id, err, blockedSince, poll); werr != nil {
				return nil, werr
			}
		default:
			return nil, err
		}
	}
}

// RemoveAssignment sends adminRemove once in effect. After an ambiguous
// failure it looks at Graph's state before sending it again: the assignment
// has ended (then it returns no request and no error), or an adminRemove
// request for it was created since; only when ReplicationWindow after the
// POST Graph shows neither is it sent again. Refused while another request
// for the same person and package is open (an add still delivering, an
// update), it waits for that request to settle — reading its state, not
// re-sending on a timer — at most BlockedWait, and then fails with a
// BlockedError that names the request and says what to do. A 404 (already
// gone) is returned as is.
func (c *Client) RemoveAssignment(ctx context.Context, id, justification string, poll PollPolicy) (*Request, error) {
	var blockedSince time.Time
	for resends := 0; ; resends++ {
		sent := time.Now()
		q, err := c.SubmitRemove(ctx, id, justification)
		if err == nil || IsNotFound(err) {
			return q, err
		}
		if resends >= maxResends {
			return nil, err
		}
		switch {
		case IsAmbiguous(err):
			since := sent.Add(-ClockMargin)
			var found *Request
			ended := false
			landed, lerr := c.landed(ctx, poll, sent, func(ctx context.Context) (bool, error) {
				a, err := c.GetAssignment(ctx, id)
				if IsNotFound(err) || (err == nil && !a.Live()) {
					ended = true
					return true, nil
				}
				if err != nil {
					return false, err
				}
				reqs, err := c.ListRequests(ctx, RequestFilter{AccessPackageID: a.AccessPackageID, AssignmentID: id, RequestType: "adminRemove", CreatedAfter: &since})
				if err != nil {
					return false, err
				}
				if len(reqs) > 0 {
					found = reqs[len(reqs)-1]
					return true, nil
				}
				return false, nil
			})
			switch {
			case lerr != nil:
				return nil, fmt.Errorf("%w; whether Graph took the request could not be told, so it was not sent again: %w", err, lerr)
			case landed && ended:
				return nil, nil
			case landed:
				return found, nil
			}
		case isRefusal(err):
			if blockedSince.IsZero() {
				blockedSince = time.Now()
			}
			if werr := c.waitUnblocked(ctx, "remove assignment "+id, id, err, blockedSince, poll); werr != nil {
				return nil, werr
			}
		default:
			return nil, err
		}
	}
}

// BlockedError is a change Graph refused while another request for the same
// person and access package was open, and that request did not settle in
// time (BlockedWait, or the operation's timeout, or an interruption).
type BlockedError struct {
	// Op is the change, such as "remove assignment <id>".
	Op string
	// Blocking is the open request, as last read.
	Blocking *Request
	// Waited is how long the change waited for it.
	Waited time.Duration
	// Refusal is Graph's answer to the change.
	Refusal error
	// Cause is why the wait ended: nil when BlockedWait ran out, else the
	// context's error.
	Cause error
}

func (e *BlockedError) Error() string {
	b := e.Blocking
	since := ""
	if b.Created != nil {
		since = ", created " + b.Created.UTC().Format(time.RFC3339)
	}
	why := fmt.Sprintf("waited %s for it to settle", e.Waited.Round(time.Second))
	switch {
	case errors.Is(e.Cause, context.Canceled):
		why = fmt.Sprintf("the wait for it was interrupted after %s", e.Waited.Round(time.Second))
	case errors.Is(e.Cause, context.DeadlineExceeded):
		why = fmt.Sprintf("the operation's timeout ran out after %s of waiting for it", e.Waited.Round(time.Second))
	}
	todo := "Apply again once that request has completed."
	switch b.State {
	case StateDelivering:
		todo = "Graph is still delivering it: look at the request's delivery in the Entra admin center (a resource of the package that does not answer keeps it there), and apply again once it has completed or failed."
	case StatePendingApproval:
		todo = "It waits for an approver: have it approved or denied, or have a signed-in administrator cancel it (Graph lets only a signed-in user cancel a request), then apply again."
	case StateSubmitted, StateScheduled:
		todo = "Have a signed-in administrator cancel it if it is not wanted (Graph lets only a signed-in user cancel a request), or wait until it completes; then apply again."
	}
	if b.Status == "WaitingForCallback" {
		todo = "It waits for a custom extension's callback: resume it (the entitlement_access_package_assignment_request_resume resource or action), then apply again."
	}
	return fmt.Sprintf("%s: Graph refuses it while %s request %s for the same person and access package is open (state %s, status %q%s); %s. %s Graph's answer: %v",
		e.Op, b.Type, b.ID, b.State, b.Status, since, why, todo, e.Refusal)
}

func (e *BlockedError) Unwrap() error { return e.Refusal }

// IsBlocked reports a BlockedError.
func IsBlocked(err error) bool {
	var b *BlockedError
	return errors.As(err, &b)
}

// waitUnblocked handles a refusal of a change of an assignment: when
// another request for the same person and package is open — found by
// looking at Graph's state, not by the error's code — it waits until that
// request settles and returns nil, so that the change is sent again; when
// none is open, the refusal was about something else and is returned; when
// the request is still open BlockedWait after the first refusal (or ctx
// ends), it returns a BlockedError.
func (c *Client) waitUnblocked(ctx context.Context, op, assignmentID string, refusal error, since time.Time, poll PollPolicy) error {
	open, err := c.blockingRequest(ctx, assignmentID)
	switch {
	case err != nil:
		return fmt.Errorf("%w (and looking for a request that blocks it failed: %w)", refusal, err)
	case open == nil:
		return refusal
	}
	c.log(ctx, "another request for this person and package is open; waiting for it to settle", map[string]any{
		"change": op, "blocking_request_id": open.ID, "blocking_request_type": open.Type, "blocking_request_state": open.State})
	wctx, cancel := context.WithDeadline(ctx, since.Add(blockedWait))
	defer cancel()
	last, werr := c.WaitForRequest(wctx, open.ID, poll, func(q *Request) bool { return q.Terminal() }, nil)
	if werr == nil {
		return nil
	}
	if last == nil {
		last = open
	}
	if ctx.Err() == nil && !errors.Is(werr, context.DeadlineExceeded) {
		return fmt.Errorf("%w (and following request %s that blocks it failed: %w)", refusal, open.ID, werr)
	}
	return &BlockedError{Op: op, Blocking: last, Waited: time.Since(since), Refusal: refusal, Cause: ctx.Err()}
}

// blockingRequest is the open request of the assignment's person in its
// package, which keeps Graph from changing the assignment; nil when there
// is none.
func (c *Client) blockingRequest(ctx context.Context, assignmentID string) (*Request, error) {
	a, err := c.GetAssignment(ctx, assignmentID)
	if err != nil {
		return nil, err
	}
	obj, mail := "", ""
	if a.Target != nil {
		obj, mail = a.Target.ObjectID, a.Target.Email
	}
	return c.openRequestFor(ctx, a.AccessPackageID, obj, mail)
}

// WaitAssignmentVisible reads a just-created assignment until Graph shows it,
// within ConsistencyWindow: Graph replicates new assignments with a lag, and
// a not-found read right after the create is that lag, not a deletion.
func (c *Client) WaitAssignmentVisible(ctx context.Context, id string, poll PollPolicy) (*Assignment, error) {
	ctx, cancel := context.WithTimeout(ctx, ConsistencyWindow)
	defer cancel()
	backoff := poll.Backoff()
	for {
		a, err := c.GetAssignment(ctx, id)
		if !IsNotFound(err) {
			return a, err
		}
		c.log(ctx, "a new assignment is not visible yet; waiting", map[string]any{"assignment_id": id})
		if !backoff.Wait(ctx) {
			return nil, err
		}
	}
}

// ScheduleApplied says whether an assignment's schedule already is what an
// update asks for. An unspecified expiration asks nothing of it.
func ScheduleApplied(got, want *Schedule) bool {
	if got == nil || want == nil {
		return false
	}
	if want.Start != nil && !StartMatches(want.Start, got.Start, time.Now()) {
		return false
	}
	switch want.ExpirationType {
	case "", "notSpecified":
		return true
	}
	return ExpirationMatches(want, got)
}

// StartMatches says whether the start Graph holds is the start asked for.
// Graph replaces a start in the past with the time it processed the request,
// so a start earlier than Graph's, where Graph's is not in the future (it is
// a processing time), is the one asked for.
func StartMatches(want, got *time.Time, now time.Time) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	return want.Equal(*got) || (want.Before(*got) && !got.After(now))
}

// ExpirationMatches says whether the expiration asked for (want's type, end
// and duration) means what Graph holds. Graph may record a duration as an
// end date (afterDateTime at start + duration): that matches, to the second.
func ExpirationMatches(want, got *Schedule) bool {
	if want == nil || got == nil {
		return false
	}
	switch want.ExpirationType {
	case "noExpiration":
		return got.ExpirationType == "noExpiration" || got.ExpirationType == "notSpecified"
	case "afterDateTime":
		return got.ExpirationType == "afterDateTime" && want.End != nil && got.End != nil && want.End.Equal(*got.End)
	case "afterDuration":
		d, ok := DurationLength(want.Duration)
		if !ok {
			return false
		}
		if got.ExpirationType == "afterDuration" {
			// The same length in whatever form Graph writes it (P90D, PT2160H).
			g, ok := DurationLength(got.Duration)
			return ok && g == d
		}
		if got.ExpirationType != "afterDateTime" || got.Start == nil || got.End == nil {
			return false
		}
		diff := got.Start.Add(d).Sub(*got.End)
		return diff < time.Second && diff > -time.Second
	}
	return false
}
