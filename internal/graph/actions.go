package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The guards and calls of the reprocess and resume actions, shared by the
// action-style resources and the Terraform 1.14 actions: nothing about
// either is written twice.

// ReprocessWindow is how long after its completion Graph reprocesses a request (the reprocess page).
const ReprocessWindow = 14 * 24 * time.Hour

// ResumeStages are the custom-extension stages a resume may name (the resume page's four).
var ResumeStages = []string{"assignmentRequestCreated", "assignmentRequestApproved", "assignmentRequestGranted", "assignmentRequestRemoved"}

// ActionOptions say whether and how to follow the request after the call.
type ActionOptions struct {
	Wait     bool
	Poll     PollPolicy
	Progress func(*Request)
}

// ActionResult is what an action did.
type ActionResult struct {
	// Request is the request as last read (after the wait, when waiting).
	Request *Request
	// Called is false when the guard found nothing to do (a delivered request).
	Called bool
	// Warning explains a call that was not made.
	Warning string
}

// ReprocessGuard says whether a request may be reprocessed at now. A
// delivered request needs nothing: it is not an error, the warning says so.
func ReprocessGuard(r *Request, now time.Time) (proceed bool, warning string, err error) {
	switch r.State {
	case StateDelivered:
		return false, fmt.Sprintf("Assignment request %s is already delivered; there is nothing to reprocess and no call was made.", r.ID), nil
	case StateDeliveryFailed, StatePartiallyDelivered:
	default:
		return false, "", fmt.Errorf("assignment request %s is %s (status %q): Graph reprocesses only requests that ended deliveryFailed or partiallyDelivered", r.ID, r.State, r.Status)
	}
	if r.Completed != nil && now.Sub(*r.Completed) > ReprocessWindow {
		return false, "", fmt.Errorf("assignment request %s completed on %s, more than 14 days ago, and Graph no longer reprocesses it: cancel it and request the access again (a new assignment)", r.ID, r.Completed.Format(time.RFC3339))
	}
	return true, "", nil
}

// readForAction reads the request an action names, with a clear error for an unknown id.
func (c *Client) readForAction(ctx context.Context, id string) (*Request, error) {
	r, err := c.GetRequest(ctx, id)
	if IsNotFound(err) {
		return nil, fmt.Errorf("there is no assignment request %s in Graph (404): %w", id, err)
	}
	return r, err
}

// Reprocess retries the delivery of a failed request: it reads the request,
// applies ReprocessGuard, calls reprocess (202) and, with Wait, follows the
// request until it ends. A new failure is an error that says so.
func (c *Client) Reprocess(ctx context.Context, id string, opts ActionOptions) (*ActionResult, error) {
	r, err := c.readForAction(ctx, id)
	if err != nil {
		return nil, err
	}
	proceed, warning, err := ReprocessGuard(r, time.Now())
	if err != nil || !proceed {
		return &ActionResult{Request: r, Warning: warning}, err
	}
	if err := c.once(ctx, id, func(ctx context.Context) error { return c.ReprocessRequest(ctx, id) },
		func(q *Request) bool { return q.State != StateDeliveryFailed && q.State != StatePartiallyDelivered }); err != nil {
		var ge *Error
		if errors.As(err, &ge) && ge.Status == 400 {
			// Graph's own clock decides the window; say what to do about it.
			return nil, fmt.Errorf("%w; if the request completed more than 14 days ago, cancel it and request the access again", err)
		}
		return nil, err
	}
	return c.finishAction(ctx, id, "reprocess", opts, func(q *Request) bool { return q.Terminal() })
}

// finishAction follows the request after an action when asked to.
func (c *Client) finishAction(ctx context.Context, id, what string, opts ActionOptions, done func(*Request) bool) (*ActionResult, error) {
	if !opts.Wait {
		r, err := c.GetRequest(ctx, id)
		return &ActionResult{Request: r, Called: true}, err
	}
	r, err := c.WaitForRequest(ctx, id, opts.Poll, done, opts.Progress)
	res := &ActionResult{Request: r, Called: true}
	if err != nil {
		return res, fmt.Errorf("after %s, following assignment request %s: %w", what, id, err)
	}
	switch r.State {
	case StateDeliveryFailed, StatePartiallyDelivered:
		return res, fmt.Errorf("after %s, assignment request %s ended %s again (status %q)", what, id, r.State, r.Status)
	case StateDenied, StateCanceled:
		return res, fmt.Errorf("after %s, assignment request %s was %s (status %q)", what, id, r.State, r.Status)
	}
	return res, nil
}

// ResumeInput is the body of a resume call.
type ResumeInput struct {
	Source, Stage, StageInstanceID, StageInstanceDetail, State string
}

