package provider

import (
	"fmt"
	"strings"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The roster of entitlement_access_package_assignments, without Terraform:
// what Graph holds against who is wanted gives the changes to send
// (reconcile), and the results of sending them give what Graph holds after
// (settle). Both are plain functions of their inputs, which they do not
// modify; the resource file maps them to and from Terraform's plan and
// state, and sends the changes.

// target is one configured target: an object id or an email address.
type target struct {
	key   string // as written in the configuration
	email bool
}

// keysOf is the set of targets, lower-cased: ids and addresses compare
// without regard to case, and a map keeps the lookups linear at thousands.
func keysOf(ts []target) map[string]bool {
	out := make(map[string]bool, len(ts))
	for _, t := range ts {
		out[strings.ToLower(t.key)] = true
	}
	return out
}

// holding is what Graph holds for one target of the resource. A holding
// whose access ended and which the provider keeps (its schedule or Entra's
// decision; see assignment_endings.go) has State expired and EndedBy.
type holding struct {
	// Key is the target as the configuration or the state spells it; Email
	// says it is an address (else an object id).
	Key   string
	Email bool
	// AssignmentID is Graph's assignment; empty while Graph has made none
	// (a request scheduled for a later start, or one still on its way).
	AssignmentID string
	// RequestID is the request that is making the assignment while there
	// is none, else the last request the provider sent for it, if known.
	RequestID string
	// State is the assignment's (or, without one, its request's) state.
	State string
	// ObjectID is the user Entra invited for an email target.
	ObjectID string
	// Start and End are the access's, as Graph holds them (RFC 3339); End
	// is when it ended, once it has.
	Start, End string
	EndedBy    string
}

// ended says whether the access has ended (and is kept as ended).
func (h holding) ended() bool { return h.State == graph.StateExpired }

// stateID is what assignment_ids records for the holding: the assignment,
// or, while there is none, the request making it.
func (h holding) stateID() string {
	if h.AssignmentID != "" {
		return h.AssignmentID
	}
	return h.RequestID
}

// reconcileInput is what the changes are worked out from.
type reconcileInput struct {
	// Held is what Graph holds, keyed by lower-cased target.
	Held    map[string]holding
	Targets []target
	// Add is the adminAdd a new target gets, without the target.
	Add graph.AddInput
	// Justification, Schedule and Answers go with an update (Refresh) or a
	// removal (Justification).
	Justification string
	Schedule      *graph.Schedule
	Answers       []graph.Answer
	// Refresh sends the schedule and answers to every kept target.
	Refresh bool
	// Renew names the ended targets to give the access again (lower-cased).
	Renew map[string]bool
	// NoRetry names the failed deliveries Graph can no longer reprocess.
	NoRetry map[string]bool
}

// reconcilePlan is what an apply sends, and what it starts from.
type reconcilePlan struct {
	// Changes are the requests to send; Keys[i] is the target of Changes[i].
	Changes []graph.Change
	Keys    []string
	// Base is what Graph holds before the changes, keyed by lower-cased
	// target, with a person held under their email and now listed by
	// object id moved to the object id.
	Base map[string]holding
	// Kept is what Graph holds after the apply if every change fails: the
	// holdings no change is sent for, spelled as the targets are.
	Kept map[string]holding
	// Refused are the removals that cannot be sent.
	Refused []failure
}

// failure is a target the apply could not bring where it was wanted.
type failure struct {
	target, what string
	err          error
}

// reconcile works out the changes that make Graph hold exactly the
// targets: an adminAdd for the missing (and the ended ones Renew names), a
// reprocess for a failed delivery, an adminUpdate for every kept one on
// Refresh, and an adminRemove for every other live holding. A target whose
// access ended is left as it is, and one no longer listed is dropped with
// no request.
func reconcile(in reconcileInput) reconcilePlan {
	base := make(map[string]holding, len(in.Held))
	for k, h := range in.Held {
		base[k] = h
	}
	out := reconcilePlan{Base: base, Kept: make(map[string]holding, len(in.Held))}
	for k, h := range base {
		out.Kept[k] = h
	}
	wanted := make(map[string]bool, len(in.Targets))
	listed := keysOf(in.Targets)
	// A person held under their email and now listed by object id is the
	// same assignment: keep it under the new key (removing the email's and
	// adding the id's would take the access away).
	heldByObject := map[string]string{}
	for k, h := range in.Held {
		if h.Email && h.ObjectID != "" {
			heldByObject[strings.ToLower(h.ObjectID)] = k
		}
	}
	for _, t := range in.Targets {
		k := strings.ToLower(t.key)
		wanted[k] = true
		h, ok := base[k]
		if old, same := heldByObject[k]; !ok && !t.email && same && !listed[old] {
			h, ok = base[old], true
			h.Email = false
			base[k], wanted[old] = h, true
			delete(out.Kept, old)
		}
		var ch graph.Change
		switch {
		case !ok || (h.ended() && in.Renew[k]):
			add := in.Add
			if t.email {
				add.TargetEmail = t.key
			} else {
				add.TargetObjectID = t.key
			}
			ch = graph.Change{Kind: graph.ChangeAdd, Add: add}
		case h.ended():
			h.Key, h.Email = t.key, t.email
			out.Kept[k] = h
			continue
		case failedDelivery(h.State) && !in.NoRetry[k]:
			ch = graph.Change{Kind: graph.ChangeRetry, AssignmentID: h.AssignmentID, RequestID: h.RequestID}
		case in.Refresh && h.AssignmentID != "":
			ch = graph.Change{Kind: graph.ChangeUpdate, AssignmentID: h.AssignmentID, Justification: in.Justification, Schedule: in.Schedule, Answers: in.Answers}
		default:
			h.Key, h.Email = t.key, t.email
			out.Kept[k] = h
			continue
		}
		out.Changes = append(out.Changes, ch)
		out.Keys = append(out.Keys, t.key)
	}
	for k, h := range base {
		if wanted[k] {
			continue
		}
		if h.ended() {
			delete(out.Kept, k) // the access has ended: nothing to remove
			continue
		}
		if h.AssignmentID == "" {
			why := fmt.Errorf("request %s has made no assignment yet; Graph lets only a signed-in user cancel a request, so cancel it in the Entra portal or apply again once it has made the assignment", h.RequestID)
			if h.State == graph.StateScheduled {
				why = fmt.Errorf("request %s is scheduled for a later start and has made no assignment yet; Graph lets only a signed-in user cancel a request, so cancel it in the Entra portal or apply again once it has started", h.RequestID)
			}
			out.Refused = append(out.Refused, failure{target: h.Key, what: "remove the access of", err: why})
			continue
		}
		out.Changes = append(out.Changes, graph.Change{Kind: graph.ChangeRemove, AssignmentID: h.AssignmentID, Justification: in.Justification})
		out.Keys = append(out.Keys, h.Key)
	}
	return out
}

// settled is what an apply did.
type settled struct {
	// After is what Graph holds after the apply, keyed by lower-cased target.
	After    map[string]holding
	Failures []failure
	// Touched says that Graph may have taken a request: one answered, one
	// whose answer was lost, an assignment found.
	Touched bool
}

// changeVerbs say, in a failure, what a change tried to do.
var changeVerbs = map[graph.ChangeKind]string{graph.ChangeAdd: "give access to", graph.ChangeUpdate: "update the access of",
	graph.ChangeRemove: "remove the access of", graph.ChangeRetry: "retry the delivery to"}

// settle gives what Graph holds after the plan's changes ended as results
// say (results[i] is the end of p.Changes[i]). A removal that succeeded
// drops its holding; an add that left Graph holding nothing — no
// assignment, no request read back — drops its target (the next plan adds
// it again) and fails; any other failure keeps what was held.
func settle(p reconcilePlan, results []graph.ChangeResult) settled {
	out := settled{After: make(map[string]holding, len(p.Kept)+len(p.Changes)), Failures: append([]failure(nil), p.Refused...)}
	for k, h := range p.Kept {
		out.After[k] = h
	}
	for i, res := range results {
		ch, key := p.Changes[i], p.Keys[i]
		k := strings.ToLower(key)
		prev := p.Base[k]
		h := holding{Key: key, Email: prev.Email || ch.Add.TargetEmail != "", AssignmentID: prev.AssignmentID, State: prev.State,
			RequestID: prev.RequestID, ObjectID: prev.ObjectID, Start: prev.Start, End: prev.End}
		if res.RequestID != "" {
			h.RequestID = res.RequestID
		}
		if ch.Kind == graph.ChangeAdd {
			// A new assignment (for a renewal, in place of the ended one).
			h.AssignmentID, h.State, h.EndedBy, h.Start, h.End = "", "", "", "", ""
		}
		if a := res.Assignment; a != nil && a.ID != "" {
			h.AssignmentID, h.State = a.ID, a.State
			if a.Target != nil && a.Target.ObjectID != "" {
				h.ObjectID = a.Target.ObjectID
			}
			if a.Schedule != nil {
				h.Start, h.End = timeString(a.Schedule, false), timeString(a.Schedule, true)
			}
		}
		// Without an assignment, the request read back is what Graph holds
		// (one scheduled for a later start, say).
		requestOnly := res.Request != nil && res.RequestID != "" && res.Assignment == nil && h.AssignmentID == ""
		if requestOnly {
			h.RequestID, h.State = res.RequestID, res.Request.State
		}
		if res.Request != nil && res.Request.State == graph.StateScheduled && res.Assignment == nil {
			h.State = graph.StateScheduled
		}
		out.Touched = out.Touched || res.RequestID != "" || res.Assignment != nil || graph.IsAmbiguous(res.Err)
		switch ch.Kind {
		case graph.ChangeRemove:
			if res.Err == nil {
				delete(out.After, k)
				continue
			}
			h.State = prev.State
		case graph.ChangeAdd:
			if res.Err == nil && h.State == "" {
				h.State = graph.StateDelivered
			}
			if h.AssignmentID == "" && !requestOnly {
				// Graph holds nothing for this target: the next plan adds it again.
				delete(out.After, k)
				out.fail(key, changeVerbs[ch.Kind], res.Err)
				continue
			}
		case graph.ChangeUpdate:
			if res.Err != nil || h.State == "" {
				h.State = prev.State
			}
		case graph.ChangeRetry:
			if res.Err == nil && res.Request != nil && res.Request.State == graph.StateDelivered && (res.Assignment == nil || res.Assignment.State == "") {
				h.State = graph.StateDelivered
			}
		}
		out.After[k] = h
		out.fail(key, changeVerbs[ch.Kind], res.Err)
	}
	return out
}

func (s *settled) fail(target, what string, err error) {
	if err != nil {
		s.Failures = append(s.Failures, failure{target: target, what: what, err: err})
	}
}
