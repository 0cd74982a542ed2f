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

// AddOutcome is what AddAssignment did.
type AddOutcome struct {
	// Request is the adminAdd request this call sent and Graph accepted; nil
	// when the call found a live assignment instead.
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
//     assignment in the package under the policy, and for its open request
//     in the package, before sending again; a refusal of the repeat while
//     nothing is visible yet is replication lag, and it looks again within
//     ReplicationWindow.
//   - After a 400 or 409 — which may mean "this already exists", whatever
//     code Graph uses — it looks once. What it finds existed before this
//     call (Adopted); if it finds nothing, the refusal was about something
//     else and is returned as is.
func (c *Client) AddAssignment(ctx context.Context, in AddInput, poll PollPolicy) (*AddOutcome, error) {
	q, err := c.SubmitAdd(ctx, in)
	if err == nil {
		return &AddOutcome{Request: q, RequestID: q.ID}, nil
	}
	refused := isRefusal(err)
	if !refused && !IsAmbiguous(err) {
		return &AddOutcome{}, err
	}
	first := err
	c.log(ctx, "the adminAdd request may already exist in Graph; looking at Graph's state before sending it again", map[string]any{"error": err.Error()})
	backoff := poll.Backoff()
	var refusedSince time.Time
	for {
		out, lerr := c.lookForAdd(ctx, in)
		switch {
		case lerr != nil && refused:
			return &AddOutcome{}, fmt.Errorf("%w (and looking for an existing assignment failed: %w)", first, lerr)
		case out != nil:
			out.Adopted = refused
			return out, nil
		case refused:
			// Nothing exists: the refusal was about something else.
			return &AddOutcome{}, first
		}
		switch {
		case refusedSince.IsZero():
			// Send again only while no repeat has been refused: once one has,
			// the first POST is open in Graph and only lag hides it.
			q, err = c.SubmitAdd(ctx, in)
			switch {
			case err == nil:
				return &AddOutcome{Request: q, RequestID: q.ID}, nil
			case isRefusal(err):
				refusedSince = time.Now()
			case !IsAmbiguous(err):
				return &AddOutcome{}, err
			}
		case time.Since(refusedSince) >= ReplicationWindow:
			return &AddOutcome{}, fmt.Errorf("%w; Graph then refused to take the request again (%w), but shows no request or assignment for this target: look for it before retrying", first, err)
		}
		if !backoff.Wait(ctx) {
			return &AddOutcome{}, fmt.Errorf("%w; a request for this target may be open in Graph without an assignment yet (for example one scheduled for a later start): look for it before retrying", first)
		}
	}
}

// isRefusal reports a 400 or 409: Graph refused the request, which may mean
// that what it asks for already exists.
func isRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == 400 || e.Status == 409)
}

// lookForAdd finds what an adminAdd would have made: the target's live
// assignment in the package under the policy, or its open request in the
// package (Graph keeps one open request per target and package). It
// returns nil when Graph shows neither.
func (c *Client) lookForAdd(ctx context.Context, in AddInput) (*AddOutcome, error) {
	a, err := c.findLive(ctx, in)
	if err != nil {
		return nil, err
	}
	if a != nil {
		out := &AddOutcome{Found: a}
		// The request that made it, to record and to follow.
		if reqs, lerr := c.ListRequests(ctx, RequestFilter{AssignmentID: a.ID, RequestType: "adminAdd"}); lerr == nil && len(reqs) > 0 {
			out.RequestID = reqs[len(reqs)-1].ID
		}
		return out, nil
	}
	open, err := c.openRequestFor(ctx, in)
	if err != nil || open == nil {
		return nil, err
	}
	if open.Type != "adminAdd" || (open.Assignment != nil && open.Assignment.PolicyID != "" && !strings.EqualFold(open.Assignment.PolicyID, in.PolicyID)) {
		policy := "?"
		if open.Assignment != nil {
			policy = open.Assignment.PolicyID
		}
		return nil, fmt.Errorf("an open %s request %s (%s) exists for this target in access package %s under policy %s, and Graph accepts no other until it completes", open.Type, open.ID, open.State, in.AccessPackageID, policy)
	}
	return &AddOutcome{Request: open, RequestID: open.ID}, nil
}

