package provider

import (
	"sort"
	"strings"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// Ended is not drift. Access that ends because its schedule ran out, or
// because Entra removed it after a governance decision (an access review's
// denial, a user deleted from the directory), must never be given again by
// an apply that nobody changed: a nightly pipeline would renew every
// time-boxed assignment and undo every review. A removal made by a person
// outside Terraform (in the portal, by another tool, or the person giving
// up their own access) is drift, which the apply restores. The provider
// tells them apart from what Graph holds: the assignment's schedule and the
// time it expired, and the removal request Graph records for every removal
// (its type, and the marker of the resource that sent it).

// Why an assignment ended: the values of ended_by (and of the
// authoritative resource's ended map).
const (
	// endedBySchedule: its schedule ran out (Graph records a systemRemove
	// at the scheduled end).
	endedBySchedule = "schedule"
	// endedByEntra: a removal Entra made itself (systemRemove, or a removal
	// type the provider does not know) other than at the scheduled end: an
	// access review's denial, a user deleted, a policy's automatic removal.
	endedByEntra = "entra"
	// endedByAdmin: an adminRemove that no resource of this provider sent
	// (a person in the portal, another tool).
	endedByAdmin = "admin"
	// endedByUser: a userRemove, the person giving up their own access.
	endedByUser = "user"
	// endedByTerraform: an adminRemove sent by another resource of this
	// provider (its marker): two resources manage the same access.
	endedByTerraform = "terraform"
	// endedUnknown: Graph shows no removal request for it.
	endedUnknown = "unknown"
)

// ending is how an assignment ended.
type ending struct {
	By string
	At time.Time
	// RequestID is the removal request, when Graph shows one.
	RequestID string
	// Manager is the resource that removed it, for endedByTerraform.
	Manager manager
}

// drift says whether the apply gives the access back: a removal made by a
// person outside Terraform.
func (e ending) drift() bool { return e.By == endedByAdmin || e.By == endedByUser }

// decided says whether the access ended by a decision the provider keeps:
// its schedule, Entra's governance, or a removal it cannot see.
func (e ending) decided() bool {
	return e.By == endedBySchedule || e.By == endedByEntra || e.By == endedUnknown
}

// describe says why, for a person reading a plan.
func (e ending) describe() string {
	at := e.At.UTC().Format(time.RFC3339)
	req := func(typ string) string {
		if e.RequestID == "" {
			return ""
		}
		return " (" + typ + " request " + e.RequestID + ")"
	}
	switch e.By {
	case endedBySchedule:
		return "its schedule ended on " + at
	case endedByEntra:
		return "Entra removed it on " + at + req("systemRemove") + ": an access review's decision, a user deleted from the directory, or a policy's automatic removal"
	case endedByAdmin:
		return "it was removed outside Terraform on " + at + req("adminRemove") + ", in the portal or by another tool"
	case endedByUser:
		return "the person gave it up on " + at + req("userRemove")
	case endedByTerraform:
		who := "another Terraform resource"
		if e.Manager.Kind != "" {
			who = e.Manager.String()
		}
		return who + " removed it on " + at + req("adminRemove")
	}
	return "it ended on " + at + ", and Graph shows no request that removed it"
}

// scheduledEnd is when an assignment's schedule ends, if it ends: its end
// date, or its start and duration.
func scheduledEnd(s *graph.Schedule) *time.Time {
	if s == nil {
		return nil
	}
	switch s.ExpirationType {
	case "afterDateTime":
		return s.End
	case "afterDuration":
		if d, ok := durationLength(s.Duration); ok && s.Start != nil {
			t := s.Start.Add(d)
			return &t
		}
	}
	return nil
}

// scheduleSlack is how close to its scheduled end an assignment must have
// expired for the schedule to be why: Graph's own clock and processing.
const scheduleSlack = 5 * time.Minute

// classifyEnding decides why the ended assignment a ended, from the
// requests Graph recorded (any of the package's: those of other
// assignments, and those that remove nothing, are ignored). self is the
// resource asking; a removal with its own marker is its configuration's
// doing, which the caller does not ask about.
func classifyEnding(a *graph.Assignment, reqs []*graph.Request, self manager) ending {
	e := ending{By: endedUnknown}
	if a.Expired != nil {
		e.At = *a.Expired
	}
	if end := scheduledEnd(a.Schedule); end != nil && a.Expired != nil && !end.After(a.Expired.Add(scheduleSlack)) {
		e.By = endedBySchedule
		return e
	}
	var removals []*graph.Request
	for _, q := range reqs {
		if q.Assignment == nil || !strings.EqualFold(q.Assignment.ID, a.ID) || !removal(q.Type) {
			continue
		}
		removals = append(removals, q)
	}
	if len(removals) == 0 {
		return e
	}
	// The latest removal that took effect.
	sort.SliceStable(removals, func(i, j int) bool { return created(removals[i]).Before(created(removals[j])) })
	q := removals[len(removals)-1]
	for i := len(removals) - 1; i >= 0; i-- {
		if removals[i].State == graph.StateDelivered {
			q = removals[i]
			break
		}
	}
	e.RequestID = q.ID
	if e.At.IsZero() && q.Completed != nil {
		e.At = *q.Completed
	}
	switch q.Type {
	case "adminRemove":
		e.By = endedByAdmin
		if m, ok := managerOf(q.Justification); ok && m != self {
			e.By, e.Manager = endedByTerraform, m
		}
	case "userRemove":
		e.By = endedByUser
	default:
		// systemRemove, and types Graph may add (approverRemove, or
		// unknownFutureValue in their place): removals the service made,
		// which the provider does not undo by itself.
		e.By = endedByEntra
	}
	return e
}

// removal says whether a request type removes access; unknown types (""
// from the SDK, or unknownFutureValue) count, so that a removal Graph adds
// later is kept rather than undone.
func removal(typ string) bool {
	switch typ {
	case "adminAdd", "adminUpdate", "userAdd", "userUpdate", "systemAdd", "systemUpdate", "onBehalfAdd":
		return false
	}
	return true
}

func created(q *graph.Request) time.Time {
	if q.Created != nil {
		return *q.Created
	}
	return time.Time{}
}