// ValidateResume checks a resume's own fields, before anything is read:
// the stage is one of the four, and a state (denied or canceled) may only
// end a request at assignmentRequestCreated (the resume page).
func ValidateResume(in ResumeInput) error {
	found := false
	for _, s := range ResumeStages {
		found = found || s == in.Stage
	}
	if !found {
		return fmt.Errorf("stage %q is not one of %s", in.Stage, strings.Join(ResumeStages, ", "))
	}
	switch in.State {
	case "":
	case "denied", "canceled":
		if in.Stage != "assignmentRequestCreated" {
			return fmt.Errorf("state %q may only be set at the assignmentRequestCreated stage, not at %s", in.State, in.Stage)
		}
	default:
		return fmt.Errorf("state %q is not valid: a callback may only deny or cancel a request (denied, canceled), or leave it empty to let it proceed", in.State)
	}
	return nil
}

// ResumeGuard says whether a request waits for the callback a resume gives.
func ResumeGuard(r *Request, in ResumeInput) error {
	if r.Status != "WaitingForCallback" {
		return fmt.Errorf("assignment request %s is not waiting for a custom-extension callback: it is %s (status %q), and Graph resumes only requests whose status is WaitingForCallback", r.ID, r.State, r.Status)
	}
	if in.StageInstanceID != "" {
		for _, co := range r.Callouts {
			if strings.EqualFold(co.ID, in.StageInstanceID) && co.Status == "waitingForCallback" {
				return nil
			}
		}
		return fmt.Errorf("assignment request %s has no callout %s waiting for a callback", r.ID, in.StageInstanceID)
	}
	return nil
}

// Resume answers a waiting custom extension: it validates the input, reads
// the request, applies ResumeGuard, calls resume (204) and, with Wait,
// follows the request until it settles again.
func (c *Client) Resume(ctx context.Context, id string, in ResumeInput, opts ActionOptions) (*ActionResult, error) {
	if err := ValidateResume(in); err != nil {
		return nil, err
	}
	r, err := c.readForAction(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := ResumeGuard(r, in); err != nil {
		return &ActionResult{Request: r}, err
	}
	if err := c.once(ctx, id, func(ctx context.Context) error { return c.ResumeRequest(ctx, id, in) },
		func(q *Request) bool {
			return q.Status != "WaitingForCallback" || len(waitingCallouts(q)) < len(waitingCallouts(r))
		}); err != nil {
		return nil, err
	}
	res, err := c.finishAction(ctx, id, "resume", opts, func(q *Request) bool {
		return q.Terminal() || q.Status == "WaitingForCallback" || q.State == StatePendingApproval || q.State == StateScheduled
	})
	if err != nil && in.State != "" && res != nil && res.Request != nil && res.Request.State == in.State {
		err = nil // the callback denied or canceled the request, as asked
	}
	return res, err
}

// once makes an action's POST at most once in effect: after an ambiguous
// failure (no answer, a gateway 5xx) it reads the request, and took says
// whether the call had taken effect; the call is sent again only when,
// ReplicationWindow after it, the request still shows it did not (see
// landed), and never when the request cannot be read.
func (c *Client) once(ctx context.Context, id string, post func(context.Context) error, took func(*Request) bool) error {
	poll := PollPolicy{Initial: time.Second, Max: 5 * time.Second, Factor: 1.5}
	for resends := 0; ; resends++ {
		sent := time.Now()
		err := post(ctx)
		if err == nil || !IsAmbiguous(err) || resends >= maxResends {
			return err
		}
		landed, lerr := c.landed(ctx, poll, sent, func(ctx context.Context) (bool, error) {
			q, err := c.GetRequest(ctx, id)
			if err != nil {
				return false, err
			}
			return took(q), nil
		})
		if lerr != nil {
			return fmt.Errorf("%w; whether Graph took the call could not be told, so it was not sent again: %w", err, lerr)
		}
		if landed {
			return nil
		}
	}
}

func waitingCallouts(q *Request) []Callout {
	var out []Callout
	for _, c := range q.Callouts {
		if c.Status == "waitingForCallback" {
			out = append(out, c)
		}
	}
	return out
}

// ReprocessDeliveredAssignment re-applies a delivered assignment's access:
// Graph accepts it only for a delivered assignment (the assignment reprocess page).
func (c *Client) ReprocessDeliveredAssignment(ctx context.Context, id string) (*Assignment, error) {
	a, err := c.GetAssignment(ctx, id)
	if IsNotFound(err) {
		return nil, fmt.Errorf("there is no assignment %s in Graph (404): %w", id, err)
	}
	if err != nil {
		return nil, err
	}
	if a.State != StateDelivered {
		return a, fmt.Errorf("assignment %s is %s (status %q): Graph reprocesses only delivered assignments; a failed delivery is retried by reprocessing its request", id, a.State, a.Status)
	}
	return a, c.ReprocessAssignment(ctx, id)
}