// openRequestFor finds the target's open (not yet settled) request in the
// package: one listing of the package's requests, matched on the target.
func (c *Client) openRequestFor(ctx context.Context, in AddInput) (*Request, error) {
	reqs, err := c.ListRequests(ctx, RequestFilter{AccessPackageID: in.AccessPackageID})
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		if r.Terminal() || r.Assignment == nil || r.Assignment.Target == nil {
			continue
		}
		t := r.Assignment.Target
		if (in.TargetObjectID != "" && strings.EqualFold(t.ObjectID, in.TargetObjectID)) ||
			(in.TargetEmail != "" && strings.EqualFold(t.Email, in.TargetEmail)) {
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
// failure it looks for evidence that the first one landed before sending it
// again: the assignment (an existing object, visible at once) already has
// the new schedule; or, for answers, which the v1.0 assignment does not
// show, an adminUpdate request for it appears within ReplicationWindow. A
// second POST while the first is still open is refused by Graph anyway. A
// nil request with no error means the change is already in Graph.
func (c *Client) UpdateAssignment(ctx context.Context, id, justification string, sch *Schedule, answers []Answer, poll PollPolicy) (*Request, error) {
	since := time.Now().Add(-time.Minute)
	backoff := poll.Backoff()
	var lookingSince time.Time
	for {
		q, err := c.SubmitUpdate(ctx, id, justification, sch, answers)
		if err == nil || (!IsAmbiguous(err) && !c.refusedForAnOpenRequest(ctx, id, err)) {
			return q, err
		}
		if lookingSince.IsZero() {
			lookingSince = time.Now()
		}
		for {
			if sch != nil {
				if a, gerr := c.GetAssignment(ctx, id); gerr == nil && ScheduleApplied(a.Schedule, sch) {
					return nil, nil
				}
			}
			if reqs, lerr := c.ListRequests(ctx, RequestFilter{AssignmentID: id, RequestType: "adminUpdate", CreatedAfter: &since}); lerr == nil && len(reqs) > 0 {
				return reqs[len(reqs)-1], nil
			}
			if sch != nil || time.Since(lookingSince) > ReplicationWindow {
				break // send again: Graph refuses it while the first one is open
			}
			if !backoff.Wait(ctx) {
				return nil, err
			}
		}
		if !backoff.Wait(ctx) {
			return nil, err
		}
	}
}

// RemoveAssignment sends adminRemove once in effect. While another request
// for the same target and package is still open (an add still delivering,
// an update), Graph refuses it and changes nothing, so it is sent again once
// that request has had time to finish, within ctx. After an ambiguous
// failure it first checks whether the assignment has already ended: then it
// returns no request and no error. A 404 (already gone) is returned as is.
func (c *Client) RemoveAssignment(ctx context.Context, id, justification string, poll PollPolicy) (*Request, error) {
	backoff := poll.Backoff()
	for {
		q, err := c.SubmitRemove(ctx, id, justification)
		switch {
		case IsAmbiguous(err):
			if a, gerr := c.GetAssignment(ctx, id); IsNotFound(gerr) || (gerr == nil && !a.Live()) {
				return nil, nil
			}
		case c.refusedForAnOpenRequest(ctx, id, err):
			c.log(ctx, "another request for this assignment is still open; waiting before removing it", map[string]any{"assignment_id": id})
		default:
			return q, err
		}
		if !backoff.Wait(ctx) {
			return nil, fmt.Errorf("%w (still refused when the timeout ran out)", err)
		}
	}
}

// refusedForAnOpenRequest says whether a refusal of a request for an
// assignment comes while another request for it is still open, which Graph
// refuses whatever code it answers with: decided by looking at the
// assignment's requests, not by the code.
func (c *Client) refusedForAnOpenRequest(ctx context.Context, assignmentID string, err error) bool {
	if !isRefusal(err) {
		return false
	}
	reqs, lerr := c.ListRequests(ctx, RequestFilter{AssignmentID: assignmentID})
	if lerr != nil {
		return false
	}
	for _, r := range reqs {
		if !r.Terminal() {
			return true
		}
	}
	return false
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
